// Keras frontend (src/frontend/keras/): the real Keras files of ../shared/models
// against their ONNX exports, a Functional graph written here, and the
// one-line errors for bad files.
#include <gtest/gtest.h>
#include <hdf5.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>

#include "nanogate/emulate/emulator.hpp"
#include "error_text.hpp"
#include "nanogate/error.hpp"
#include "nanogate/frontend/keras.hpp"
#include "nanogate/model.hpp"

using namespace nanogate;
using nanogate::testing::error_of;
namespace fs = std::filesystem;

namespace {
const std::string kModels = NANOGATE_MODELS_DIR;


std::vector<double> gaussian(int64_t rows, int64_t cols, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> d(0.0, 1.0);
  std::vector<double> x(size_t(rows * cols));
  for (auto& v : x) v = double(float(d(rng)));
  return x;
}

fs::path scratch(const std::string& name) {
  fs::path d = fs::temp_directory_path() / ("nanogate_keras_test_" + std::to_string(::getpid())) / name;
  fs::create_directories(d);
  return d;
}

void write(const fs::path& p, const std::string& text) { std::ofstream(p, std::ios::binary) << text; }

/// An HDF5 file with no groups (the weights file of a model without weights).
void empty_hdf5(const fs::path& p) {
  hid_t f = H5Fcreate(p.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  ASSERT_GE(f, 0);
  H5Fclose(f);
}
}  // namespace

TEST(KerasFrontend, DetectsTheKindFromTheContent) {
  EXPECT_EQ(detect_model_kind(kModels + "/jet/KERAS_3layer.json"), ModelKind::KerasJson);
  EXPECT_EQ(detect_model_kind(kModels + "/toycar_ad/ad01.h5"), ModelKind::KerasHdf5);
  EXPECT_EQ(detect_model_kind(kModels + "/hgq2/jsc_openml/jsc_openml_ebops530.keras"), ModelKind::KerasZip);
  EXPECT_EQ(detect_model_kind(kModels + "/jet/three_layer_keras.onnx"), ModelKind::Onnx);
  // The extension does not decide: a .json copy of an ONNX file is ONNX.
  fs::path p = scratch("kind") / "model.json";
  fs::copy_file(kModels + "/jet/three_layer_keras.onnx", p, fs::copy_options::overwrite_existing);
  EXPECT_EQ(detect_model_kind(p.string()), ModelKind::Onnx);
}

// The Keras 2 JSON + HDF5 jet tagger and its ONNX export hold the same weights:
// under the same default fixed<16,6> the emulations are the same bits.
TEST(KerasFrontend, KerasJsonJetTaggerEqualsItsOnnxExportBitForBit) {
  Model k = compile_model(kModels + "/jet/KERAS_3layer.json");
  Model o = compile_model(kModels + "/jet/three_layer_keras.onnx");
  Emulator ek(k), eo(o);
  ASSERT_EQ(ek.input_size(), 16);
  auto x = gaussian(5000, 16, 7);
  auto rk = ek.run(x.data(), 5000), ro = eo.run(x.data(), 5000);
  ASSERT_EQ(rk.raw.size(), size_t(5000 * 5));
  EXPECT_EQ(rk.raw, ro.raw);
  auto fk = Emulator(k, true).run(x.data(), 5000), fo = Emulator(o, true).run(x.data(), 5000);
  for (size_t i = 0; i < fk.values.size(); ++i) ASSERT_NEAR(fk.values[i], fo.values[i], 1e-6) << i;
}

// QKeras quantized_bits(6,0) / quantized_relu(6,0): the same exact types as the
// QONNX export, every quantized activation equal bit for bit.
TEST(KerasFrontend, QKerasJetTaggerEqualsItsQonnxExportOnEveryActivation) {
  Model k = compile_model(kModels + "/jet/qkeras_3layer.json");
  Model o = compile_model(kModels + "/jet/qkeras_jettagging.onnx");
  EXPECT_TRUE(k.graph.quantized);
  auto x = gaussian(3000, 16, 11);
  auto rk = Emulator(k).run(x.data(), 3000, true, {"relu1", "relu2", "relu3", "output"});
  auto ro = Emulator(o).run(x.data(), 3000, true, {"Quant_8_out0", "Quant_9_out0", "Quant_10_out0", "Add_3_out0"});
  EXPECT_EQ(rk.trace.at("relu1"), ro.trace.at("Quant_8_out0"));
  EXPECT_EQ(rk.trace.at("relu2"), ro.trace.at("Quant_9_out0"));
  EXPECT_EQ(rk.trace.at("relu3"), ro.trace.at("Quant_10_out0"));
  EXPECT_EQ(rk.trace.at("output"), ro.trace.at("Add_3_out0"));
  EXPECT_EQ(k.graph.tensor("relu1").type->str(), "ufixed<6,0,RND_CONV,SAT>");
}

// A Functional graph with two inputs, merges and data movement, written here:
// y = concat(a + b, a - b, (a + b) * a, average(a, b)) reshaped and permuted.
TEST(KerasFrontend, FunctionalGraphWithMergesComputesWhatKerasDefines) {
  fs::path d = scratch("functional");
  auto in = [](const char* n) {
    return std::string(R"({"class_name": "InputLayer", "name": ")") + n +
           R"(", "config": {"name": ")" + n + R"(", "batch_input_shape": [null, 3]}, "inbound_nodes": []})";
  };
  auto layer = [](const char* cls, const char* n, const std::string& cfg, const std::string& ins) {
    return std::string(R"({"class_name": ")") + cls + R"(", "name": ")" + n + R"(", "config": {"name": ")" + n +
           "\"" + cfg + R"(}, "inbound_nodes": [[)" + ins + "]]}";
  };
  auto ref = [](const char* n) { return std::string("[\"") + n + "\", 0, 0, {}]"; };
  std::string layers = in("a") + "," + in("b") + "," + layer("Add", "s", "", ref("a") + "," + ref("b")) + "," +
                       layer("Subtract", "m", "", ref("a") + "," + ref("b")) + "," +
                       layer("Multiply", "p", "", ref("s") + "," + ref("a")) + "," +
                       layer("Average", "v", "", ref("a") + "," + ref("b")) + "," +
                       layer("Concatenate", "c", R"(, "axis": -1)", ref("s") + "," + ref("m") + "," + ref("p") + "," + ref("v")) +
                       "," + layer("Reshape", "r", R"(, "target_shape": [4, 3])", ref("c")) + "," +
                       layer("Permute", "t", R"(, "dims": [2, 1])", ref("r"));
  write(d / "f.json", R"({"class_name": "Functional", "config": {"name": "f", "layers": [)" + layers +
                          R"(], "input_layers": [["a", 0, 0], ["b", 0, 0]], "output_layers": [["t", 0, 0]]}})");
  empty_hdf5(d / "f_weights.h5");
  Model m = compile_model((d / "f.json").string());
  ASSERT_EQ(m.graph.inputs, (std::vector<std::string>{"a", "b"}));
  Emulator e(m, true);
  ASSERT_EQ(e.input_size(), 6);
  ASSERT_EQ(e.output_size(), 12);
  const double a[3] = {1.5, -2, 0.25}, b[3] = {0.5, 3, -1};
  std::vector<double> x = {a[0], a[1], a[2], b[0], b[1], b[2]};
  auto r = e.run(x.data(), 1);
  // c = [s0 s1 s2 m0 m1 m2 p0 p1 p2 v0 v1 v2] as a 4x3 matrix, transposed to 3x4.
  double c[12];
  for (int i = 0; i < 3; ++i) {
    c[i] = a[i] + b[i];
    c[3 + i] = a[i] - b[i];
    c[6 + i] = (a[i] + b[i]) * a[i];
    c[9 + i] = (a[i] + b[i]) / 2;
  }
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 4; ++j) EXPECT_EQ(r.values[size_t(i * 4 + j)], c[j * 3 + i]) << i << "," << j;
}

TEST(KerasFrontend, BadFilesGiveOneLineNamingFileLayerAndReason) {
  fs::path d = scratch("errors");
  const std::string json = kModels + "/jet/KERAS_3layer.json";
  std::ifstream jf(json);
  std::string text((std::istreambuf_iterator<char>(jf)), {});
  // An unsupported layer class: the layer and its class are named.
  std::string gru = text;
  gru.replace(gru.find("\"Dense\""), 7, "\"GRU\"");
  write(d / "gru.json", gru);
  fs::copy_file(kModels + "/jet/KERAS_3layer_weights.h5", d / "gru_weights.h5", fs::copy_options::overwrite_existing);
  std::string e = error_of([&] { load_keras((d / "gru.json").string()); });
  EXPECT_NE(e.find("node 'fc1_relu' (GRU)"), std::string::npos) << e;
  EXPECT_NE(e.find("not supported"), std::string::npos) << e;
  // Missing weights file: its path is named.
  write(d / "noweights.json", text);
  e = error_of([&] { load_keras((d / "noweights.json").string()); });
  EXPECT_NE(e.find("noweights_weights.h5' not found"), std::string::npos) << e;
  // Weights of another architecture: the first mismatching layer is named.
  write(d / "other.json", text);
  fs::copy_file(kModels + "/jet/qkeras_3layer_weights.h5", d / "other_weights.h5", fs::copy_options::overwrite_existing);
  e = error_of([&] { compile_model((d / "other.json").string()); });
  EXPECT_NE(e.find("node 'fc1_relu' (Dense)"), std::string::npos) << e;
  EXPECT_NE(e.find("missing from the weights file"), std::string::npos) << e;
  // A truncated HDF5 file.
  {
    std::ifstream h(kModels + "/toycar_ad/ad01.h5", std::ios::binary);
    std::string head(1000, '\0');
    h.read(head.data(), 1000);
    write(d / "trunc.h5", head);
  }
  e = error_of([&] { load_keras((d / "trunc.h5").string()); });
  EXPECT_NE(e.find("trunc.h5: "), std::string::npos) << e;
  EXPECT_NE(e.find("HDF5"), std::string::npos) << e;
  // Invalid JSON and a JSON that is not a model.
  write(d / "broken.json", "{\"class_name\": \"Sequential\", \"config\": [");
  e = error_of([&] { load_keras((d / "broken.json").string()); });
  EXPECT_NE(e.find("not valid JSON"), std::string::npos) << e;
  EXPECT_EQ(std::count(e.begin(), e.end(), '\n'), 0) << e;
}
