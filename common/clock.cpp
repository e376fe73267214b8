#include "common/clock.h"

#include <chrono>
#include <ctime>

#include "common/text_encoding.h"

namespace ppe {
namespace {

// The number written in text[at, at + count), or -1 when any of it is not a digit.
int Digits(const std::string& text, size_t at, size_t count) {
  int value = 0;
  for (size_t i = at; i < at + count; ++i) {
    if (text[i] < '0' || text[i] > '9') return -1;
    value = value * 10 + (text[i] - '0');
  }
  return value;
}

// Days from 1970-01-01 to a proleptic Gregorian date (H. Hinnant's days_from_civil): plain
// arithmetic, so a date means the same day whatever the zone, and years mktime cannot hold work.
int64_t DaysFromCivil(int64_t year, int month, int day) {
  year -= month <= 2;
  const int64_t era = (year >= 0 ? year : year - 399) / 400;
  const int64_t year_of_era = year - era * 400;
  const int64_t day_of_year = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
  const int64_t day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
  return era * 146097 + day_of_era - 719468;
}

int DaysInMonth(int year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 && leap ? 29 : kDays[month - 1];
}

}  // namespace

int64_t NowMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

int64_t MonotonicMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

std::string FormatTime(int64_t ms) {
  if (ms <= 0) return "-";
  std::time_t seconds = ms / 1000;
  std::tm local{};
  localtime_r(&seconds, &local);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &local);
  return buf;
}

// By hand, not strptime: strptime skips spaces, takes one-digit fields and stops without a word at
// trailing text, so "2020-2-3 8:00 pm" would pass as something the operator did not mean.
Result<int64_t> ParseLocalTime(const std::string& raw) {
  const size_t b = raw.find_first_not_of(" \t\r");
  const std::string text = b == std::string::npos ? "" : raw.substr(b, raw.find_last_not_of(" \t\r") - b + 1);
  const std::string shown = std::string("'").append(EscapeControl(text)).append("'");
  const Status bad = Status::Error(shown + " is not a time; write it like 2020-02-10 08:00");
  const size_t n = text.size();
  if (n != 10 && n != 16 && n != 19) return bad;
  if (text[4] != '-' || text[7] != '-') return bad;
  if (n > 10 && ((text[10] != ' ' && text[10] != 'T') || text[13] != ':')) return bad;
  if (n == 19 && text[16] != ':') return bad;
  const int year = Digits(text, 0, 4), month = Digits(text, 5, 2), day = Digits(text, 8, 2);
  const int hour = n > 10 ? Digits(text, 11, 2) : 0, minute = n > 10 ? Digits(text, 14, 2) : 0;
  const int second = n == 19 ? Digits(text, 17, 2) : 0;
  if (year < 0 || month < 0 || day < 0 || hour < 0 || minute < 0 || second < 0) return bad;
  std::tm local{};
  local.tm_year = year - 1900;
  local.tm_mon = month - 1;
  local.tm_mday = day;
  local.tm_hour = hour;
  local.tm_min = minute;
  local.tm_sec = second;
  local.tm_isdst = -1;  // the zone's rule for that date decides, as the operator's wall clock did
  // mktime moves Feb 30 to Mar 1 and 25:00 to the next day: a field that moved did not exist.
  const std::time_t seconds = std::mktime(&local);
  const bool exists = local.tm_year == year - 1900 && local.tm_mon == month - 1 && local.tm_mday == day &&
                      local.tm_hour == hour && local.tm_min == minute && local.tm_sec == second;
  // 0 and below: before 1970, and 0 is the wire's "no time given".
  if (seconds <= 0 || !exists) {
    return Status::Error(shown + " is not a time on the calendar here (no such month, day, hour or minute); "
                         "write it like 2020-02-10 08:00");
  }
  return static_cast<int64_t>(seconds) * 1000;
}

Result<int64_t> ParseDate(const std::string& raw) {
  const size_t b = raw.find_first_not_of(" \t\r");
  const std::string text = b == std::string::npos ? "" : raw.substr(b, raw.find_last_not_of(" \t\r") - b + 1);
  // Echoed escaped, and cut: a pasted paragraph need not come back whole to say it is no date.
  const std::string shown = "'" + EscapeControl(TruncateUtf8(text, 40)) + (Utf8Length(text) > 40 ? "...'" : "'");
  constexpr const char* kHow = "write it like 2020-06-30 (year-month-day, with the zeros)";
  const Status bad = Status::Error(shown + " is not a date; " + kHow);
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return bad;
  const int year = Digits(text, 0, 4), month = Digits(text, 5, 2), day = Digits(text, 8, 2);
  if (year < 0 || month < 0 || day < 0) return bad;
  static constexpr const char* kMonths[] = {"January", "February", "March",     "April",   "May",      "June",
                                            "July",    "August",   "September", "October", "November", "December"};
  if (month < 1 || month > 12) {
    return Status::Error(shown + " is not a date on the calendar (there is no month " + std::to_string(month) +
                         "); " + kHow);
  }
  if (day < 1 || day > DaysInMonth(year, month)) {
    return Status::Error(shown + " is not a date on the calendar (" + kMonths[month - 1] + " " +
                         std::to_string(year) + " has " + std::to_string(DaysInMonth(year, month)) + " days); " +
                         kHow);
  }
  return DaysFromCivil(year, month, day);
}

}  // namespace ppe
