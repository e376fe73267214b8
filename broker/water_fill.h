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
  int64_t min_lots = 1;    // its first grant is at least this many lots (min order), or all it needs
  int64_t granted_lots = 0;  // output
};

// The first grant's size: the minimum order, or the site's whole need when that is less.
int64_t FirstBlockLots(const FillSite& site);

// Days of cover a site has before its k-th lot (k >= 1). The first block of FirstBlockLots lots
// is keyed at the site's starting cover: a site with nothing yet is served at its own cover.
double CoverBeforeLot(const FillSite& site, int64_t lot, int64_t k);

// Grants up to supply_lots lots among `sites` (given in tie-break order, i.e. by site id).
// The result is the greedy that repeatedly serves the site with the lowest (cover before its next
// grant, position), where a site's next grant is its first block while it has nothing yet and one
// lot after that. When what is left is less than the next grant, that site gets what is left and
// the fill ends: nothing is ever skipped, so the order in which sites are served does not depend
// on the supply, and more supply never gives any site less. Returns the lots handed out.
int64_t WaterFill(std::span<FillSite> sites, int64_t lot, int64_t supply_lots);

}  // namespace ppe
