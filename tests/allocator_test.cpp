// Allocator tests: hand-made cases with known answers, properties on random instances, and
// metamorphic relations. The checks recompute everything from the instance, not from the code.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <tuple>

#include "broker/allocator.h"
#include "broker/water_fill.h"
#include "tests/province.h"

namespace ppe {
namespace {

constexpr int kRandomInstances = 300;

City MustParse(const std::string& yaml) {
  Result<City> city = City::Parse(yaml);
  if (!city.ok()) {
    ADD_FAILURE() << city.status().message();
    std::abort();
  }
  return std::move(city.value());
}

std::string Dump(const AllocationPlan& plan) {
  std::string text;
  char line[512];
  for (const PlannedOrder& o : plan.orders) {
    std::snprintf(line, sizeof line, "order %s>%s %s/%s %lld t%d %.17g %.17g %.17g %s\n",
                  o.from_warehouse.c_str(), o.to_site.c_str(), o.item.c_str(), o.for_item.c_str(),
                  static_cast<long long>(o.qty), o.tier, o.days_before, o.days_after,
                  o.distance_km, o.reason.c_str());
    text += line;
  }
  for (const SiteCoverage& c : plan.coverage) {
    std::snprintf(line, sizeof line, "cover %s %s t%d %.17g %.17g\n", c.site.c_str(),
                  c.item.c_str(), c.tier, c.days_before, c.days_after);
    text += line;
  }
  return text;
}

// Units shipped to (site, for_item), of any item.
int64_t Received(const AllocationPlan& plan, const std::string& site, const std::string& for_item) {
  int64_t units = 0;
  for (const PlannedOrder& o : plan.orders) {
    if (o.to_site == site && o.for_item == for_item) units += o.qty;
  }
  return units;
}

// ---------------------------------------------------------------------------------------------
// Hand-made cases.

constexpr const char* kOneCountyCity = R"(
city: t
items: [{id: mask.surgical, lot: 50}]
tiers: {1: [hospital], 2: [station]}
policy: {target_days: 7, min_order_days: 1}
counties: [{id: a, location: [26, 117]}]
warehouses: [{id: wa, county: a}]
sites:
  - {id: s1, county: a, kind: hospital}
  - {id: s2, county: a, kind: hospital}
  - {id: s3, county: a, kind: hospital}
  - {id: t2, county: a, kind: station}
)";

std::vector<SiteDemand> IssueDemand() {
  return {{"s1", "mask.surgical", 0, 100, 0},
          {"s2", "mask.surgical", 200, 50, 0},
          {"s3", "mask.surgical", 250, 50, 0},
          {"t2", "mask.surgical", 0, 10, 0}};
}

TEST(AllocatorCases, IssueExampleLiftsTierOneToSixDays) {
  const City city = MustParse(kOneCountyCity);
  const AllocationPlan plan = Allocate(city, {{"wa", "mask.surgical", 750}}, IssueDemand());
  ASSERT_EQ(plan.orders.size(), 3u);
  const std::vector<std::pair<std::string, int64_t>> expected = {{"s1", 600}, {"s2", 100}, {"s3", 50}};
  for (size_t i = 0; i < expected.size(); ++i) {
    const PlannedOrder& o = plan.orders[i];
    EXPECT_EQ(o.to_site, expected[i].first);
    EXPECT_EQ(o.qty, expected[i].second);
    EXPECT_EQ(o.tier, 1);
    EXPECT_DOUBLE_EQ(o.days_after, 6);
    EXPECT_EQ(o.reason, "own county");
    EXPECT_EQ(o.distance_km, 0);
  }
  ASSERT_EQ(plan.coverage.size(), 4u);
  EXPECT_EQ(plan.coverage[3].site, "t2");
  EXPECT_EQ(plan.coverage[3].days_after, 0);
}

TEST(AllocatorCases, SecondRoundWithOrdersInTransitPlansNothing) {
  const City city = MustParse(kOneCountyCity);
  std::vector<SiteDemand> demand = IssueDemand();
  const AllocationPlan first = Allocate(city, {{"wa", "mask.surgical", 775}}, demand);
  for (const PlannedOrder& o : first.orders) {
    for (SiteDemand& d : demand) {
      if (d.site == o.to_site) d.in_transit += o.qty;
    }
  }
  EXPECT_TRUE(Allocate(city, {{"wa", "mask.surgical", 25}}, demand).orders.empty());
}

TEST(AllocatorCases, SitesWithoutDailyUseHaveNoNeedAndNoCoverage) {
  const City city = MustParse(kOneCountyCity);
  const AllocationPlan plan =
      Allocate(city, {{"wa", "mask.surgical", 750}}, {{"s1", "mask.surgical", 0, 0, 0}});
  EXPECT_TRUE(plan.orders.empty());
  EXPECT_TRUE(plan.coverage.empty());
}

TEST(AllocatorCases, StockBelowOneLotDoesNotShip) {
  const City city = MustParse(kOneCountyCity);
  const AllocationPlan plan =
      Allocate(city, {{"wa", "mask.surgical", 149}}, {{"s1", "mask.surgical", 0, 100, 0}});
  ASSERT_EQ(plan.orders.size(), 1u);
  EXPECT_EQ(plan.orders[0].qty, 100);
}

constexpr const char* kThreeCountyCity = R"(
city: t
items: [{id: gloves, lot: 10}]
tiers: {1: [hospital], 2: [station]}
policy: {target_days: 7, min_order_days: 0, road_factor: 1.3,
         city_reserve: {warehouse: reserve, release_to_tiers: [1]}}
location: [26, 118]
counties:
  - {id: a, location: [26, 117]}
  - {id: b, location: [26, 117.5]}
  - {id: c, location: [26, 119]}
warehouses:
  - {id: reserve, county: city}
  - {id: wa, county: a}
  - {id: wc, county: c}
sites:
  - {id: ha, county: a, kind: hospital}
  - {id: hb, county: b, kind: hospital}
  - {id: sb, county: b, kind: station}
)";

TEST(AllocatorCases, SourcesOwnCountyFirstThenNearest) {
  const City city = MustParse(kThreeCountyCity);
  const AllocationPlan plan =
      Allocate(city, {{"wa", "gloves", 100}, {"wc", "gloves", 100}},
               {{"ha", "gloves", 0, 10, 0}, {"hb", "gloves", 0, 10, 0}});
  // ha takes 70 of wa's 100 at 0 km; hb takes wa's other 30 (65 km) and 40 from wc (195 km):
  // any other split moves more lots over longer roads.
  ASSERT_EQ(plan.orders.size(), 3u);
  EXPECT_EQ(std::tie(plan.orders[0].to_site, plan.orders[0].from_warehouse), std::tie("ha", "wa"));
  EXPECT_EQ(plan.orders[0].qty, 70);
  EXPECT_EQ(plan.orders[0].reason, "own county");
  const double ab = city.DistanceKm("a", "b"), bc = city.DistanceKm("b", "c");
  char reason[64];
  std::snprintf(reason, sizeof reason, "nearest with stock (%.0f km)", ab);
  EXPECT_EQ(std::tie(plan.orders[1].to_site, plan.orders[1].from_warehouse), std::tie("hb", "wa"));
  EXPECT_EQ(plan.orders[1].qty, 30);
  EXPECT_EQ(plan.orders[1].reason, reason);
  EXPECT_DOUBLE_EQ(plan.orders[1].distance_km, ab);
  EXPECT_EQ(std::tie(plan.orders[2].to_site, plan.orders[2].from_warehouse), std::tie("hb", "wc"));
  EXPECT_EQ(plan.orders[2].qty, 40);
  EXPECT_DOUBLE_EQ(plan.orders[2].distance_km, bc);
}

TEST(AllocatorCases, ReserveServesOnlyReleasedTiers) {
  const City city = MustParse(kThreeCountyCity);
  const std::vector<SiteDemand> demand = {{"hb", "gloves", 0, 10, 0}, {"sb", "gloves", 0, 10, 0}};
  const AllocationPlan reserve_only = Allocate(city, {{"reserve", "gloves", 1000}}, demand);
  ASSERT_EQ(reserve_only.orders.size(), 1u);
  EXPECT_EQ(reserve_only.orders[0].to_site, "hb");
  EXPECT_EQ(reserve_only.orders[0].reason, "city reserve");
  EXPECT_EQ(Received(reserve_only, "sb", "gloves"), 0);

  // Tier 1 draws on the reserve first, so the general stock is left for tier 2.
  const AllocationPlan both =
      Allocate(city, {{"reserve", "gloves", 1000}, {"wa", "gloves", 50}}, demand);
  EXPECT_EQ(Received(both, "hb", "gloves"), 70);
  EXPECT_EQ(Received(both, "sb", "gloves"), 50);
}

constexpr const char* kMaskCity = R"(
city: t
items:
  - {id: mask.n95, lot: 10, substitutes_for: [mask.surgical]}
  - {id: mask.surgical, lot: 50}
tiers: {1: [hospital], 2: [station]}
policy: {target_days: 7, min_order_days: 0}
counties: [{id: a, location: [26, 117]}]
warehouses: [{id: wa, county: a}]
sites: [{id: h1, county: a, kind: hospital}, {id: t1, county: a, kind: station}]
)";

TEST(AllocatorCases, N95FillsSurgicalDemandOnlyAfterItsOwn) {
  const City city = MustParse(kMaskCity);
  const AllocationPlan plan =
      Allocate(city, {{"wa", "mask.n95", 200}, {"wa", "mask.surgical", 100}},
               {{"h1", "mask.n95", 0, 10, 0},
                {"h1", "mask.surgical", 0, 100, 0},
                {"t1", "mask.n95", 0, 10, 0}});
  // N95: 70 to h1 and 70 to t1 (its own demand, all tiers), the last 60 to h1's surgical demand.
  ASSERT_EQ(plan.orders.size(), 4u);
  EXPECT_EQ(Received(plan, "h1", "mask.n95"), 70);
  EXPECT_EQ(Received(plan, "t1", "mask.n95"), 70);
  const PlannedOrder* substitute = nullptr;
  for (const PlannedOrder& o : plan.orders) {
    if (o.item != o.for_item) substitute = &o;
  }
  ASSERT_NE(substitute, nullptr);
  EXPECT_EQ(std::tie(substitute->item, substitute->for_item, substitute->to_site),
            std::tie("mask.n95", "mask.surgical", "h1"));
  EXPECT_EQ(substitute->qty, 60);
  EXPECT_EQ(Received(plan, "h1", "mask.surgical"), 160);
  EXPECT_DOUBLE_EQ(substitute->days_after, 1.6);
}

TEST(AllocatorCases, SurgicalNeverFillsN95Demand) {
  const City city = MustParse(kMaskCity);
  const AllocationPlan plan =
      Allocate(city, {{"wa", "mask.surgical", 5000}}, {{"h1", "mask.n95", 0, 10, 0}});
  EXPECT_TRUE(plan.orders.empty());
}

constexpr const char* kMinOrderCity = R"(
city: t
items: [{id: sanitizer, lot: 50}]
tiers: {1: [hospital], 2: [station]}
policy: {target_days: 7, min_order_days: 2}
counties: [{id: a, location: [26, 117]}]
warehouses: [{id: wa, county: a}]
sites:
  - {id: a-big, county: a, kind: hospital}
  - {id: b-small, county: a, kind: hospital}
  - {id: c-station, county: a, kind: station}
)";

TEST(AllocatorCases, MinimumOrderSkipsSitesWhoseBlockDoesNotFit) {
  const City city = MustParse(kMinOrderCity);
  // a-big's first order must be 2 days × 100 = 4 lots; only 4 lots exist in all.
  const std::vector<SiteDemand> demand = {{"a-big", "sanitizer", 0, 100, 0},
                                          {"b-small", "sanitizer", 0, 10, 0},
                                          {"c-station", "sanitizer", 0, 5, 0}};
  const AllocationPlan four = Allocate(city, {{"wa", "sanitizer", 200}}, demand);
  EXPECT_EQ(Received(four, "a-big", "sanitizer"), 200);  // lowest and first by id: its block fits
  EXPECT_EQ(Received(four, "b-small", "sanitizer"), 0);
  // With 3 lots a-big's block fits nowhere: b-small is lifted to its cap (2 lots), and the last
  // lot, which no tier-1 order can use, goes on to tier 2.
  const AllocationPlan three = Allocate(city, {{"wa", "sanitizer", 150}}, demand);
  EXPECT_EQ(Received(three, "a-big", "sanitizer"), 0);
  EXPECT_EQ(Received(three, "b-small", "sanitizer"), 100);
  EXPECT_EQ(Received(three, "c-station", "sanitizer"), 50);
}

TEST(AllocatorCases, SiteWhoseNeedIsBelowTheMinimumGetsNothing) {
  const City city = MustParse(kMinOrderCity);
  // Need 10 rounds up to one lot, which also meets the 2-day minimum of 20 units.
  const AllocationPlan near_target =
      Allocate(city, {{"wa", "sanitizer", 500}}, {{"b-small", "sanitizer", 60, 10, 0}});
  EXPECT_EQ(Received(near_target, "b-small", "sanitizer"), 50);
  // Need 50 is one lot, but a first order must be 2 days × 100 = 4 lots: nothing.
  const AllocationPlan too_small =
      Allocate(city, {{"wa", "sanitizer", 500}}, {{"a-big", "sanitizer", 650, 100, 0}});
  EXPECT_TRUE(too_small.orders.empty());
}

// ---------------------------------------------------------------------------------------------
// Water-filling against the lot-by-lot greedy it claims to equal.

std::vector<int64_t> NaiveGreedy(const std::vector<FillSite>& sites, int64_t lot, int64_t supply) {
  std::vector<int64_t> held(sites.size(), 0);
  std::vector<bool> skipped(sites.size(), false);
  for (int64_t left = supply; left > 0;) {
    int best = -1;
    double best_cover = 0;
    for (size_t i = 0; i < sites.size(); ++i) {
      const FillSite& s = sites[i];
      if (skipped[i] || s.cap_lots < s.min_lots || held[i] >= s.cap_lots) continue;
      const double cover = static_cast<double>(s.base_units + held[i] * lot) / s.daily_use;
      if (best < 0 || cover < best_cover) best = static_cast<int>(i), best_cover = cover;
    }
    if (best < 0) break;
    const int64_t grant = held[best] == 0 ? sites[best].min_lots : 1;
    if (grant > left) {
      skipped[best] = true;
      continue;
    }
    held[best] += grant;
    left -= grant;
  }
  return held;
}

TEST(WaterFill, EqualsNaiveGreedyOnRandomSites) {
  std::mt19937_64 rng(7);
  for (int round = 0; round < 2000; ++round) {
    const int64_t lot = 1 + rng() % 20;
    std::vector<FillSite> sites(1 + rng() % 12);
    int64_t wanted = 0;
    for (FillSite& s : sites) {
      s.daily_use = rng() % 4 == 0 ? 10.0 : static_cast<double>(1 + rng() % 200) / 4;  // ties
      s.base_units = rng() % 3 == 0 ? 0 : static_cast<int64_t>(rng() % 400);
      s.cap_lots = static_cast<int64_t>(rng() % 30);
      s.min_lots = 1 + static_cast<int64_t>(rng() % 5);
      wanted += s.cap_lots;
    }
    const int64_t supply = static_cast<int64_t>(rng() % (wanted + 3));
    const std::vector<int64_t> expected = NaiveGreedy(sites, lot, supply);
    const int64_t handed = WaterFill(sites, lot, supply);
    int64_t expected_handed = 0;
    for (size_t i = 0; i < sites.size(); ++i) {
      ASSERT_EQ(sites[i].granted_lots, expected[i]) << "round " << round << " site " << i;
      expected_handed += expected[i];
    }
    ASSERT_EQ(handed, expected_handed);
  }
}

TEST(WaterFill, HugeSupplyIsFast) {
  std::vector<FillSite> sites(10000);
  for (size_t i = 0; i < sites.size(); ++i) {
    sites[i] = {static_cast<int64_t>(i * 37 % 1000), 1.0 + i % 97, 1'000'000'000, 1};
  }
  const int64_t handed = WaterFill(sites, 1, 4'000'000'000'000);
  EXPECT_EQ(handed, 4'000'000'000'000);
}

// ---------------------------------------------------------------------------------------------
// Properties of plans on random instances, recomputed from the instance alone.

struct Need {
  const SiteDemand* row;
  int tier;
  bool released;
};

class PlanChecker {
 public:
  PlanChecker(const Province& p, const AllocationPlan& plan) : p_(p), plan_(plan) {
    const Policy& policy = p.city.policy();
    for (int t : policy.release_to_tiers) released_.insert(t);
    for (const WarehouseStock& s : p.stock) available_[{s.warehouse, s.item}] += s.available;
    for (const SiteDemand& d : p.demand) {
      if (d.daily_use > 0) {
        const int tier = p.city.FindSite(d.site)->tier;
        needs_[d.item].push_back({&d, tier, released_.count(tier) > 0});
      }
    }
    for (const PlannedOrder& o : plan.orders) {
      shipped_[{o.from_warehouse, o.item}] += o.qty;
      received_[{o.to_site, o.item, o.for_item}] += o.qty;
    }
  }

  void CheckAll() {
    CheckStockAndLots();
    CheckNeedPlusLessThanALot();
    CheckPhases();
    for (const Item& item : p_.city.items()) CheckSourcingOptimal(item);
  }

 private:
  int64_t Lot(const std::string& item) const { return p_.city.FindItem(item)->lot; }
  bool IsReserve(const std::string& warehouse) const {
    return warehouse == p_.city.policy().reserve_warehouse;
  }
  int64_t NeedUnits(const SiteDemand& d) const {
    return std::max<int64_t>(0, std::ceil(d.daily_use * p_.city.policy().target_days - 1e-9 -
                                          d.on_hand - d.in_transit));
  }

  void CheckStockAndLots() {
    for (const auto& [key, qty] : shipped_) {
      EXPECT_LE(qty, available_[key]) << key.first << " " << key.second;
    }
    for (const PlannedOrder& o : plan_.orders) {
      EXPECT_GT(o.qty, 0);
      EXPECT_EQ(o.qty % Lot(o.item), 0);
      if (IsReserve(o.from_warehouse)) {
        EXPECT_TRUE(released_.count(o.tier)) << o.to_site;
      }
    }
  }

  void CheckNeedPlusLessThanALot() {
    for (const auto& [item, needs] : needs_) {
      for (const Need& n : needs) {
        int64_t units = 0, largest_lot = 0;
        for (const Item& ship : p_.city.items()) {
          const auto it = received_.find({n.row->site, ship.id, item});
          if (it == received_.end()) continue;
          units += it->second;
          largest_lot = std::max(largest_lot, ship.lot);
        }
        const double need = n.row->daily_use * p_.city.policy().target_days - n.row->on_hand -
                            n.row->in_transit;
        if (units > 0) {
          EXPECT_LT(units, need + largest_lot) << n.row->site << " " << item;
        }
      }
    }
  }

  // The fill phases in the allocator's documented order: each item on its own demand, then each
  // substitute on the demand it may fill.
  std::vector<std::pair<std::string, std::string>> Phases() const {
    std::vector<std::string> ids;
    for (const Item& item : p_.city.items()) ids.push_back(item.id);
    std::sort(ids.begin(), ids.end());
    std::vector<std::pair<std::string, std::string>> phases;
    for (const std::string& id : ids) phases.push_back({id, id});
    for (const std::string& id : ids) {
      for (const std::string& other : p_.city.FindItem(id)->substitutes_for) {
        phases.push_back({id, other});
      }
    }
    return phases;
  }

  struct Stake {
    const Need* need;
    FillSite fill;
  };

  void CheckPhases() {
    const auto phases = Phases();
    std::map<std::pair<std::string, std::string>, int64_t> held;  // (site, for_item) units so far
    for (size_t p = 0; p < phases.size(); ++p) {
      const auto& [ship, for_item] = phases[p];
      const int64_t lot = Lot(ship);
      std::map<int, std::vector<Stake>> by_tier;
      for (const Need& n : needs_[for_item]) {
        const SiteDemand& d = *n.row;
        const int64_t base = d.on_hand + d.in_transit + held[{d.site, for_item}];
        const double need = d.daily_use * p_.city.policy().target_days - base;
        const double min_units = d.daily_use * p_.city.policy().min_order_days;
        FillSite f{base, d.daily_use,
                   need <= 1e-9 ? 0 : static_cast<int64_t>(std::ceil(need / lot - 1e-9)),
                   std::max<int64_t>(1, static_cast<int64_t>(std::ceil(min_units / lot - 1e-9)))};
        const auto it = received_.find({d.site, ship, for_item});
        f.granted_lots = it == received_.end() ? 0 : it->second / lot;
        by_tier[n.tier].push_back({&n, f});
      }
      for (auto& [tier, stakes] : by_tier) {
        CheckFairness(stakes, lot);
        CheckStrictTier(phases, p, tier, stakes);
      }
      for (auto& [tier, stakes] : by_tier) {
        for (const Stake& s : stakes) held[{s.need->row->site, for_item}] += s.fill.granted_lots * lot;
      }
    }
  }

  // No one-lot (or one-block) move from a site with more cover to one with less would lift the
  // lower one without dropping the other to or below it.
  void CheckFairness(const std::vector<Stake>& stakes, int64_t lot) {
    const auto cover = [&](const FillSite& f, int64_t lots) {
      return static_cast<double>(f.base_units + lots * lot) / f.daily_use;
    };
    for (const Stake& i : stakes) {
      const FillSite& fi = i.fill;
      if (fi.cap_lots < fi.min_lots || fi.granted_lots >= fi.cap_lots) continue;
      const int64_t move = fi.granted_lots == 0 ? fi.min_lots : 1;
      for (const Stake& j : stakes) {
        const FillSite& fj = j.fill;
        if (&j == &i || fj.granted_lots - move < fj.min_lots) continue;
        EXPECT_LE(cover(fj, fj.granted_lots - move), cover(fi, fi.granted_lots) + 1e-9)
            << "could move " << move << " lots from " << j.need->row->site << " to "
            << i.need->row->site;
      }
    }
  }

  // A short site's next grant is larger than everything its pools gave later plus what is left.
  void CheckStrictTier(const std::vector<std::pair<std::string, std::string>>& phases, size_t p,
                       int tier, const std::vector<Stake>& stakes) {
    const std::string& ship = phases[p].first;
    const int64_t lot = Lot(ship);
    int64_t later_any = 0, later_general_only = 0;
    for (size_t q = p; q < phases.size(); ++q) {
      if (phases[q].first != ship) continue;
      for (const Need& n : needs_[phases[q].second]) {
        if (q == p && n.tier <= tier) continue;
        const auto it = received_.find({n.row->site, ship, phases[q].second});
        if (it == received_.end()) continue;
        later_any += it->second / lot;
        if (!n.released) later_general_only += it->second / lot;
      }
    }
    int64_t left_general = 0, left_reserve = 0;
    for (const Warehouse& w : p_.city.warehouses()) {
      const int64_t left = available_[{w.id, ship}] / lot - shipped_[{w.id, ship}] / lot;
      (IsReserve(w.id) ? left_reserve : left_general) += left;
    }
    for (const Stake& s : stakes) {
      const FillSite& f = s.fill;
      if (f.cap_lots < f.min_lots || f.granted_lots >= f.cap_lots) continue;
      const int64_t next = f.granted_lots == 0 ? f.min_lots : 1;
      const int64_t after = s.need->released ? later_any + left_general + left_reserve
                                             : later_general_only + left_general;
      EXPECT_LT(after, next) << "tier " << tier << " site " << s.need->row->site << " short of "
                             << phases[p].second << " while " << after << " lots of " << ship
                             << " went later or stayed";
    }
  }

  // Min-cost certificate: no negative cycle in the residual graph of the plan's shipments
  // (source → warehouse up to its lots, warehouse → site at distance, reverse arcs on flow).
  void CheckSourcingOptimal(const Item& item) {
    std::vector<std::string> warehouses, sites;
    for (const Warehouse& w : p_.city.warehouses()) warehouses.push_back(w.id);
    std::map<std::string, int> site_tier;
    for (const PlannedOrder& o : plan_.orders) {
      if (o.item == item.id) site_tier[o.to_site] = o.tier;
    }
    for (const auto& [site, tier] : site_tier) sites.push_back(site);
    const size_t n = 1 + warehouses.size() + sites.size();
    struct Arc {
      size_t from, to;
      int64_t cost;
    };
    std::vector<Arc> arcs;
    for (size_t w = 0; w < warehouses.size(); ++w) {
      const int64_t lots = available_[{warehouses[w], item.id}] / item.lot;
      const int64_t used = shipped_[{warehouses[w], item.id}] / item.lot;
      if (used < lots) arcs.push_back({0, 1 + w, 0});
      if (used > 0) arcs.push_back({1 + w, 0, 0});
      for (size_t s = 0; s < sites.size(); ++s) {
        if (IsReserve(warehouses[w]) && !released_.count(site_tier[sites[s]])) continue;
        const int64_t metres =
            std::llround(p_.city.DistanceKm(p_.city.FindWarehouse(warehouses[w])->county,
                                            p_.city.FindSite(sites[s])->county) * 1000);
        arcs.push_back({1 + w, 1 + warehouses.size() + s, metres});
        bool flows = false;
        for (const PlannedOrder& o : plan_.orders) {
          flows |= o.item == item.id && o.from_warehouse == warehouses[w] && o.to_site == sites[s];
        }
        if (flows) arcs.push_back({1 + warehouses.size() + s, 1 + w, -metres});
      }
    }
    std::vector<int64_t> dist(n, 0);  // from a virtual root to every node
    bool relaxed = true;
    for (size_t round = 0; round <= n && relaxed; ++round) {  // n + 1 nodes with the root
      relaxed = false;
      for (const Arc& a : arcs) {
        if (dist[a.from] + a.cost < dist[a.to]) dist[a.to] = dist[a.from] + a.cost, relaxed = true;
      }
    }
    EXPECT_FALSE(relaxed) << "a cheaper sourcing exists for " << item.id;
  }

  const Province& p_;
  const AllocationPlan& plan_;
  std::set<int> released_;
  std::map<std::pair<std::string, std::string>, int64_t> available_, shipped_;
  std::map<std::string, std::vector<Need>> needs_;
  std::map<std::tuple<std::string, std::string, std::string>, int64_t> received_;
};

TEST(AllocatorProperties, RandomInstancesKeepEveryRule) {
  for (int seed = 1; seed <= kRandomInstances; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    const Province p = GenerateProvince(SmallProvinceOptions(seed));
    const AllocationPlan plan = Allocate(p.city, p.stock, p.demand);
    PlanChecker(p, plan).CheckAll();
    if (HasFailure()) return;
  }
}

TEST(AllocatorProperties, SecondRoundPlansNothing) {
  for (int seed = 1; seed <= kRandomInstances; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    Province p = GenerateProvince(SmallProvinceOptions(seed));
    const AllocationPlan plan = Allocate(p.city, p.stock, p.demand);
    for (const PlannedOrder& o : plan.orders) {
      for (WarehouseStock& s : p.stock) {
        if (s.warehouse == o.from_warehouse && s.item == o.item) s.available -= o.qty;
      }
      for (SiteDemand& d : p.demand) {
        if (d.site == o.to_site && d.item == o.for_item) d.in_transit += o.qty;
      }
    }
    ASSERT_TRUE(Allocate(p.city, p.stock, p.demand).orders.empty());
  }
}

// ---------------------------------------------------------------------------------------------
// Metamorphic relations.

template <typename T>
std::vector<T> Shuffled(std::vector<T> values, std::mt19937_64& rng) {
  std::shuffle(values.begin(), values.end(), rng);
  return values;
}

// The same city with its lists in another order. Counties keep theirs: the city's own location
// (the reserve's), when the file gives none, is their centroid summed in file order.
City Rebuild(const City& city, std::vector<Site> sites, std::mt19937_64& rng) {
  Result<City> rebuilt =
      City::Build(city.name(), Shuffled(city.items(), rng), city.tiers(), city.policy(),
                  city.counties(), Shuffled(city.warehouses(), rng),
                  Shuffled(std::move(sites), rng));
  if (!rebuilt.ok()) std::abort();
  return std::move(rebuilt.value());
}

TEST(AllocatorMetamorphic, ShuffledInputGivesTheSamePlan) {
  std::mt19937_64 rng(11);
  for (int seed = 1; seed <= kRandomInstances; ++seed) {
    const Province p = GenerateProvince(SmallProvinceOptions(seed));
    const City shuffled = Rebuild(p.city, p.city.sites(), rng);
    ASSERT_EQ(Dump(Allocate(p.city, p.stock, p.demand)),
              Dump(Allocate(shuffled, Shuffled(p.stock, rng), Shuffled(p.demand, rng))))
        << "seed " << seed;
  }
}

// Holds without minimum orders and substitutes: a block that fits only with more stock may
// rightly displace smaller grants, and a substitute only tops up what the item itself left.
TEST(AllocatorMetamorphic, MoreStockGivesNoSiteLess) {
  std::mt19937_64 rng(13);
  for (int seed = 1; seed <= kRandomInstances; ++seed) {
    ProvinceOptions options = SmallProvinceOptions(seed);
    options.min_order_days = 0;
    options.substitutes = false;
    const Province p = GenerateProvince(options);
    std::vector<WarehouseStock> more = p.stock;
    for (const Warehouse& w : p.city.warehouses()) {
      const Item& item = p.city.items()[rng() % p.city.items().size()];
      more.push_back({w.id, item.id, static_cast<int64_t>(rng() % (3 * item.lot * 10))});
    }
    const AllocationPlan before = Allocate(p.city, p.stock, p.demand);
    const AllocationPlan after = Allocate(p.city, more, p.demand);
    for (const SiteCoverage& c : before.coverage) {
      EXPECT_GE(Received(after, c.site, c.item), Received(before, c.site, c.item))
          << "seed " << seed << " " << c.site << " " << c.item;
    }
  }
}

// What sites above `tier` receive, per shipped and demanded item, and their cover after.
std::string HigherTiers(const AllocationPlan& plan, int tier) {
  std::map<std::tuple<std::string, std::string, std::string>, int64_t> received;
  for (const PlannedOrder& o : plan.orders) {
    if (o.tier < tier) received[{o.to_site, o.item, o.for_item}] += o.qty;
  }
  std::ostringstream text;
  for (const auto& [key, qty] : received) {
    text << std::get<0>(key) << ' ' << std::get<1>(key) << ' ' << std::get<2>(key) << ' ' << qty
         << '\n';
  }
  for (const SiteCoverage& c : plan.coverage) {
    if (c.tier < tier) text << c.site << ' ' << c.item << ' ' << c.days_after << '\n';
  }
  return text.str();
}

TEST(AllocatorMetamorphic, LowerTierSiteChangesNothingForHigherTiers) {
  std::mt19937_64 rng(17);
  for (int seed = 1; seed <= kRandomInstances; ++seed) {
    const Province p = GenerateProvince(SmallProvinceOptions(seed));
    std::vector<Site> sites = p.city.sites();
    sites.push_back({"zz-new", p.city.counties().front().id, "New", "community", 10, 4});
    const City bigger = Rebuild(p.city, sites, rng);
    std::vector<SiteDemand> demand = p.demand;
    for (const Item& item : p.city.items()) {
      // Not N95: its own demand, at any tier, comes before what it substitutes for.
      if (item.substitutes_for.empty()) demand.push_back({"zz-new", item.id, 0, 50, 0});
    }
    const AllocationPlan before = Allocate(p.city, p.stock, p.demand);
    const AllocationPlan after = Allocate(bigger, p.stock, demand);
    ASSERT_EQ(HigherTiers(before, 4), HigherTiers(after, 4)) << "seed " << seed;
  }
}

TEST(Province, CityYamlReadsBack) {
  ProvinceOptions options;
  options.counties = 5;
  options.warehouses = 8;
  options.sites = 40;
  const Province p = GenerateProvince(options);
  std::ostringstream yaml;
  WriteCityYaml(p.city, yaml);
  const City back = MustParse(yaml.str());
  EXPECT_EQ(back.sites().size(), p.city.sites().size());
  EXPECT_EQ(back.warehouses().size(), p.city.warehouses().size());
  EXPECT_EQ(back.policy().reserve_warehouse, "city-reserve");
  EXPECT_EQ(Dump(Allocate(back, p.stock, p.demand)), Dump(Allocate(p.city, p.stock, p.demand)));
}

}  // namespace
}  // namespace ppe
