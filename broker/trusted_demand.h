// TrustedDemand: decides the daily use the allocator works with, the lowest of what a site reported,
// its headcount ceiling and a margin over what its own counts show it used (SPEC rule 7), and why.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "common/city.h"

namespace ppe {

// What two counts of a site, at least kObservationSpanMs apart, say about its use of an item.
enum class ObservedUse {
  kNone,          // no earlier count far enough back
  kObserved,      // a figure: earlier on hand + landed between - later on hand, per day
  kRanOut,        // the later count is 0: it used all it had, so the figure says nothing
  kInconsistent,  // zero or negative: more on hand than it had and received (goods from outside
                  // the system, or a copied figure); flagged, never used
};
std::string_view ObservedUseName(ObservedUse state);
ObservedUse ObservedUseFromName(std::string_view name);  // kNone for an unknown name

inline constexpr int64_t kObservationSpanMs = 24 * 3600 * 1000;

struct UseObservation {
  ObservedUse state = ObservedUse::kNone;
  double daily_use = 0;  // kObserved only
};

UseObservation ObserveUse(int64_t earlier_on_hand, int64_t landed_between, int64_t later_on_hand,
                          int64_t span_ms);

// Which figure set the daily use the allocator works with.
enum class CapBy { kReported, kCeiling, kObserved };
std::string_view CapByName(CapBy by);  // "reported", "ceiling", "observed"

struct TrustedUse {
  double reported = 0;
  std::optional<double> ceiling;   // none when the site has no headcount or the item no per-head use
  std::optional<double> observed;  // a usable observation only
  double used = 0;
  CapBy set_by = CapBy::kReported;
  bool stale = false;
  bool inconsistent = false;  // its counts contradict each other (ObservedUse::kInconsistent)

  bool capped() const { return set_by != CapBy::kReported; }
};

// `observed_margin` 0 turns the observed cap off; a demand counted more than stale_after_days
// before `now_ms` still counts, flagged stale.
TrustedUse TrustDailyUse(const Policy& policy, const Item* item, const Site* site, double reported,
                         const UseObservation& observation, int64_t as_of_ms, int64_t now_ms);

}  // namespace ppe
