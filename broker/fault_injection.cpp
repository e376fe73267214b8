#include "broker/fault_injection.h"

#include <cstdlib>

namespace ppe {

Result<FaultPlan> ParseFault(const char* text) {
  FaultPlan plan;
  if (!text || !*text) return plan;
  const std::string value = text;
  const std::string kill = "kill-after-commit:";
  if (value.rfind(kill, 0) == 0) {
    char* end = nullptr;
    const long long n = std::strtoll(value.c_str() + kill.size(), &end, 10);
    if (end != value.c_str() + kill.size() && *end == '\0' && n >= 1) {
      plan.kind = FaultKind::kKillAfterCommit;
      plan.count = n;
      return plan;
    }
  }
  return Status::Error("PPE_FAULT='" + value + "' is not understood: the only fault is kill-after-commit:N "
                       "(N >= 1); unset it to run normally");
}

std::string DescribeFault(const FaultPlan& plan) {
  switch (plan.kind) {
    case FaultKind::kNone:
      return "none";
    case FaultKind::kKillAfterCommit:
      return "SIGKILL after commit " + std::to_string(plan.count) + " that writes order events";
  }
  return "unknown";
}

}  // namespace ppe
