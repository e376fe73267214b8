// LoopStats: how long the broker's loop works per cycle, kept as per-second maxima over the last
// minute, so `status` can say whether anything held up the reports (a plan, a backup, a burst).
#pragma once

#include <array>
#include <cstdint>

namespace ppe {

class LoopStats {
 public:
  static constexpr int kSeconds = 60;

  // One cycle of `cycle_ms` that ended at `now_ms` (wall clock).
  void Record(int64_t now_ms, int64_t cycle_ms);
  // The longest cycle that ended in the last `seconds` (at most kSeconds) before `now_ms`.
  int64_t LongestMs(int64_t now_ms, int seconds) const;

 private:
  std::array<int64_t, kSeconds> longest_{};
  std::array<int64_t, kSeconds> second_{};  // which second each slot holds
};

}  // namespace ppe
