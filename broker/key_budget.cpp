#include "broker/key_budget.h"

namespace ppe {
namespace {

constexpr int64_t kMinuteMs = 60'000;

}  // namespace

KeyBudgets::Window& KeyBudgets::Current(const std::string& key, int64_t now_ms) {
  Window& w = windows_[key];
  if (now_ms - w.start_ms >= kMinuteMs) {
    if (w.suppressed > 0) ended_.emplace_back(key, w.suppressed);
    w = Window{now_ms};
  }
  return w;
}

bool KeyBudgets::TakeRefusalRow(const std::string& key, int64_t now_ms) {
  return ++Current(key, now_ms).refusals <= limits_.refusals_stored;
}

bool KeyBudgets::TakeLedgerRows(const std::string& key, int64_t rows, int64_t now_ms) {
  Window& w = Current(key, now_ms);
  if (w.ledger_rows + rows > limits_.ledger_rows) return false;
  w.ledger_rows += rows;
  return true;
}

bool KeyBudgets::TakeLogLine(const std::string& key, int64_t now_ms) {
  Window& w = Current(key, now_ms);
  if (++w.log_lines <= limits_.log_lines) return true;
  ++w.suppressed;
  return false;
}

std::vector<std::pair<std::string, int64_t>> KeyBudgets::TakeSuppressed(int64_t now_ms) {
  for (auto& [key, w] : windows_) {
    if (w.suppressed > 0 && now_ms - w.start_ms >= kMinuteMs) {
      ended_.emplace_back(key, w.suppressed);
      w.suppressed = 0;
    }
  }
  std::vector<std::pair<std::string, int64_t>> out;
  out.swap(ended_);
  return out;
}

}  // namespace ppe
