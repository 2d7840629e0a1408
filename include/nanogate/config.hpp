// nanogate — hls4ml-style precision configuration.
//
// A JSON or YAML file with up to three sections, applied in order of
// increasing priority:
//   Model:     {Precision: TYPE | {default|weight|bias|accum|result: TYPE},
//               ReuseFactor: INT, ParallelizationFactor: INT, Strategy: Latency|Resource|DA}
//   LayerType: {<layer op, e.g. Dense, Relu, Input>: {Precision, ReuseFactor, ParallelizationFactor, Strategy}}
//   LayerName: {<node or graph-input name>: {Precision, ReuseFactor, ParallelizationFactor, Strategy}}
// (ReuseFactor > 1 on a convolution time-multiplexes it in the RTL backends,
// ParallelizationFactor output positions per cycle: netlist/fold.hpp.)
//   Part: "xcvu13p-flga2577-2-e"   ClockPeriod: 5 (ns)   IOType: io_parallel|io_stream
// (the last three as hls4ml's top-level keys; the backends use them when the
// command line does not override them).
// TYPE is any spelling parse_fixed() accepts, or "auto" (the exact type that
// interval analysis proves never overflows). A single TYPE for a layer sets
// all of its weight, bias, accum and result types, as in hls4ml.
// Unknown keys, unknown layer types, unknown layer names (checked against the
// graph by infer_precision) and unparsable types are errors, never fallbacks.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "nanogate/fixed.hpp"

namespace nanogate {

/// A configured type: a fixed-point type, or "auto".
struct TypeSpec {
  bool is_auto = false;
  Fixed type;
};

/// The per-role types of one configuration entry (unset = not configured).
struct PrecisionSpec {
  std::optional<TypeSpec> weight, bias, accum, result;
};

/// One entry of Model, LayerType or LayerName.
struct LayerConfig {
  PrecisionSpec precision;
  std::optional<int> reuse_factor;
  /// Output positions a time-multiplexed convolution computes per cycle
  /// (kernel instances; hls4ml's ParallelizationFactor; netlist/fold.hpp).
  std::optional<int> parallelization_factor;
  std::optional<std::string> strategy;
};

/// A parsed configuration. `source` names the file in errors.
struct Config {
  std::string source;
  Fixed default_precision = Fixed{true, 16, 6};  ///< Model Precision (default fixed<16,6>)
  LayerConfig model;
  std::map<std::string, LayerConfig> by_type;
  std::map<std::string, LayerConfig> by_name;
  std::optional<std::string> part;          ///< FPGA part (HLS project)
  std::optional<double> clock_period_ns;    ///< target clock period in ns (> 0)
  std::optional<std::string> io_type;       ///< io_parallel or io_stream
  /// From an hls4ml command-line YAML (KerasJson / KerasH5 / OnnxModel,
  /// OutputDir, ProjectName), recorded as given; the CLI uses the weights
  /// (KerasH5 beside a KerasJson) and ProjectName (the HLS top) when the
  /// command line does not give them.
  std::optional<std::string> model_file, weights_file, output_dir, project_name;
};

/// Whether `s` is a plausible FPGA part name: non-empty, letters, digits and
/// - _ . only (it is written into build_prj.tcl, where anything else could be Tcl).
bool is_fpga_part_name(const std::string& s);

/// Reads a .json, .yaml or .yml configuration file: the sections Model,
/// LayerType, LayerName, Part, ClockPeriod, IOType, or an hls4ml
/// command-line YAML (those sections under HLSConfig, plus KerasJson,
/// KerasH5, OnnxModel, OutputDir, ProjectName, XilinxPart, Backend, Version,
/// Stamp, WriterConfig).
/// Throws nanogate::Error naming the file, the key path (e.g.
/// "LayerName.fc1.Precision.accum") and the reason for: a missing or
/// unparsable file, an unknown key, a value of the wrong kind, an unparsable
/// type, a ReuseFactor < 1, a ParallelizationFactor outside 1..4096, or an
/// unknown Strategy.
Config load_config(const std::string& path);

/// Parses a configuration from JSON text (YAML is converted to the same tree).
Config parse_config(const std::string& text, const std::string& source, bool yaml = false);

/// The configuration as JSON text in the format load_config reads
/// (src/core/config_write.cpp): Model (its roles, or the default precision),
/// LayerType, LayerName, Part, ClockPeriod, IOType, and KerasJson/KerasH5/
/// ProjectName when set; parse_config of the text gives an equal Config.
std::string config_to_json_text(const Config& c);

/// The layer types LayerType may name.
const std::vector<std::string>& config_layer_types();

}  // namespace nanogate
