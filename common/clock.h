// Clock: the two times the service uses: wall-clock milliseconds for records people read, and a
// monotonic clock for timers and timeouts (never goes back when the wall clock is set).
#pragma once

#include <cstdint>
#include <string>

namespace ppe {

// Milliseconds since the Unix epoch.
int64_t NowMs();
// Milliseconds on a monotonic clock.
int64_t MonotonicMs();
// "2026-02-03 14:05:09" in local time; "-" for 0.
std::string FormatTime(int64_t ms);

}  // namespace ppe
