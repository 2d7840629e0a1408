// Test helper: the message of the nanogate::Error a call throws.
#pragma once

#include <functional>
#include <string>

#include "nanogate/error.hpp"

namespace nanogate::testing {

/// Runs f; returns the what() of the nanogate::Error it throws, or "" when it
/// returns normally (other exceptions propagate).
inline std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace nanogate::testing
