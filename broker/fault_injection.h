// FaultInjection: the broker's fault points for tests, armed by the PPE_FAULT environment variable
// read once at start (docs/operations.md). Unarmed, nothing is checked; armed, only as asked.
#pragma once

#include <cstdint>
#include <string>

#include "common/status.h"

namespace ppe {

enum class FaultKind {
  kNone,
  // raise(SIGKILL) right after the Nth commit that wrote order events, before the dispatch log
  // file sees them: the crash the log's catch-up exists for.
  kKillAfterCommit,
};

struct FaultPlan {
  FaultKind kind = FaultKind::kNone;
  int64_t count = 0;  // N
};

// "kill-after-commit:N" (N >= 1); empty or null: no fault. Anything else is refused, so a typo
// in a test cannot silently test nothing.
Result<FaultPlan> ParseFault(const char* text);

// What PPE_FAULT said, in words for the broker's log.
std::string DescribeFault(const FaultPlan& plan);

}  // namespace ppe
