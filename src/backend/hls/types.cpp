// nanogate HLS backend — type spelling (types.hpp).
#include "backend/hls/types.hpp"

#include "nanogate/cmvm/adder_graph.hpp"

namespace nanogate::hls {

std::string ap_type(const Fixed& t) {
  t.validate();
  return t.ap_str();
}

std::string raw_type(const Fixed& t) {
  return std::string(t.is_signed ? "ap_int<" : "ap_uint<") + std::to_string(t.width) + ">";
}

std::string exact_raw_int_type(i128 lo, i128 hi) {
  int w = cmvm::bit_width(lo < 0 ? lo : i128(-1), hi < 0 ? i128(0) : hi);  // always signed
  if (w < 1) w = 1;
  return "ap_int<" + std::to_string(w) + ">";
}

std::string raw_of(const std::string& expr, const Fixed& t) {
  return raw_type(t) + "(" + expr + ".range(" + std::to_string(t.width - 1) + ", 0))";
}

std::string describe(const Fixed& t) { return t.str(); }

}  // namespace nanogate::hls
