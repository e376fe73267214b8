// Clock: the two times the service uses: wall-clock milliseconds for records people read, and a
// monotonic clock for timers and timeouts (never goes back when the wall clock is set).
#pragma once

#include <cstdint>
#include <string>

#include "common/status.h"

namespace ppe {

// Milliseconds since the Unix epoch.
int64_t NowMs();
// Milliseconds on a monotonic clock.
int64_t MonotonicMs();
// "2026-02-03 14:05:09" in local time; "-" for 0.
std::string FormatTime(int64_t ms);
// Milliseconds since the epoch of a local time as an operator types it: "2020-02-10 08:00",
// "2020-02-10 08:00:30", "2020-02-10T08:00" or "2020-02-10" (midnight). Strict: a date that does
// not exist (2020-02-30, month 13) or anything after the time is an error naming the format.
Result<int64_t> ParseLocalTime(const std::string& text);
// Days since 1970-01-01 (negative before) of a calendar date written YYYY-MM-DD, as printed on a
// box ("2020-06-30"); spaces and a CR around it are ignored. No time and no zone: a date is the
// same day everywhere. Strict as ParseLocalTime: "2020-2-3", "30/06/2020", trailing text, month
// 13 or February 30 is an error that shows the text and how to write a date.
Result<int64_t> ParseDate(const std::string& text);

}  // namespace ppe
