#include "broker/water_fill.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <functional>
#include <queue>
#include <utility>
#include <vector>

namespace ppe {
namespace {

bool Eligible(const FillSite& site) { return site.cap_lots > 0; }

// The greedy's grant size for a site that holds `held` lots.
int64_t NextGrantLots(const FillSite& site, int64_t held) { return held == 0 ? FirstBlockLots(site) : 1; }

// How many of the site's lots have a key (cover before the lot) <= level. Keys are computed in
// doubles exactly as CoverBeforeLot does, so the fast-forward agrees with the greedy bit for bit:
// an arithmetic estimate is corrected by comparing real keys.
int64_t LotsKeyedAtOrBelow(const FillSite& site, int64_t lot, double level) {
  if (!Eligible(site) || CoverBeforeLot(site, lot, 1) > level) return 0;
  const double estimate = std::floor((level * site.daily_use - site.base_units) / lot) + 1;
  int64_t k = estimate >= static_cast<double>(site.cap_lots) ? site.cap_lots
              : estimate < 1                                 ? 1
                                                             : static_cast<int64_t>(estimate);
  while (k < site.cap_lots && CoverBeforeLot(site, lot, k + 1) <= level) ++k;
  while (k > 1 && CoverBeforeLot(site, lot, k) > level) --k;
  return std::max(k, FirstBlockLots(site));
}

int64_t LotsKeyedAtOrBelow(std::span<const FillSite> sites, int64_t lot, double level) {
  int64_t total = 0;
  for (const FillSite& site : sites) total += LotsKeyedAtOrBelow(site, lot, level);
  return total;
}

// Non-negative doubles order like their bit patterns, which lets a binary search find the exact
// key at which supply runs out in at most 64 steps.
double FromBits(uint64_t bits) { return std::bit_cast<double>(bits); }
uint64_t ToBits(double value) { return std::bit_cast<uint64_t>(value); }

// The smallest key level at which the lots keyed at or below it exceed the supply.
double ExhaustionLevel(std::span<const FillSite> sites, int64_t lot, int64_t supply_lots,
                       double highest_key) {
  uint64_t low = 0, high = ToBits(highest_key);
  while (low < high) {
    const uint64_t mid = low + (high - low) / 2;
    if (LotsKeyedAtOrBelow(sites, lot, FromBits(mid)) > supply_lots) {
      high = mid;
    } else {
      low = mid + 1;
    }
  }
  return FromBits(low);
}

// The lot-by-lot greedy from the sites' current grants on, serving (key, position) in order.
int64_t GreedyFill(std::span<FillSite> sites, int64_t lot, int64_t supply_lots) {
  using Entry = std::pair<double, size_t>;
  std::vector<Entry> entries;
  for (size_t i = 0; i < sites.size(); ++i) {
    const FillSite& site = sites[i];
    if (Eligible(site) && site.granted_lots < site.cap_lots) {
      entries.emplace_back(CoverBeforeLot(site, lot, site.granted_lots + 1), i);
    }
  }
  std::priority_queue<Entry, std::vector<Entry>, std::greater<>> queue(std::greater<>{},
                                                                       std::move(entries));
  int64_t handed = 0;
  while (!queue.empty() && handed < supply_lots) {
    const size_t i = queue.top().second;
    queue.pop();
    FillSite& site = sites[i];
    // The last grant may be short of a block: the lowest site gets what is left (SPEC rule 4).
    const int64_t grant = std::min(NextGrantLots(site, site.granted_lots), supply_lots - handed);
    site.granted_lots += grant;
    handed += grant;
    if (site.granted_lots < site.cap_lots) {
      queue.emplace(CoverBeforeLot(site, lot, site.granted_lots + 1), i);
    }
  }
  return handed;
}

}  // namespace

int64_t FirstBlockLots(const FillSite& site) {
  return std::clamp<int64_t>(site.min_lots, 1, std::max<int64_t>(1, site.cap_lots));
}

double CoverBeforeLot(const FillSite& site, int64_t lot, int64_t k) {
  const int64_t lots_before = k <= FirstBlockLots(site) ? 0 : k - 1;
  return static_cast<double>(site.base_units + lots_before * lot) / site.daily_use;
}

int64_t WaterFill(std::span<FillSite> sites, int64_t lot, int64_t supply_lots) {
  int64_t wanted = 0;
  double highest_key = 0;
  for (FillSite& site : sites) {
    site.granted_lots = 0;
    if (!Eligible(site)) continue;
    wanted += site.cap_lots;
    highest_key = std::max(highest_key, CoverBeforeLot(site, lot, site.cap_lots));
  }
  if (wanted <= supply_lots) {
    for (FillSite& site : sites) site.granted_lots = Eligible(site) ? site.cap_lots : 0;
    return wanted;
  }
  // Every lot keyed strictly below the exhaustion level is granted by the greedy (the supply left
  // always covers them), so jump there at once; the greedy finishes the rest, which is at most the
  // lots keyed exactly at that level.
  const uint64_t level_bits = ToBits(ExhaustionLevel(sites, lot, supply_lots, highest_key));
  int64_t handed = 0;
  if (level_bits > 0) {
    const double below = FromBits(level_bits - 1);
    for (FillSite& site : sites) {
      site.granted_lots = LotsKeyedAtOrBelow(site, lot, below);
      handed += site.granted_lots;
    }
  }
  return handed + GreedyFill(sites, lot, supply_lots - handed);
}

}  // namespace ppe
