// TrendBook: the days of cover of every county and item as ppe-web saw them over the last day, so
// the city page can say how each changed (the broker keeps no such series). Bounded: one sample
// per interval, nothing older than a day and the interval is kept.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

namespace ppe::web {

class TrendBook {
 public:
  using Key = std::pair<std::string, std::string>;  // county, item
  static constexpr int64_t kDayMs = 24 * 3600 * 1000;

  explicit TrendBook(int64_t interval_ms = 5 * 60 * 1000) : interval_ms_(interval_ms) {}

  // Keeps `cover` as of `now_ms` when the last sample is an interval old (or there is none).
  void Record(int64_t now_ms, const std::map<Key, double>& cover);
  // The change of `current` since the sample nearest a day before `now_ms` (the oldest one when
  // ppe-web has run for less than a day); none when there is no earlier figure. `since_ms` gets
  // the time of the sample it compares with.
  std::optional<double> Change(const Key& key, double current, int64_t now_ms, int64_t* since_ms = nullptr) const;

 private:
  struct Sample {
    int64_t at_ms = 0;
    std::map<Key, double> cover;
  };
  const int64_t interval_ms_;
  mutable std::mutex mutex_;
  std::deque<Sample> samples_;
};

}  // namespace ppe::web
