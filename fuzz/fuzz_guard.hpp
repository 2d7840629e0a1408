// nanogate fuzzing — guarded(): the exception classification every target
// shares (user errors are fine if they are one line; anything else is a bug).
#pragma once

#include <exception>
#include <string>

#include "nanogate/error.hpp"
#include "nanogate/fixed.hpp"
#include "nanogate/io/table.hpp"

namespace nanogate::fuzz {

template <class F>
void guarded(F&& body) {
  try {
    body();
  } catch (const Error& e) {
    check_error_message(e.what());
  } catch (const IoError& e) {
    check_error_message(e.what());
  } catch (const FixedTypeError& e) {
    check_error_message(e.what());
  } catch (const std::exception& e) {
    finding(std::string("internal error (not a nanogate::Error): ") + e.what());
  }
}

}  // namespace nanogate::fuzz
