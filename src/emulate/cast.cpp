// nanogate — precompiled casts (cast.hpp).
#include "emulate/cast.hpp"

namespace nanogate {

CastPlan::CastPlan(int from_frac, const Fixed& to) : to_(to), from_frac_(from_frac) {
  d_ = from_frac - to.frac_bits();
  lo_ = to.min_raw();
  hi_ = to.max_raw();
  mask_ = to.width >= 64 ? ~uint64_t(0) : (uint64_t(1) << to.width) - 1;
  half_ = d_ > 0 && d_ <= 62 ? int64_t(1) << (d_ - 1) : 0;
  int ls = d_ < 0 ? -d_ : 0;
  if (ls < 62) {
    max_in_ = (int64_t(1) << (62 - ls)) - 1;
    min_in_ = -max_in_ - 1;
  }
  // Shifts beyond 62 bits and the rare overflow modes take the reference path.
  slow_ = d_ > 62 || ls >= 62 || to.width >= 64 ||
          !(to.overflow == Overflow::WRAP || to.overflow == Overflow::SAT);
}

}  // namespace nanogate
