// Configuration parsing: hls4ml-style sections, strict keys, clear errors.
#include <gtest/gtest.h>

#include "nanogate/config.hpp"
#include "nanogate/error.hpp"

using namespace nanogate;

namespace {
std::string error_of(const std::string& text, bool yaml = false) {
  try {
    parse_config(text, "cfg.json", yaml);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST(Config, ParsesSectionsAndPerRoleTypes) {
  Config c = parse_config(R"({
    "Model": {"Precision": "fixed<18,8>", "ReuseFactor": 4, "Strategy": "resource"},
    "LayerType": {"Dense": {"Precision": {"accum": "auto"}}},
    "LayerName": {"fc1": {"Precision": {"weight": "ap_fixed<6,1>", "result": "ufixed<8,3,RND_CONV,SAT>"},
                          "ReuseFactor": 2}}})",
                          "cfg.json");
  EXPECT_EQ(c.default_precision, (Fixed{true, 18, 8}));
  EXPECT_EQ(c.model.reuse_factor.value(), 4);
  EXPECT_EQ(c.model.strategy.value(), "Resource");
  ASSERT_TRUE(c.by_type.at("Dense").precision.accum);
  EXPECT_TRUE(c.by_type.at("Dense").precision.accum->is_auto);
  const auto& fc1 = c.by_name.at("fc1");
  EXPECT_EQ(fc1.precision.weight->type, (Fixed{true, 6, 1}));
  EXPECT_EQ(fc1.precision.result->type, (Fixed{false, 8, 3, Rounding::RND_CONV, Overflow::SAT}));
  EXPECT_FALSE(fc1.precision.bias);
  EXPECT_EQ(fc1.reuse_factor.value(), 2);
}

TEST(Config, SingleTypeSetsEveryRoleLikeHls4ml) {
  Config c = parse_config(R"({"LayerName": {"fc1": {"Precision": "fixed<8,3>"}}})", "cfg.json");
  const auto& p = c.by_name.at("fc1").precision;
  for (auto* r : {&p.weight, &p.bias, &p.accum, &p.result}) EXPECT_EQ((*r)->type, (Fixed{true, 8, 3}));
}

TEST(Config, YamlIsTheSameTree) {
  Config c = parse_config("Model:\n  Precision: fixed<12,4>\nLayerName:\n  fc1:\n    ReuseFactor: 3\n", "cfg.yaml", true);
  EXPECT_EQ(c.default_precision, (Fixed{true, 12, 4}));
  EXPECT_EQ(c.by_name.at("fc1").reuse_factor.value(), 3);
}

TEST(Config, ErrorsNameTheKeyPathAndReason) {
  EXPECT_NE(error_of(R"({"Modle": {}})").find("Modle: unknown section"), std::string::npos);
  EXPECT_NE(error_of(R"({"Model": {"Precison": "fixed<8,3>"}})").find("Model.Precison: unknown key"), std::string::npos);
  EXPECT_NE(error_of(R"({"LayerName": {"a": {"Precision": {"acum": "fixed<8,3>"}}}})").find("LayerName.a.Precision.acum"),
            std::string::npos);
  std::string e = error_of(R"({"LayerName": {"a": {"Precision": "fixed<8"}}})");
  EXPECT_NE(e.find("cfg.json"), std::string::npos);
  EXPECT_NE(e.find("LayerName.a.Precision"), std::string::npos);
  EXPECT_NE(e.find("fixed<8"), std::string::npos);
  EXPECT_NE(error_of(R"({"LayerType": {"Dance": {}}})").find("unknown layer type"), std::string::npos);
  EXPECT_NE(error_of(R"({"Model": {"ReuseFactor": 0}})").find("ReuseFactor"), std::string::npos);
  EXPECT_NE(error_of(R"({"Model": {"Strategy": "Fast"}})").find("unknown strategy 'Fast'"), std::string::npos);
  EXPECT_NE(error_of("{not json").find("cannot parse"), std::string::npos);
  EXPECT_NE(error_of(R"({"Model": {"Precision": "fixed<0,3>"}})").find("width"), std::string::npos);
}

TEST(Config, MissingFileIsAnError) {
  EXPECT_THROW(load_config("/nonexistent/cfg.json"), Error);
}
