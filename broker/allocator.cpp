#include "broker/allocator.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <map>
#include <string_view>
#include <tuple>
#include <unordered_map>
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

template <typename T>
std::unordered_map<std::string_view, size_t> RankById(const std::vector<const T*>& sorted) {
  std::unordered_map<std::string_view, size_t> rank;
  rank.reserve(sorted.size());
  for (size_t i = 0; i < sorted.size(); ++i) rank.emplace(sorted[i]->id, i);
  return rank;
}

template <typename Map>
const size_t* Find(const Map& map, std::string_view key) {
  const auto it = map.find(key);
  return it == map.end() ? nullptr : &it->second;
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

// An order with its sort key: ranks of (tier, for_item, site, warehouse, item).
struct RankedOrder {
  std::tuple<int, size_t, size_t, size_t, size_t> key;
  PlannedOrder order;
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
  void Fill(size_t ship_item, size_t for_item);
  void Source(size_t ship_item, std::vector<RankedOrder>& orders);
  double DistanceKm(size_t county_a, size_t county_b);
  std::string Reason(size_t warehouse, size_t site_county, double km) const;
  std::vector<SiteCoverage> Coverage() const;

  const City& city_;
  std::vector<const Item*> items_;
  std::vector<const Site*> sites_;
  std::vector<const Warehouse*> warehouses_;
  std::unordered_map<std::string_view, size_t> item_rank_, site_rank_, warehouse_rank_;
  std::unordered_map<std::string_view, size_t> county_index_;  // counties, then kCityCounty
  std::vector<size_t> site_county_, warehouse_county_;
  std::vector<double> distance_km_;  // county × county, NaN until first asked
  size_t reserve_ = std::numeric_limits<size_t>::max();  // warehouse rank of the city reserve

  std::vector<std::vector<int64_t>> stock_lots_;  // [item][warehouse]
  std::vector<Pool> pools_;                       // [item]
  std::vector<std::vector<Demand>> demands_;      // [item], sorted by (tier, site)
  std::vector<Grant> grants_;
};

Allocation::Allocation(const City& city, const std::vector<WarehouseStock>& stock,
                       const std::vector<SiteDemand>& demand)
    : city_(city),
      items_(SortedById(city.items())),
      sites_(SortedById(city.sites())),
      warehouses_(SortedById(city.warehouses())),
      item_rank_(RankById(items_)),
      site_rank_(RankById(sites_)),
      warehouse_rank_(RankById(warehouses_)) {
  for (const County& county : city.counties()) county_index_.emplace(county.id, county_index_.size());
  county_index_.emplace(kCityCounty, county_index_.size());
  distance_km_.assign(county_index_.size() * county_index_.size(), std::nan(""));
  for (const Site* site : sites_) site_county_.push_back(county_index_.at(site->county));
  for (const Warehouse* warehouse : warehouses_) {
    warehouse_county_.push_back(county_index_.at(warehouse->county));
  }
  if (const size_t* rank = Find(warehouse_rank_, city.policy().reserve_warehouse)) reserve_ = *rank;
  LoadStock(stock);
  LoadDemand(demand);
}

void Allocation::LoadStock(const std::vector<WarehouseStock>& stock) {
  std::vector<std::vector<int64_t>> units(items_.size(),
                                          std::vector<int64_t>(warehouses_.size(), 0));
  for (const WarehouseStock& row : stock) {
    const size_t* item = Find(item_rank_, row.item);
    const size_t* warehouse = Find(warehouse_rank_, row.warehouse);
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
  struct Row {
    size_t item;
    Demand demand;
  };
  std::vector<Row> rows;
  for (const SiteDemand& row : demand) {
    const size_t* item = Find(item_rank_, row.item);
    const size_t* site = Find(site_rank_, row.site);
    if (!item || !site || !(row.daily_use > 0) || !std::isfinite(row.daily_use)) continue;
    const int64_t base = std::max<int64_t>(0, row.on_hand) + std::max<int64_t>(0, row.in_transit);
    rows.push_back({*item, Demand{*site, sites_[*site]->tier, base, row.daily_use}});
  }
  // Sorted on every field so that even duplicate (site, item) rows, of which the first is kept,
  // do not make the plan depend on input order.
  const auto key = [](const Row& r) {
    return std::tie(r.item, r.demand.tier, r.demand.site, r.demand.base_units, r.demand.daily_use);
  };
  std::sort(rows.begin(), rows.end(), [&](const Row& a, const Row& b) { return key(a) < key(b); });
  demands_.assign(items_.size(), {});
  for (const Row& row : rows) {
    std::vector<Demand>& list = demands_[row.item];
    if (list.empty() || list.back().site != row.demand.site) list.push_back(row.demand);
  }
}

bool Allocation::Released(int tier) const {
  const std::vector<int>& tiers = city_.policy().release_to_tiers;
  return std::find(tiers.begin(), tiers.end(), tier) != tiers.end();
}

// One pass of `ship_item`'s remaining lots over `for_item`'s demand, tier by tier. A tier gets
// what the sites of higher tiers could not take: all they could use when they reach target, or
// the few lots left that fit none of their next grants (a block below someone's minimum order).
// A released tier draws on the reserve first, keeping general stock for tiers that cannot use it.
void Allocation::Fill(size_t ship_item, size_t for_item) {
  const Policy& policy = city_.policy();
  const int64_t lot = items_[ship_item]->lot;
  Pool& pool = pools_[ship_item];
  std::vector<Demand>& demands = demands_[for_item];
  std::vector<FillSite> fill;
  for (size_t begin = 0, end = 0; begin < demands.size(); begin = end) {
    const int tier = demands[begin].tier;
    for (end = begin; end < demands.size() && demands[end].tier == tier;) ++end;
    const bool released = Released(tier);
    const int64_t usable = pool.general + (released ? pool.reserve : 0);
    if (usable == 0) continue;
    fill.clear();
    for (size_t i = begin; i < end; ++i) {
      const Demand& d = demands[i];
      const int64_t held = d.base_units + d.allocated_units;
      fill.push_back({held, d.daily_use, LotsToCover(d.daily_use * policy.target_days - held, lot),
                      std::max<int64_t>(1, LotsToCover(d.daily_use * policy.min_order_days, lot))});
    }
    const int64_t handed = WaterFill(fill, lot, usable);
    for (size_t i = begin; i < end; ++i) {
      const int64_t lots = fill[i - begin].granted_lots;
      if (lots == 0) continue;
      demands[i].allocated_units += lots * lot;
      grants_.push_back({ship_item, for_item, i, lots});
    }
    const int64_t from_reserve = released ? std::min(handed, pool.reserve) : 0;
    pool.reserve -= from_reserve;
    pool.general -= handed - from_reserve;
  }
}

double Allocation::DistanceKm(size_t county_a, size_t county_b) {
  double& km = distance_km_[county_a * county_index_.size() + county_b];
  if (std::isnan(km)) {
    km = city_.DistanceKm(county_a == county_index_.size() - 1 ? kCityCounty
                                                                 : city_.counties()[county_a].id,
                          county_b == county_index_.size() - 1 ? kCityCounty
                                                                 : city_.counties()[county_b].id);
  }
  return km;
}

std::string Allocation::Reason(size_t warehouse, size_t site_county, double km) const {
  if (warehouse == reserve_) return "city reserve";
  if (warehouse_county_[warehouse] == site_county) return "own county";
  char text[64];
  std::snprintf(text, sizeof text, "nearest with stock (%.0f km)", km);
  return text;
}

// Routes one item's grants: sites of one county that may (or may not) use the reserve are one
// demand point; the exact transportation optimum is then split back to the point's grants in
// (site, for_item) order, each taking the nearest of the point's shipments first. Sites of one
// county are equally far from everything, so the split changes no distance.
void Allocation::Source(size_t ship_item, std::vector<RankedOrder>& orders) {
  std::map<std::pair<size_t, bool>, std::vector<const Grant*>> grants_by_point;
  for (const Grant& grant : grants_) {
    if (grant.ship_item != ship_item) continue;
    const Demand& demand = demands_[grant.for_item][grant.demand];
    grants_by_point[{site_county_[demand.site], Released(demand.tier)}].push_back(&grant);
  }
  if (grants_by_point.empty()) return;

  std::vector<SupplyPoint> supplies;
  std::vector<size_t> supply_warehouse;
  for (size_t w = 0; w < warehouses_.size(); ++w) {
    if (stock_lots_[ship_item][w] == 0) continue;
    supplies.push_back({stock_lots_[ship_item][w], w == reserve_});
    supply_warehouse.push_back(w);
  }
  std::vector<DemandPoint> points;
  std::vector<size_t> point_county;
  std::vector<std::vector<const Grant*>> point_grants;
  for (auto& [key, grants] : grants_by_point) {
    int64_t lots = 0;
    for (const Grant* grant : grants) lots += grant->lots;
    points.push_back({lots, key.second});
    point_county.push_back(key.first);
    std::sort(grants.begin(), grants.end(), [&](const Grant* a, const Grant* b) {
      return std::pair(demands_[a->for_item][a->demand].site, a->for_item) <
             std::pair(demands_[b->for_item][b->demand].site, b->for_item);
    });
    point_grants.push_back(std::move(grants));
  }
  const auto km = [&](const Shipment& s) {
    return DistanceKm(warehouse_county_[supply_warehouse[s.supply]], point_county[s.demand]);
  };
  std::vector<Shipment> shipments = SolveTransport(
      supplies, points, [&](size_t s, size_t p) { return std::llround(km({s, p, 0}) * 1000); });

  const int64_t lot = items_[ship_item]->lot;
  for (auto first = shipments.begin(); first != shipments.end();) {
    const auto last = std::find_if(first, shipments.end(),
                                   [&](const Shipment& s) { return s.demand != first->demand; });
    std::stable_sort(first, last,
                     [&](const Shipment& a, const Shipment& b) { return km(a) < km(b); });
    auto source = first;
    for (const Grant* grant : point_grants[first->demand]) {
      const Demand& demand = demands_[grant->for_item][grant->demand];
      for (int64_t owed = grant->lots; owed > 0;) {
        const int64_t lots = std::min(owed, source->lots);
        const size_t warehouse = supply_warehouse[source->supply];
        const double distance = km(*source);
        orders.push_back(
            {{demand.tier, grant->for_item, demand.site, warehouse, ship_item},
             PlannedOrder{warehouses_[warehouse]->id, sites_[demand.site]->id,
                          items_[ship_item]->id, items_[grant->for_item]->id, lots * lot,
                          demand.tier, demand.DaysBefore(), demand.DaysAfter(), distance,
                          Reason(warehouse, site_county_[demand.site], distance)}});
        owed -= lots;
        if ((source->lots -= lots) == 0) ++source;
      }
    }
    first = last;
  }
}

std::vector<SiteCoverage> Allocation::Coverage() const {
  std::vector<std::pair<std::tuple<int, size_t, size_t>, SiteCoverage>> ranked;
  for (size_t item = 0; item < items_.size(); ++item) {
    for (const Demand& d : demands_[item]) {
      ranked.push_back({{d.tier, item, d.site},
                        {sites_[d.site]->id, items_[item]->id, d.tier, d.DaysBefore(),
                         d.DaysAfter()}});
    }
  }
  std::sort(ranked.begin(), ranked.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<SiteCoverage> coverage;
  coverage.reserve(ranked.size());
  for (auto& [key, row] : ranked) coverage.push_back(std::move(row));
  return coverage;
}

// Each item's own stock goes to its own demand first (all tiers); only then may a substitute's
// leftover fill another item's remaining demand, in the order the substitute lists them.
AllocationPlan Allocation::Run() {
  for (size_t item = 0; item < items_.size(); ++item) Fill(item, item);
  for (size_t item = 0; item < items_.size(); ++item) {
    for (const std::string& target : items_[item]->substitutes_for) {
      Fill(item, item_rank_.at(target));  // the city has checked that it names another item
    }
  }
  std::vector<RankedOrder> ranked;
  for (size_t item = 0; item < items_.size(); ++item) Source(item, ranked);
  std::sort(ranked.begin(), ranked.end(),
            [](const RankedOrder& a, const RankedOrder& b) { return a.key < b.key; });
  AllocationPlan plan;
  plan.orders.reserve(ranked.size());
  for (RankedOrder& row : ranked) plan.orders.push_back(std::move(row.order));
  plan.coverage = Coverage();
  return plan;
}

}  // namespace

AllocationPlan Allocate(const City& city, const std::vector<WarehouseStock>& stock,
                        const std::vector<SiteDemand>& demand) {
  return Allocation(city, stock, demand).Run();
}

}  // namespace ppe
