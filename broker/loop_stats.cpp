#include "broker/loop_stats.h"

#include <algorithm>

namespace ppe {

void LoopStats::Record(int64_t now_ms, int64_t cycle_ms) {
  const int64_t second = now_ms / 1000;
  const size_t slot = static_cast<size_t>(second % kSeconds);
  if (second_[slot] != second) {
    second_[slot] = second;
    longest_[slot] = 0;
  }
  longest_[slot] = std::max(longest_[slot], cycle_ms);
}

int64_t LoopStats::LongestMs(int64_t now_ms, int seconds) const {
  const int64_t now_second = now_ms / 1000;
  int64_t longest = 0;
  for (size_t slot = 0; slot < longest_.size(); ++slot) {
    if (now_second - second_[slot] < std::min(seconds, kSeconds)) longest = std::max(longest, longest_[slot]);
  }
  return longest;
}

}  // namespace ppe
