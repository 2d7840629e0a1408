// nanogate — the Python extension (nanobind): a thin binding over the same C++
// core the CLI uses. The hls4ml-style API lives in python/nanogate/*.py.
#include <nanobind/nanobind.h>
#include <nanobind/ndarray.h>
#include <nanobind/stl/map.h>
#include <nanobind/stl/optional.h>
#include <nanobind/stl/shared_ptr.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include <memory>

#include <filesystem>
#include <iostream>

#include "nanogate/analysis/profile.hpp"
#include "nanogate/frontend/keras.hpp"
#include "nanogate/backend/hls.hpp"
#include "nanogate/backend/verilog_project.hpp"
#include "nanogate/config.hpp"
#include "nanogate/report/synth.hpp"
#include "nanogate/emulate/emulator.hpp"
#include "nanogate/emulate/test_vectors.hpp"
#include "nanogate/error.hpp"
#include "nanogate/frontend/onnx.hpp"
#include "nanogate/inspect.hpp"
#include "nanogate/passes/passes.hpp"
#include "nanogate/io/table.hpp"
#include "nanogate/model.hpp"

namespace nb = nanobind;
using namespace nb::literals;

namespace {

using InArray = nb::ndarray<const double, nb::ndim<2>, nb::c_contig, nb::device::cpu>;
using RawArray = nb::ndarray<const int64_t, nb::ndim<2>, nb::c_contig, nb::device::cpu>;

/// Moves a vector into a new numpy array of shape rows × cols.
template <class T>
nb::ndarray<nb::numpy, T, nb::ndim<2>> to_numpy(std::vector<T>&& v, int64_t rows, int64_t cols) {
  auto* heap = new std::vector<T>(std::move(v));
  nb::capsule owner(heap, [](void* p) noexcept { delete static_cast<std::vector<T>*>(p); });
  size_t shape[2] = {size_t(rows), size_t(cols)};
  return nb::ndarray<nb::numpy, T, nb::ndim<2>>(heap->data(), 2, shape, owner);
}

/// A compiled model with its emulators (built on first use).
struct PyModel {
  nanogate::Model model;
  std::unique_ptr<nanogate::Emulator> fixed, flt;

  const nanogate::Emulator& emulator(bool float_mode) {
    auto& e = float_mode ? flt : fixed;
    if (!e) e = std::make_unique<nanogate::Emulator>(model, float_mode);
    return *e;
  }
};

std::shared_ptr<PyModel> compile(nb::bytes onnx_bytes, const std::string& source, std::optional<std::string> config,
                                 bool yaml, const std::string& config_source) {
  nanogate::Config cfg;
  if (config) cfg = nanogate::parse_config(*config, config_source, yaml);
  auto m = std::make_shared<PyModel>();
  nanogate::Graph g = nanogate::load_onnx_bytes(std::string(onnx_bytes.c_str(), onnx_bytes.size()), source);
  m->model = nanogate::compile_graph(std::move(g), cfg);
  return m;
}

std::shared_ptr<PyModel> compile_file(const std::string& path, const std::string& weights,
                                      std::optional<std::string> config, bool yaml, const std::string& config_source) {
  nanogate::Config cfg;
  if (config) cfg = nanogate::parse_config(*config, config_source, yaml);
  auto m = std::make_shared<PyModel>();
  m->model = nanogate::compile_graph(nanogate::load_model_file(path, weights), cfg);
  return m;
}

nb::dict result_dict(nanogate::EmulatorResult& r) {
  nb::dict d;
  for (auto& [name, v] : r.trace) {
    int64_t cols = r.rows ? int64_t(v.size()) / r.rows : 0;
    d[name.c_str()] = to_numpy(std::move(v), r.rows, cols);
  }
  return d;
}

}  // namespace

NB_MODULE(_nanogate, m) {
  m.doc() = "nanogate C++ core: ONNX/QONNX → exact fixed-point layer graph → bit-exact emulator";
  nb::exception<nanogate::Error>(m, "NanogateError", PyExc_ValueError);
  nb::exception<nanogate::IoError>(m, "NanogateIoError", PyExc_OSError);
  nb::exception<nanogate::FixedTypeError>(m, "FixedTypeError", PyExc_ValueError);

  nb::class_<PyModel>(m, "Model", "A compiled model: the typed layer graph and its emulators.")
      .def_prop_ro("source", [](const PyModel& p) { return p.model.source; })
      .def_prop_ro("quantized", [](const PyModel& p) { return p.model.graph.quantized; })
      .def("require_exact",
           [](const PyModel& p, bool allow_inexact) { return nanogate::require_exact(p.model.graph, allow_inexact); },
           "allow_inexact"_a = false,
           "Raises NanogateError naming the first layer that is not bit-exact with the model unless allow_inexact; "
           "returns one warning per allowed inexact or tabulated layer.")
      .def("inspect", [](const PyModel& p) { return nanogate::format_inspect(p.model); },
           "The per-layer table printed by `nanogate inspect`.")
      .def("layers",
           [](const PyModel& p) {
             nb::list out;
             for (auto& r : nanogate::inspect_rows(p.model)) {
               nb::dict d;
               d["name"] = r.name;
               d["op"] = r.op;
               d["input"] = r.inputs;
               d["output"] = r.output;
               d["weight"] = r.weight;
               d["bias"] = r.bias;
               d["accum"] = r.accum;
               d["result"] = r.result;
               d["params"] = r.params;
               d["zero_fraction"] = r.zero_fraction;
               d["reuse_factor"] = r.reuse_factor;
               d["strategy"] = r.strategy;
               d["exact"] = r.exact;
               d["exact_note"] = r.exact_note;
               out.append(d);
             }
             return out;
           },
           "One dict per layer (the inspect rows).")
      .def("input_size", [](PyModel& p, bool float_mode) { return p.emulator(float_mode).input_size(); },
           "float_mode"_a = false, "Values per event at the model input (all inputs flattened).")
      .def("output_size", [](PyModel& p, bool float_mode) { return p.emulator(float_mode).output_size(); },
           "float_mode"_a = false)
      .def("firmware_inputs",
           [](PyModel& p) {
             nb::list out;
             for (auto& f : p.emulator(false).firmware_inputs()) {
               nb::dict d;
               d["tensor"] = f.tensor;
               d["type"] = f.type.str();
               d["size"] = f.size;
               d["min_raw"] = f.type.min_raw();
               d["max_raw"] = f.type.max_raw();
               d["frac_bits"] = f.type.frac_bits();
               out.append(d);
             }
             return out;
           },
           "The firmware input ports: tensor, type, size, raw code range.")
      .def(
          "predict",
          [](PyModel& p, InArray x, bool raw, bool float_mode) {
            const auto& e = p.emulator(float_mode);
            if (int64_t(x.shape(1)) != e.input_size())
              throw nanogate::Error(p.model.source, "input has " + std::to_string(x.shape(1)) +
                                                        " values per event, the model takes " +
                                                        std::to_string(e.input_size()));
            nanogate::EmulatorResult r;
            {
              nb::gil_scoped_release release;
              r = e.run(x.data(), int64_t(x.shape(0)));
            }
            if (raw) return nb::object(nb::cast(to_numpy(std::move(r.raw), r.rows, r.cols)));
            return nb::object(nb::cast(to_numpy(std::move(r.values), r.rows, r.cols)));
          },
          "x"_a, "raw"_a = false, "float_mode"_a = false,
          "Batched emulation of x (events × input_size, float64). raw=True returns int64 codes.")
      .def(
          "predict_firmware",
          [](PyModel& p, RawArray x) {
            nanogate::EmulatorResult r;
            {
              nb::gil_scoped_release release;
              r = p.emulator(false).run_firmware(x.data(), int64_t(x.shape(0)));
            }
            return to_numpy(std::move(r.raw), r.rows, r.cols);
          },
          "raw"_a, "Emulation from raw codes at the firmware input ports; returns raw output codes.")
      .def(
          "test_vectors",
          [](PyModel& p, int64_t rows, uint64_t seed) {
            auto types = nanogate::element_types(p.emulator(false).firmware_inputs());
            int64_t cols = int64_t(types.size());
            return to_numpy(nanogate::firmware_test_vectors(types, rows, seed), rows, cols);
          },
          "rows"_a, "seed"_a = 1,
          "Raw codes at the firmware ports: all-min, all-max, alternations, zero, then uniform random rows.")
      .def(
          "trace",
          [](PyModel& p, InArray x, bool float_mode, std::vector<std::string> names) {
            nanogate::EmulatorResult r;
            {
              nb::gil_scoped_release release;
              r = p.emulator(float_mode).run(x.data(), int64_t(x.shape(0)), true, names);
            }
            return result_dict(r);
          },
          "x"_a, "float_mode"_a = false, "names"_a = std::vector<std::string>{},
          "Every tensor's values (or only `names`) as a dict of events × size arrays.")
      .def(
          "profile",
          [](PyModel& p, InArray x, int margin, bool suggest, bool estimate_luts) {
            nanogate::ProfileOptions o;
            o.margin_int_bits = margin;
            o.suggest = suggest;
            o.estimate_luts = estimate_luts;
            nanogate::ProfileResult r;
            {
              nb::gil_scoped_release release;
              r = nanogate::profile_model(p.model, x.data(), int64_t(x.shape(0)), o);
            }
            return nanogate::profile_json(r).dump();
          },
          "x"_a, "margin"_a = 1, "suggest"_a = true, "estimate_luts"_a = true,
          "nanogate profile on x (events × input_size): the JSON text of profile_json.");

  m.def(
      "write_verilog",
      [](const std::string& dir, const std::string& model_path, const std::string& config_path, double clock_period,
         int dc, const std::string& family, bool valid, bool register_ports, bool force, bool allow_inexact,
         const std::string& hdl, const std::string& wrapper, int field_bits) {
        nanogate::VerilogProjectOptions o;
        if (hdl != "verilog" && hdl != "vhdl") throw nanogate::Error(dir, "unknown HDL '" + hdl + "' (verilog or vhdl)");
        if (wrapper != "none" && wrapper != "packed" && wrapper != "axis")
          throw nanogate::Error(dir, "unknown wrapper '" + wrapper + "' (none, packed or axis)");
        o.hdl = hdl == "vhdl" ? nanogate::Hdl::Vhdl : nanogate::Hdl::Verilog;
        o.wrapper = wrapper == "packed" ? nanogate::Wrapper::Packed
                    : wrapper == "axis" ? nanogate::Wrapper::Axis
                                        : nanogate::Wrapper::None;
        o.field_bits = field_bits;
        o.allow_inexact = allow_inexact;
        o.model_path = model_path;
        o.config_path = config_path;
        o.clock_period_ns = clock_period;
        o.dc = dc;
        o.family = family;
        o.valid = valid;
        o.register_ports = register_ports;
        o.force = force;
        nb::gil_scoped_release release;
        return nanogate::convert_to_verilog(dir, o).report.dump();
      },
      "dir"_a, "model_path"_a, "config_path"_a, "clock_period"_a, "dc"_a, "family"_a, "valid"_a, "register_ports"_a,
      "force"_a, "allow_inexact"_a = false, "hdl"_a = "verilog", "wrapper"_a = "none", "field_bits"_a = 0,
      "Writes the RTL project of `nanogate convert --backend verilog|vhdl` (hdl: 'verilog': RTL, Verilator harness, "
      "Yosys script; 'vhdl': package, entity, GHDL testbench; both: cocotb testbench tb/, report.json; wrapper "
      "'packed' or 'axis': the integration top, fields of field_bits bits, 0 = their own widths); returns "
      "report.json's text.");
  m.def(
      "verify_verilog",
      [](const std::string& dir, int64_t vectors, uint64_t seed) {
        nanogate::VerifyResult r;
        {
          nb::gil_scoped_release release;
          nanogate::VerifyOptions o;
          o.vectors = vectors;
          o.seed = seed;
          r = nanogate::verify_verilog_project(dir, o);
        }
        nb::dict d;
        d["vectors"] = r.vectors;
        d["exact"] = r.exact;
        d["outputs"] = r.outputs;
        d["latency"] = r.latency;
        d["bit_exact"] = r.exact == r.vectors;
        if (r.bad_vector >= 0) {
          nb::dict mm;
          mm["vector"] = r.bad_vector;
          mm["output"] = r.bad_output;
          mm["port"] = r.bad_port;
          mm["rtl"] = r.rtl;
          mm["netlist"] = r.netlist;
          mm["layer"] = r.layer;
          d["first_mismatch"] = mm;
        }
        return d;
      },
      "dir"_a, "vectors"_a, "seed"_a = 1,
      "Builds the Verilator model in dir (a VHDL folder: analyses and runs its GHDL testbench) and compares every "
      "output bit with the netlist and layer emulators.");
  m.def(
      "synth",
      [](const std::string& dir, const std::string& family, double timeout_s, bool quiet) {
        nanogate::report::SynthOptions o;
        o.family = nanogate::report::parse_family(family);
        o.timeout_s = timeout_s;
        o.progress = quiet ? nullptr : &std::cerr;
        nb::gil_scoped_release release;
        nanogate::report::SynthResult r = nanogate::report::run_synth(dir, o);
        auto j = r.to_json();
        nanogate::report::merge_synth_report((std::filesystem::path(dir) / "report.json").string(), o.family, j);
        return j.dump();
      },
      "dir"_a, "family"_a, "timeout_s"_a = 1800.0, "quiet"_a = false,
      "Runs Yosys (and nextpnr for ice40/ecp5) on dir; records and returns the counts (JSON text).");
  m.def(
      "write_hls",
      [](PyModel& p, const std::string& dir, const std::string& model_path, const std::string& config_path,
         const std::string& top, const std::string& part, double clock_period, std::optional<std::string> strategy,
         std::optional<int> reuse_factor, const std::string& io_type, bool force) {
        nanogate::HlsOptions h;
        h.force = force;
        h.io_type = io_type;
        h.model_path = model_path;
        h.config_path = config_path;
        h.top = top;
        h.part = part;
        h.clock_period_ns = clock_period;
        h.strategy = strategy;
        h.reuse_factor = reuse_factor;
        nanogate::HlsProject r = nanogate::write_hls_project(p.model, h, dir);
        return r.notes;
      },
      "model"_a, "dir"_a, "model_path"_a, "config_path"_a, "top"_a, "part"_a, "clock_period"_a,
      "strategy"_a = nb::none(), "reuse_factor"_a = nb::none(), "io_type"_a = "io_parallel", "force"_a = false,
      "Writes the Vitis HLS project (io_type io_parallel or io_stream) with its manifest; a non-empty dir needs "
      "force (which first deletes the files of the previous manifest). Returns the notes (deliberate deviations).");
  m.def(
      "csim",
      [](const std::string& dir, RawArray raw) {
        nanogate::CsimResult r;
        {
          nb::gil_scoped_release release;
          std::vector<int64_t> in(raw.data(), raw.data() + raw.size());
          r = nanogate::run_csim(dir, in, int64_t(raw.shape(0)));
        }
        return to_numpy(std::move(r.raw), r.rows, r.cols);
      },
      "dir"_a, "raw"_a, "Compiles the HLS project with g++ (ap_types from the hls4ml package) and runs raw codes.");

  m.def("compile", &compile, "onnx_bytes"_a, "source"_a, "config"_a = nb::none(), "yaml"_a = false,
        "config_source"_a = "<config>",
        "Compiles serialized ONNX/QONNX bytes with an optional configuration text (JSON, or YAML when yaml=True).");
  m.def("compile_file", &compile_file, "path"_a, "weights"_a = "", "config"_a = nb::none(), "yaml"_a = false,
        "config_source"_a = "<config>",
        "Compiles a model file (ONNX/QONNX, Keras .keras / .h5 / JSON + weights HDF5, detected from the content).");
  m.def("parse_type", [](const std::string& s) { return nanogate::parse_fixed(s).str(); }, "text"_a,
        "Canonical spelling of a fixed-point type; raises FixedTypeError when unparsable.");
}
