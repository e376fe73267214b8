// The round: tier by tier, each item's own stock fills its own demand (water_fill.h), then each
// substitute's leftover fills what it may substitute for; then, per shipped item, one exact
// transportation problem between county places picks the warehouses (sourcing.h).
// Minimum order: a site's first grant is one block of its minimum (or its whole need, if less),
// served at its own cover; the last grant of a pool may be short of a block (see WaterFill).
#include "broker/allocator.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <map>
#include <optional>
#include <string_view>
#include <tuple>
#include <utility>

#include "broker/sourcing.h"
#include "broker/water_fill.h"

namespace ppe {
namespace {

// Forgives floating-point dust such as 0.1 × 30 = 3.0000000000000004 when rounding up to lots.
constexpr double kDust = 1e-9;

int64_t LotsToCover(double units, int64_t lot) {
  return units <= kDust ? 0 : static_cast<int64_t>(std::ceil(units / lot - kDust));
}

// Entities sorted by id: every tie-break and the output order follow these ranks, so the plan
// does not depend on the order of the city file or of the snapshot.
template <typename T>
std::vector<const T*> SortedById(const std::vector<T>& all) {
  std::vector<const T*> sorted;
  for (const T& entity : all) sorted.push_back(&entity);
  std::sort(sorted.begin(), sorted.end(), [](const T* a, const T* b) { return a->id < b->id; });
  return sorted;
}

// Rank of each entity by its position in the city's list; the city's own index finds them.
template <typename T>
std::vector<size_t> RanksByPosition(const std::vector<T>& all, const std::vector<const T*>& sorted) {
  std::vector<size_t> rank(all.size());
  for (size_t r = 0; r < sorted.size(); ++r) rank[sorted[r] - all.data()] = r;
  return rank;
}

// The rank of an entity the city found, or nothing when it found none.
template <typename T>
std::optional<size_t> RankOf(const T* found, const std::vector<T>& all,
                             const std::vector<size_t>& ranks) {
  return found ? std::optional(ranks[found - all.data()]) : std::nullopt;
}

// One site's demand for one item, with daily use > 0.
struct Demand {
  size_t site = 0;  // rank
  int tier = 0;
  int64_t base_units = 0;  // on hand + in transit
  double daily_use = 0;
  int64_t allocated_units = 0;  // this round, of the item itself and of its substitutes

  double DaysBefore() const { return base_units / daily_use; }
  double DaysAfter() const { return (base_units + allocated_units) / daily_use; }
};

int TierOf(const Demand& d) { return d.tier; }
int TierOf(int tier) { return tier; }

// Whole lots of one item not yet promised this round.
struct Pool {
  int64_t general = 0;
  int64_t reserve = 0;
};

// Lots of `ship_item` that go to demands[for_item][demand].
struct Grant {
  size_t ship_item = 0, for_item = 0, demand = 0;
  int64_t lots = 0;
};

// An order before it gets its strings; sorting these is cheap.
struct OrderDraft {
  int tier = 0;
  size_t for_item = 0, site = 0, warehouse = 0, ship_item = 0;  // ranks: the output order
  const Demand* demand = nullptr;
  int64_t lots = 0;
  double distance_km = 0;

  auto Key() const { return std::tie(tier, for_item, site, warehouse, ship_item); }
};

class Allocation {
 public:
  Allocation(const City& city, const std::vector<WarehouseStock>& stock,
             const std::vector<SiteDemand>& demand);
  AllocationPlan Run();

 private:
  void LoadStock(const std::vector<WarehouseStock>& stock);
  void LoadDemand(const std::vector<SiteDemand>& demand);
  bool Released(int tier) const;
  void Fill(size_t ship_item, size_t for_item, int tier);
  TransportNetwork BuildNetwork();
  void Source(size_t ship_item, TransportNetwork& network, std::vector<OrderDraft>& drafts);
  PlannedOrder Materialize(const OrderDraft& draft) const;
  double DistanceKm(size_t county_a, size_t county_b);
  std::string Reason(size_t warehouse, size_t site_county, double km) const;
  std::vector<SiteCoverage> Coverage() const;

  const City& city_;
  std::vector<const Item*> items_;
  std::vector<const Site*> sites_;
  std::vector<const Warehouse*> warehouses_;
  std::vector<size_t> item_rank_, site_rank_, warehouse_rank_;  // by position in the city
  std::vector<std::string_view> counties_;  // by id, then kCityCounty
  std::vector<size_t> site_county_, warehouse_county_;
  std::vector<double> distance_km_;  // county × county, NaN until first asked
  size_t reserve_ = std::numeric_limits<size_t>::max();  // warehouse rank of the city reserve

  std::vector<std::vector<int64_t>> stock_lots_;  // [item][warehouse]
  std::vector<Pool> pools_;                       // [item]
  std::vector<std::vector<Demand>> demands_;      // [item], sorted by (tier, site)
  std::vector<Grant> grants_;
  std::vector<FillSite> fill_scratch_;

  // Sourcing places: warehouses of one county are one source (the reserve is one of its own),
  // sites of one county are one sink. Everything in a place is equally far from everything.
  std::vector<std::vector<size_t>> source_warehouses_;  // warehouse ranks, in rank order
  std::vector<size_t> source_county_, sink_county_;
  std::vector<size_t> sink_of_county_;
  size_t reserve_source_ = std::numeric_limits<size_t>::max();
};

Allocation::Allocation(const City& city, const std::vector<WarehouseStock>& stock,
                       const std::vector<SiteDemand>& demand)
    : city_(city),
      items_(SortedById(city.items())),
      sites_(SortedById(city.sites())),
      warehouses_(SortedById(city.warehouses())),
      item_rank_(RanksByPosition(city.items(), items_)),
      site_rank_(RanksByPosition(city.sites(), sites_)),
      warehouse_rank_(RanksByPosition(city.warehouses(), warehouses_)) {
  const std::vector<const County*> counties = SortedById(city.counties());
  for (const County* county : counties) counties_.push_back(county->id);
  counties_.push_back(kCityCounty);
  const std::vector<size_t> county_rank = RanksByPosition(city.counties(), counties);
  const auto county_index = [&](const std::string& id) {
    return RankOf(city.FindCounty(id), city.counties(), county_rank).value_or(counties.size());
  };
  distance_km_.assign(counties_.size() * counties_.size(), std::nan(""));
  for (const Site* site : sites_) site_county_.push_back(county_index(site->county));
  for (const Warehouse* w : warehouses_) warehouse_county_.push_back(county_index(w->county));
  reserve_ = RankOf(city.FindWarehouse(city.policy().reserve_warehouse), city.warehouses(),
                    warehouse_rank_)
                 .value_or(reserve_);
  LoadStock(stock);
  LoadDemand(demand);
}

void Allocation::LoadStock(const std::vector<WarehouseStock>& stock) {
  std::vector<std::vector<int64_t>> units(items_.size(),
                                          std::vector<int64_t>(warehouses_.size(), 0));
  for (const WarehouseStock& row : stock) {
    const std::optional<size_t> item = RankOf(city_.FindItem(row.item), city_.items(), item_rank_);
    const std::optional<size_t> warehouse =
        RankOf(city_.FindWarehouse(row.warehouse), city_.warehouses(), warehouse_rank_);
    if (item && warehouse) units[*item][*warehouse] += std::max<int64_t>(0, row.available);
  }
  // Only whole lots can ship; a remainder below one lot stays where it is.
  stock_lots_.assign(items_.size(), std::vector<int64_t>(warehouses_.size(), 0));
  pools_.assign(items_.size(), Pool{});
  for (size_t item = 0; item < items_.size(); ++item) {
    for (size_t warehouse = 0; warehouse < warehouses_.size(); ++warehouse) {
      const int64_t lots = units[item][warehouse] / items_[item]->lot;
      stock_lots_[item][warehouse] = lots;
      (warehouse == reserve_ ? pools_[item].reserve : pools_[item].general) += lots;
    }
  }
}

void Allocation::LoadDemand(const std::vector<SiteDemand>& demand) {
  demands_.assign(items_.size(), {});
  for (const SiteDemand& row : demand) {
    const std::optional<size_t> item = RankOf(city_.FindItem(row.item), city_.items(), item_rank_);
    const std::optional<size_t> site = RankOf(city_.FindSite(row.site), city_.sites(), site_rank_);
    if (!item || !site || !(row.daily_use > 0) || !std::isfinite(row.daily_use)) continue;
    const int64_t base = std::max<int64_t>(0, row.on_hand) + std::max<int64_t>(0, row.in_transit);
    demands_[*item].push_back({*site, sites_[*site]->tier, base, row.daily_use});
  }
  // Sorted on every field so that even duplicate (site, item) rows, of which the first is kept,
  // do not make the plan depend on input order.
  const auto key = [](const Demand& d) {
    return std::tie(d.tier, d.site, d.base_units, d.daily_use);
  };
  for (std::vector<Demand>& list : demands_) {
    std::sort(list.begin(), list.end(),
              [&](const Demand& a, const Demand& b) { return key(a) < key(b); });
    list.erase(std::unique(list.begin(), list.end(),
                           [](const Demand& a, const Demand& b) { return a.site == b.site; }),
               list.end());
  }
}

bool Allocation::Released(int tier) const {
  const std::vector<int>& tiers = city_.policy().release_to_tiers;
  return std::find(tiers.begin(), tiers.end(), tier) != tiers.end();
}

// `ship_item`'s remaining lots over `tier`'s sites with demand for `for_item`. The tier gets what
// the higher tiers left, which is nothing unless every one of their sites that could use this pool
// reached its target (WaterFill never leaves a lot while a site can take it). A released tier
// draws on the reserve first, keeping general stock for tiers that cannot use the reserve.
void Allocation::Fill(size_t ship_item, size_t for_item, int tier) {
  const Policy& policy = city_.policy();
  const int64_t lot = items_[ship_item]->lot;
  Pool& pool = pools_[ship_item];
  std::vector<Demand>& demands = demands_[for_item];
  const bool released = Released(tier);
  const int64_t usable = pool.general + (released ? pool.reserve : 0);
  const auto [begin, end] = std::equal_range(
      demands.begin(), demands.end(), tier,
      [](const auto& a, const auto& b) { return TierOf(a) < TierOf(b); });
  if (usable == 0 || begin == end) return;
  std::vector<FillSite>& fill = fill_scratch_;
  fill.clear();
  for (auto d = begin; d != end; ++d) {
    const int64_t held = d->base_units + d->allocated_units;
    fill.push_back({held, d->daily_use, LotsToCover(d->daily_use * policy.target_days - held, lot),
                    std::max<int64_t>(1, LotsToCover(d->daily_use * policy.min_order_days, lot))});
  }
  const int64_t handed = WaterFill(fill, lot, usable);
  for (auto d = begin; d != end; ++d) {
    const int64_t lots = fill[d - begin].granted_lots;
    if (lots == 0) continue;
    d->allocated_units += lots * lot;
    grants_.push_back({ship_item, for_item, static_cast<size_t>(d - demands.begin()), lots});
  }
  const int64_t from_reserve = released ? std::min(handed, pool.reserve) : 0;
  pool.reserve -= from_reserve;
  pool.general -= handed - from_reserve;
}

double Allocation::DistanceKm(size_t county_a, size_t county_b) {
  double& km = distance_km_[county_a * counties_.size() + county_b];
  if (std::isnan(km)) km = city_.DistanceKm(std::string(counties_[county_a]), std::string(counties_[county_b]));
  return km;
}

std::string Allocation::Reason(size_t warehouse, size_t site_county, double km) const {
  if (warehouse == reserve_) return "city reserve";
  if (warehouse_county_[warehouse] == site_county) return "own county";
  char text[64];
  std::snprintf(text, sizeof text, "nearest with stock (%.0f km)", km);
  return text;
}

TransportNetwork Allocation::BuildNetwork() {
  std::map<std::pair<bool, size_t>, std::vector<size_t>> by_place;  // (is reserve, county)
  for (size_t w = 0; w < warehouses_.size(); ++w) {
    by_place[{w == reserve_, warehouse_county_[w]}].push_back(w);
  }
  for (auto& [place, warehouses] : by_place) {
    if (place.first) reserve_source_ = source_warehouses_.size();
    source_county_.push_back(place.second);
    source_warehouses_.push_back(std::move(warehouses));
  }
  std::vector<bool> has_grant(counties_.size(), false);
  for (const Grant& grant : grants_) {
    has_grant[site_county_[demands_[grant.for_item][grant.demand].site]] = true;
  }
  sink_of_county_.assign(counties_.size(), 0);
  for (size_t county = 0; county < counties_.size(); ++county) {
    if (!has_grant[county]) continue;
    sink_of_county_[county] = sink_county_.size();
    sink_county_.push_back(county);
  }
  return TransportNetwork(
      source_county_.size(), sink_county_.size(), reserve_source_, [&](size_t source, size_t sink) {
        return std::llround(DistanceKm(source_county_[source], sink_county_[sink]) * 1000);
      });
}

// Routes one item's grants: the exact transportation optimum between places, then split back
// deterministically. In a sink, the reserve's lots go to its eligible grants first, then the
// other shipments, nearest first, to all grants in (site, for_item) order; a source's lots come
// from its warehouses in id order. Splitting inside a place changes no distance.
void Allocation::Source(size_t ship_item, TransportNetwork& network,
                        std::vector<OrderDraft>& drafts) {
  std::vector<std::vector<const Grant*>> sink_grants(sink_county_.size());
  std::vector<SinkDemand> sinks(sink_county_.size());
  for (const Grant& grant : grants_) {
    if (grant.ship_item != ship_item) continue;
    const Demand& demand = demands_[grant.for_item][grant.demand];
    const size_t sink = sink_of_county_[site_county_[demand.site]];
    sink_grants[sink].push_back(&grant);
    sinks[sink].lots += grant.lots;
    if (Released(demand.tier)) sinks[sink].reserve_eligible_lots += grant.lots;
  }
  std::vector<int64_t> source_lots(source_warehouses_.size(), 0);
  for (size_t source = 0; source < source_warehouses_.size(); ++source) {
    for (size_t w : source_warehouses_[source]) source_lots[source] += stock_lots_[ship_item][w];
  }
  std::vector<Shipment> shipments = network.Solve(source_lots, sinks);

  // Hands out a source's lots warehouse by warehouse, in id order.
  std::vector<size_t> next_warehouse(source_warehouses_.size(), 0);
  std::vector<int64_t> left(source_warehouses_.size(), 0);  // of the current warehouse
  const auto take = [&](size_t source, const Grant& grant, int64_t lots) {
    const Demand& demand = demands_[grant.for_item][grant.demand];
    const double km = DistanceKm(source_county_[source], site_county_[demand.site]);
    while (lots > 0) {
      const std::vector<size_t>& warehouses = source_warehouses_[source];
      size_t& w = next_warehouse[source];
      while (left[source] == 0) left[source] = stock_lots_[ship_item][warehouses[w++]];
      const int64_t piece = std::min(lots, left[source]);
      drafts.push_back({demand.tier, grant.for_item, demand.site, warehouses[w - 1], ship_item,
                        &demand, piece, km});
      left[source] -= piece;
      lots -= piece;
    }
  };
  for (auto first = shipments.begin(); first != shipments.end();) {
    const size_t sink = first->sink;
    const auto last = std::find_if(first, shipments.end(),
                                   [&](const Shipment& s) { return s.sink != sink; });
    std::vector<const Grant*>& grants = sink_grants[sink];
    std::sort(grants.begin(), grants.end(), [&](const Grant* a, const Grant* b) {
      return std::pair(demands_[a->for_item][a->demand].site, a->for_item) <
             std::pair(demands_[b->for_item][b->demand].site, b->for_item);
    });
    std::vector<int64_t> owed;
    for (const Grant* grant : grants) owed.push_back(grant->lots);
    const auto general = std::stable_partition(
        first, last, [&](const Shipment& s) { return s.source == reserve_source_; });
    std::stable_sort(general, last, [&](const Shipment& a, const Shipment& b) {
      return DistanceKm(source_county_[a.source], sink_county_[sink]) <
             DistanceKm(source_county_[b.source], sink_county_[sink]);
    });
    for (auto shipment = first; shipment != last; ++shipment) {
      const bool reserve = shipment->source == reserve_source_;
      for (size_t g = 0; g < grants.size() && shipment->lots > 0; ++g) {
        if (reserve && !Released(demands_[grants[g]->for_item][grants[g]->demand].tier)) continue;
        const int64_t lots = std::min(owed[g], shipment->lots);
        if (lots == 0) continue;
        take(shipment->source, *grants[g], lots);
        owed[g] -= lots;
        shipment->lots -= lots;
      }
    }
    first = last;
  }
}

PlannedOrder Allocation::Materialize(const OrderDraft& draft) const {
  const Demand& demand = *draft.demand;
  return {warehouses_[draft.warehouse]->id,
          sites_[draft.site]->id,
          items_[draft.ship_item]->id,
          items_[draft.for_item]->id,
          draft.lots * items_[draft.ship_item]->lot,
          draft.tier,
          demand.DaysBefore(),
          demand.DaysAfter(),
          draft.distance_km,
          Reason(draft.warehouse, site_county_[draft.site], draft.distance_km)};
}

// Each item's demands are sorted by (tier, site), so walking tiers in order and, within a tier,
// items in order yields (tier, item, site) without sorting.
std::vector<SiteCoverage> Allocation::Coverage() const {
  const double target = city_.policy().target_days;
  std::vector<SiteCoverage> coverage;
  size_t rows = 0;
  for (const std::vector<Demand>& list : demands_) rows += list.size();
  coverage.reserve(rows);
  std::vector<size_t> next(items_.size(), 0);
  for (bool more = true; more;) {
    more = false;
    int tier = std::numeric_limits<int>::max();
    for (size_t item = 0; item < items_.size(); ++item) {
      if (next[item] < demands_[item].size()) tier = std::min(tier, demands_[item][next[item]].tier);
    }
    for (size_t item = 0; item < items_.size(); ++item) {
      const std::vector<Demand>& list = demands_[item];
      const size_t first = coverage.size();
      double level = std::numeric_limits<double>::infinity();
      for (size_t& i = next[item]; i < list.size() && list[i].tier == tier; ++i) {
        const Demand& d = list[i];
        const int64_t lot = items_[item]->lot;
        // Short: one more lot of its own item would still not take it past its target.
        const bool needed = LotsToCover(d.daily_use * target - d.base_units, lot) > 0;
        const bool short_of_target =
            LotsToCover(d.daily_use * target - d.base_units - d.allocated_units, lot) > 0;
        const FillOutcome outcome = !needed          ? FillOutcome::kAtTarget
                                    : short_of_target ? FillOutcome::kPoolRanOut
                                                      : FillOutcome::kReachedTarget;
        if (short_of_target) level = std::min(level, d.DaysAfter());
        coverage.push_back({sites_[d.site]->id, items_[item]->id, tier, d.DaysBefore(),
                            d.DaysAfter(), d.allocated_units, outcome, 0});
        more = true;
      }
      for (size_t c = first; c < coverage.size(); ++c) {
        if (coverage[c].outcome == FillOutcome::kPoolRanOut) coverage[c].pool_ran_out_at_days = level;
      }
    }
  }
  return coverage;
}

// Tier by tier, strictly: in each tier every item's own stock fills its own demand first; only then
// may a substitute's leftover fill another item's remaining demand of that tier, in the order the
// substitute lists them. So no lower tier gets a lot of a pool while a higher-tier site that could
// use it (as its own item or as a substitute) is short.
AllocationPlan Allocation::Run() {
  std::vector<int> tiers;
  for (const std::vector<Demand>& list : demands_) {
    for (const Demand& d : list) tiers.push_back(d.tier);
  }
  std::sort(tiers.begin(), tiers.end());
  tiers.erase(std::unique(tiers.begin(), tiers.end()), tiers.end());
  for (const int tier : tiers) {
    for (size_t item = 0; item < items_.size(); ++item) Fill(item, item, tier);
    for (size_t item = 0; item < items_.size(); ++item) {
      for (const std::string& target : items_[item]->substitutes_for) {
        // The city has checked that it names another item.
        Fill(item, *RankOf(city_.FindItem(target), city_.items(), item_rank_), tier);
      }
    }
  }
  std::vector<OrderDraft> drafts;
  drafts.reserve(grants_.size());  // a grant splits over warehouses only now and then
  TransportNetwork network = BuildNetwork();
  for (size_t item = 0; item < items_.size(); ++item) Source(item, network, drafts);
  std::sort(drafts.begin(), drafts.end(),
            [](const OrderDraft& a, const OrderDraft& b) { return a.Key() < b.Key(); });
  AllocationPlan plan;
  plan.orders.reserve(drafts.size());
  for (const OrderDraft& draft : drafts) plan.orders.push_back(Materialize(draft));
  plan.coverage = Coverage();
  return plan;
}

}  // namespace

AllocationPlan Allocate(const City& city, const std::vector<WarehouseStock>& stock,
                        const std::vector<SiteDemand>& demand) {
  return Allocation(city, stock, demand).Run();
}

}  // namespace ppe
