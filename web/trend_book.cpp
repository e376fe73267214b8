#include "web/trend_book.h"

#include <cmath>

namespace ppe::web {

void TrendBook::Record(int64_t now_ms, const std::map<Key, double>& cover) {
  std::lock_guard lock(mutex_);
  if (!samples_.empty() && now_ms - samples_.back().at_ms < interval_ms_) return;
  samples_.push_back({now_ms, cover});
  while (samples_.size() > 1 && now_ms - samples_.front().at_ms > kDayMs + interval_ms_) samples_.pop_front();
}

std::optional<double> TrendBook::Change(const Key& key, double current, int64_t now_ms, int64_t* since_ms) const {
  std::lock_guard lock(mutex_);
  const Sample* best = nullptr;
  for (const Sample& s : samples_) {
    if (s.at_ms >= now_ms) break;  // only what came before
    if (!best || std::llabs(now_ms - kDayMs - s.at_ms) < std::llabs(now_ms - kDayMs - best->at_ms)) best = &s;
  }
  if (!best) return std::nullopt;
  const auto it = best->cover.find(key);
  if (it == best->cover.end()) return std::nullopt;
  if (since_ms) *since_ms = best->at_ms;
  return std::round((current - it->second) * 100) / 100;
}

}  // namespace ppe::web
