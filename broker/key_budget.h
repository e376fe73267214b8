// KeyBudgets: what one key may cost the broker in a minute, beyond its per-cycle share: refusal
// rows stored, ledger rows written, log lines. Memory is one small entry per key that spoke.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace ppe {

// Per key and per minute. The defaults sit far above what a real county sends (a few thousand
// reports a day; an import of 100,000 rows is the largest burst seen) and bound what a key in
// the wrong hands can do to the broker's disk and log. broker.yaml may change each.
struct MinuteLimits {
  int64_t refusals_stored = 600;     // more are counted per node, not stored one by one
  int64_t ledger_rows = 2'000'000;   // more are refused RATE_LIMITED and sent again later
  int64_t log_lines = 60;            // more are counted, then said in one summary line
};

class KeyBudgets {
 public:
  explicit KeyBudgets(MinuteLimits limits) : limits_(limits) {}

  // Each takes from `key`'s budget of the minute that holds now_ms; false when it is spent.
  bool TakeRefusalRow(const std::string& key, int64_t now_ms);
  bool TakeLedgerRows(const std::string& key, int64_t rows, int64_t now_ms);
  bool TakeLogLine(const std::string& key, int64_t now_ms);

  // Keys whose log lines were suppressed in a minute that has ended, with how many; each is
  // reported once. Call once a cycle.
  std::vector<std::pair<std::string, int64_t>> TakeSuppressed(int64_t now_ms);

  const MinuteLimits& limits() const { return limits_; }

 private:
  struct Window {
    int64_t start_ms = 0;
    int64_t refusals = 0, ledger_rows = 0, log_lines = 0, suppressed = 0;
  };
  Window& Current(const std::string& key, int64_t now_ms);

  MinuteLimits limits_;
  std::map<std::string, Window> windows_;
  std::vector<std::pair<std::string, int64_t>> ended_;
};

}  // namespace ppe
