#include "broker/trusted_demand.h"

#include <cmath>

namespace ppe {

std::string_view ObservedUseName(ObservedUse state) {
  switch (state) {
    case ObservedUse::kObserved: return "observed";
    case ObservedUse::kRanOut: return "ran_out";
    case ObservedUse::kInconsistent: return "inconsistent";
    case ObservedUse::kNone: break;
  }
  return "none";
}

ObservedUse ObservedUseFromName(std::string_view name) {
  for (ObservedUse state : {ObservedUse::kObserved, ObservedUse::kRanOut, ObservedUse::kInconsistent}) {
    if (ObservedUseName(state) == name) return state;
  }
  return ObservedUse::kNone;
}

std::string_view CapByName(CapBy by) {
  switch (by) {
    case CapBy::kCeiling: return "ceiling";
    case CapBy::kObserved: return "observed";
    case CapBy::kReported: break;
  }
  return "reported";
}

UseObservation ObserveUse(int64_t earlier_on_hand, int64_t landed_between, int64_t later_on_hand,
                          int64_t span_ms) {
  if (span_ms < kObservationSpanMs) return {};
  // A site that ran out used at least what it had; how much more it needed nobody counted.
  if (later_on_hand == 0) return {ObservedUse::kRanOut, 0};
  const int64_t used = earlier_on_hand + landed_between - later_on_hand;
  // No use at all between two counts a day apart is far likelier a copied cell than a hospital
  // that used nothing: capping it to zero would starve the site on a typing slip.
  if (used <= 0) return {ObservedUse::kInconsistent, 0};
  return {ObservedUse::kObserved, static_cast<double>(used) * kObservationSpanMs / span_ms};
}

TrustedUse TrustDailyUse(const Policy& policy, const Item* item, const Site* site, double reported,
                         const UseObservation& observation, int64_t as_of_ms, int64_t now_ms) {
  TrustedUse trust;
  trust.reported = reported;
  trust.used = reported;
  if (item && site && item->per_head_daily > 0 && site->headcount > 0) {
    trust.ceiling = policy.use_ceiling * static_cast<double>(site->headcount) * item->per_head_daily;
  }
  if (observation.state == ObservedUse::kObserved) trust.observed = observation.daily_use;
  trust.inconsistent = observation.state == ObservedUse::kInconsistent;
  if (trust.ceiling && *trust.ceiling < trust.used) {
    trust.used = *trust.ceiling;
    trust.set_by = CapBy::kCeiling;
  }
  if (trust.observed && policy.observed_margin > 0 && policy.observed_margin * *trust.observed < trust.used) {
    trust.used = policy.observed_margin * *trust.observed;
    trust.set_by = CapBy::kObserved;
  }
  trust.stale = now_ms - as_of_ms > std::llround(policy.stale_after_days * 86'400'000.0);
  return trust;
}

}  // namespace ppe
