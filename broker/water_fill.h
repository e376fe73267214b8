// Water-filling: hands whole lots of one item to the sites of one tier, lowest days of cover first.
// Exact and deterministic: the result equals the lot-by-lot greedy, in O(sites × 64) plus a short tail.
#pragma once

#include <cstdint>
#include <span>

namespace ppe {

// One site's stake in a fill. Quantities are in units of the item's demand, grants in lots.
struct FillSite {
  int64_t base_units = 0;  // on hand + in transit + already allocated this round
  double daily_use = 0;    // > 0
  int64_t cap_lots = 0;    // most lots it may take: ceil(need / lot)
  int64_t min_lots = 1;    // its first grant is at least this many lots (min order)
  int64_t granted_lots = 0;  // output
};

// Days of cover a site has before its k-th lot (k >= 1). The first min_lots lots form one block
// keyed at the site's starting cover, so a first order is never below the minimum.
double CoverBeforeLot(const FillSite& site, int64_t lot, int64_t k);

// Grants up to supply_lots lots among `sites` (given in tie-break order, i.e. by site id).
// The result is the greedy that repeatedly serves the site with the lowest (cover before its next
// grant, position), where a site's next grant is its min_lots block while it has nothing yet and
// one lot after that; a block that does not fit in what is left is skipped for good and the lots
// go on to the others. Sites with cap_lots < min_lots get nothing. Returns the lots handed out.
int64_t WaterFill(std::span<FillSite> sites, int64_t lot, int64_t supply_lots);

}  // namespace ppe
