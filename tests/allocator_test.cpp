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
    std::snprintf(line, sizeof line, "cover %s %s t%d %.17g %.17g %lld %d %.17g\n",
                  c.site.c_str(), c.item.c_str(), c.tier, c.days_before, c.days_after,
                  static_cast<long long>(c.granted_units), static_cast<int>(c.outcome),
                  c.pool_ran_out_at_days);
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

// Tier-major: in tier 1, N95 stock first fills tier 1's own N95 demand, surgical stock fills tier
// 1's surgical demand, and only then does N95's leftover top up tier 1's surgical demand. Tier 2's
// N95 demand comes after all of that, so a station gets no N95 while a hospital is short of masks.
TEST(AllocatorCases, N95FillsATiersSurgicalDemandAfterThatTiersOwnAndBeforeLowerTiers) {
  const City city = MustParse(kMaskCity);
  const std::vector<SiteDemand> demand = {{"h1", "mask.n95", 0, 10, 0},
                                          {"h1", "mask.surgical", 0, 100, 0},
                                          {"t1", "mask.n95", 0, 10, 0}};
  const AllocationPlan plan =
      Allocate(city, {{"wa", "mask.n95", 200}, {"wa", "mask.surgical", 100}}, demand);
  // N95: 7 lots to h1's own demand, then the other 13 lots to h1's surgical demand (after its
  // 2 lots of surgical); tier 2's N95 demand gets what is left of 20 lots: nothing.
  ASSERT_EQ(plan.orders.size(), 3u);
  EXPECT_EQ(Received(plan, "h1", "mask.n95"), 70);
  EXPECT_EQ(Received(plan, "t1", "mask.n95"), 0);
  EXPECT_EQ(Received(plan, "h1", "mask.surgical"), 230);
  const PlannedOrder* substitute = nullptr;
  for (const PlannedOrder& o : plan.orders) {
    if (o.item != o.for_item) substitute = &o;
  }
  ASSERT_NE(substitute, nullptr);
  EXPECT_EQ(std::tie(substitute->item, substitute->for_item, substitute->to_site),
            std::tie("mask.n95", "mask.surgical", "h1"));
  EXPECT_EQ(substitute->qty, 130);
  EXPECT_DOUBLE_EQ(substitute->days_after, 2.3);

  // With N95 to spare, tier 2 gets its N95 once h1's surgical demand is at target.
  const AllocationPlan plenty =
      Allocate(city, {{"wa", "mask.n95", 1000}, {"wa", "mask.surgical", 100}}, demand);
  EXPECT_EQ(Received(plenty, "h1", "mask.n95"), 70);
  EXPECT_EQ(Received(plenty, "h1", "mask.surgical"), 700);  // 100 surgical + 600 N95
  EXPECT_EQ(Received(plenty, "t1", "mask.n95"), 70);

  // Too little N95 for h1's own N95 demand: none of it goes to surgical demand, none to tier 2.
  const AllocationPlan scarce =
      Allocate(city, {{"wa", "mask.n95", 50}, {"wa", "mask.surgical", 100}}, demand);
  EXPECT_EQ(Received(scarce, "h1", "mask.n95"), 50);
  EXPECT_EQ(Received(scarce, "h1", "mask.surgical"), 100);
  EXPECT_EQ(Received(scarce, "t1", "mask.n95"), 0);
  for (const PlannedOrder& o : scarce.orders) EXPECT_EQ(o.item, o.for_item);
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

// a-big (0 on hand, 100/day): cap 14 lots, first block 2 days × 100 = 4 lots, keyed at 0 days.
// b-small (0 on hand, 10/day): cap 2 lots, first block 1 lot, keyed at 0 days, after a-big by id.
// c-station (tier 2, 0 on hand, 5/day): cap 1 lot.
std::vector<SiteDemand> MinOrderDemand() {
  return {{"a-big", "sanitizer", 0, 100, 0},
          {"b-small", "sanitizer", 0, 10, 0},
          {"c-station", "sanitizer", 0, 5, 0}};
}

TEST(AllocatorCases, LowestSiteTakesWhatIsLeftWhenLessThanItsBlock) {
  const City city = MustParse(kMinOrderCity);
  const std::vector<SiteDemand> demand = MinOrderDemand();
  // Four lots: a-big is lowest (first by id at 0 days) and its whole block fits.
  const AllocationPlan four = Allocate(city, {{"wa", "sanitizer", 200}}, demand);
  EXPECT_EQ(Received(four, "a-big", "sanitizer"), 200);
  EXPECT_EQ(Received(four, "b-small", "sanitizer"), 0);
  EXPECT_EQ(Received(four, "c-station", "sanitizer"), 0);
  // Three lots: a-big's block no longer fits, and a-big takes all three; the fill ends there.
  // Nothing is skipped: neither b-small nor tier 2 gets the lots a-big's block was short of.
  const AllocationPlan three = Allocate(city, {{"wa", "sanitizer", 150}}, demand);
  EXPECT_EQ(Received(three, "a-big", "sanitizer"), 150);
  EXPECT_EQ(Received(three, "b-small", "sanitizer"), 0);
  EXPECT_EQ(Received(three, "c-station", "sanitizer"), 0);
  // Five lots: a-big's block (now at 2 days) and then b-small, still at 0 days, gets its block.
  const AllocationPlan five = Allocate(city, {{"wa", "sanitizer", 250}}, demand);
  EXPECT_EQ(Received(five, "a-big", "sanitizer"), 200);
  EXPECT_EQ(Received(five, "b-small", "sanitizer"), 50);
  // More supply never gives a site less, lot by lot up to everyone's cap and beyond.
  std::map<std::string, int64_t> last;
  for (int64_t lots = 0; lots <= 18; ++lots) {
    const AllocationPlan plan = Allocate(city, {{"wa", "sanitizer", lots * 50}}, demand);
    int64_t total = 0;
    for (const SiteDemand& d : demand) {
      const int64_t got = Received(plan, d.site, "sanitizer");
      EXPECT_GE(got, last[d.site]) << lots << " lots, " << d.site;
      last[d.site] = got;
      total += got;
    }
    EXPECT_EQ(total, std::min<int64_t>(lots, 17) * 50) << lots << " lots";
  }
}

TEST(AllocatorCases, SiteWhoseNeedIsBelowTheMinimumGetsItsWholeNeedOnItsTurn) {
  const City city = MustParse(kMinOrderCity);
  // Need 50 is one lot, below a 2-day × 100 = 4-lot minimum: its first block is its whole need.
  const AllocationPlan alone =
      Allocate(city, {{"wa", "sanitizer", 500}}, {{"a-big", "sanitizer", 650, 100, 0}});
  ASSERT_EQ(alone.orders.size(), 1u);
  EXPECT_EQ(alone.orders[0].qty, 50);
  // a-big at 6 days needs 100 = 2 lots (its block); b-small at 0 days is served first, twice
  // (0 and 5 days), then a-big at 6 days takes its whole need when four lots exist...
  const std::vector<SiteDemand> demand = {{"a-big", "sanitizer", 600, 100, 0},
                                          {"b-small", "sanitizer", 0, 10, 0}};
  const AllocationPlan four = Allocate(city, {{"wa", "sanitizer", 200}}, demand);
  EXPECT_EQ(Received(four, "b-small", "sanitizer"), 100);
  EXPECT_EQ(Received(four, "a-big", "sanitizer"), 100);
  // ... and what is left, one lot, when only three exist.
  const AllocationPlan three = Allocate(city, {{"wa", "sanitizer", 150}}, demand);
  EXPECT_EQ(Received(three, "b-small", "sanitizer"), 100);
  EXPECT_EQ(Received(three, "a-big", "sanitizer"), 50);
}

TEST(AllocatorCases, NothingGoesToTierTwoWhileATierOneSiteIsShort) {
  const City city = MustParse(kMinOrderCity);
  const std::vector<SiteDemand> demand = MinOrderDemand();
  // Tier 1 can take 14 + 2 = 16 lots; the station's lot comes only after both are at target.
  for (int64_t lots : {1, 3, 5, 15, 16}) {
    const AllocationPlan plan = Allocate(city, {{"wa", "sanitizer", lots * 50}}, demand);
    EXPECT_EQ(Received(plan, "c-station", "sanitizer"), 0) << lots << " lots";
    EXPECT_EQ(Received(plan, "a-big", "sanitizer") + Received(plan, "b-small", "sanitizer"),
              lots * 50);
  }
  const AllocationPlan seventeen = Allocate(city, {{"wa", "sanitizer", 850}}, demand);
  EXPECT_EQ(Received(seventeen, "a-big", "sanitizer"), 700);
  EXPECT_EQ(Received(seventeen, "b-small", "sanitizer"), 100);
  EXPECT_EQ(Received(seventeen, "c-station", "sanitizer"), 50);
}

// The shortage that starved the biggest hospital under the old rule (a block that did not fit was
// skipped and its lots went to smaller sites and even to tier 2). Kinds, lot and per-head use as
// in config/sanming.yaml; 2,500 masks, minimum order 1 day, target 7 days.
constexpr const char* kSanmingMaskCity = R"(
city: sanming
items: [{id: mask.surgical, name: "Surgical mask", unit: piece, lot: 50, per_head_daily: 2}]
tiers:
  1: [designated_hospital, fever_clinic]
  2: [airport, rail_station, bus_station, toll_station]
policy: {target_days: 7, min_order_days: 1}
counties: [{id: meilie, location: [26.2717, 117.6458]}]
warehouses: [{id: meilie-wh, county: meilie}]
sites:
  - {id: ml-first-fever, county: meilie, kind: fever_clinic, headcount: 60}
  - {id: ml-rail, county: meilie, kind: rail_station, headcount: 160}
  - {id: sm-first-hospital, county: meilie, kind: designated_hospital, headcount: 2200}
)";

TEST(AllocatorCases, SurgicalMaskShortageServesTheHospitalAndNotTheRailStation) {
  const City city = MustParse(kSanmingMaskCity);
  const std::vector<SiteDemand> demand = {{"sm-first-hospital", "mask.surgical", 0, 3000, 0},
                                          {"ml-first-fever", "mask.surgical", 10, 50, 0},
                                          {"ml-rail", "mask.surgical", 0, 100, 0}};
  const AllocationPlan plan = Allocate(city, {{"meilie-wh", "mask.surgical", 2500}}, demand);
  const int64_t hospital = Received(plan, "sm-first-hospital", "mask.surgical");
  const int64_t clinic = Received(plan, "ml-first-fever", "mask.surgical");
  EXPECT_EQ(Received(plan, "ml-rail", "mask.surgical"), 0);
  EXPECT_GT(hospital, 0);
  EXPECT_EQ(hospital + clinic, 2500);
  // Neither tier-1 site is left with nothing while the other, with more cover, gets stock.
  const double hospital_days = 0.0 / 3000, clinic_days = 10.0 / 50;
  EXPECT_FALSE(hospital == 0 && clinic > 0 && clinic_days > hospital_days);
  EXPECT_FALSE(clinic == 0 && hospital > 0 && hospital_days > clinic_days);
  // Exactly, by the rule: the hospital, at 0 days, is lowest; its block of 60 lots (one day of
  // 3,000) does not fit in 50, so it takes all 50 and the fill ends there. The clinic, at 0.2
  // days, comes next only once the hospital's block is whole (after 60 lots).
  EXPECT_EQ(hospital, 2500);
  for (const PlannedOrder& o : plan.orders) {
    EXPECT_EQ(o.tier, 1);
    EXPECT_EQ(o.reason, "own county");
  }
  ASSERT_EQ(plan.coverage.size(), 3u);  // (tier, item, site): the clinic, the hospital, the station
  const SiteCoverage& c_clinic = plan.coverage[0];
  const SiteCoverage& c_hospital = plan.coverage[1];
  const SiteCoverage& c_rail = plan.coverage[2];
  EXPECT_EQ(c_clinic.site, "ml-first-fever");
  EXPECT_EQ(c_hospital.site, "sm-first-hospital");
  EXPECT_EQ(c_rail.site, "ml-rail");
  EXPECT_EQ(c_hospital.granted_units, 2500);
  EXPECT_DOUBLE_EQ(c_hospital.days_after, 2500.0 / 3000);
  EXPECT_EQ(c_clinic.granted_units, 0);
  EXPECT_EQ(c_rail.granted_units, 0);
  for (const SiteCoverage* c : {&c_clinic, &c_hospital, &c_rail}) {
    EXPECT_EQ(c->outcome, FillOutcome::kPoolRanOut) << c->site;
  }
  EXPECT_DOUBLE_EQ(c_hospital.pool_ran_out_at_days, 0.2);  // the clinic's, the lowest short one
  EXPECT_DOUBLE_EQ(c_clinic.pool_ran_out_at_days, 0.2);
  EXPECT_DOUBLE_EQ(c_rail.pool_ran_out_at_days, 0);

  // More masks never give a site less: up to 3,000 they all go to the hospital's block, the
  // 61st lot goes to the clinic (0.2 days against the hospital's 1 day).
  const AllocationPlan block = Allocate(city, {{"meilie-wh", "mask.surgical", 3000}}, demand);
  EXPECT_EQ(Received(block, "sm-first-hospital", "mask.surgical"), 3000);
  EXPECT_EQ(Received(block, "ml-first-fever", "mask.surgical"), 0);
  const AllocationPlan more = Allocate(city, {{"meilie-wh", "mask.surgical", 3050}}, demand);
  EXPECT_EQ(Received(more, "sm-first-hospital", "mask.surgical"), 3000);
  EXPECT_EQ(Received(more, "ml-first-fever", "mask.surgical"), 50);
  EXPECT_EQ(Received(more, "ml-rail", "mask.surgical"), 0);
}

// ---------------------------------------------------------------------------------------------
// Water-filling against the lot-by-lot greedy it claims to equal.

// The rule, lot by lot and with nothing clever: serve the site with the lowest (cover before its
// next grant, position); its next grant is its first block (its minimum order, or all it needs if
// that is less, keyed at its starting cover) while it holds nothing, else one lot keyed at its
// cover before that lot. The last grant is what is left, if that is less.
std::vector<int64_t> NaiveGreedy(const std::vector<FillSite>& sites, int64_t lot, int64_t supply) {
  std::vector<int64_t> held(sites.size(), 0);
  for (int64_t left = supply; left > 0;) {
    int best = -1;
    double best_key = 0;
    for (size_t i = 0; i < sites.size(); ++i) {
      const FillSite& s = sites[i];
      if (held[i] >= s.cap_lots) continue;  // at its cap, or never wanted anything (cap 0)
      const double key = static_cast<double>(s.base_units + held[i] * lot) / s.daily_use;
      if (best < 0 || key < best_key) best = static_cast<int>(i), best_key = key;
    }
    if (best < 0) break;
    const FillSite& s = sites[best];
    const int64_t first_block = std::min(std::max<int64_t>(s.min_lots, 1), s.cap_lots);
    const int64_t grant = std::min(held[best] == 0 ? first_block : 1, left);
    held[best] += grant;
    left -= grant;
  }
  return held;
}

std::vector<FillSite> RandomFillSites(std::mt19937_64& rng) {
  std::vector<FillSite> sites(1 + rng() % 12);
  for (FillSite& s : sites) {
    s.daily_use = rng() % 4 == 0 ? 10.0 : static_cast<double>(1 + rng() % 200) / 4;  // ties
    s.base_units = rng() % 3 == 0 ? 0 : static_cast<int64_t>(rng() % 400);
    s.cap_lots = static_cast<int64_t>(rng() % 30);
    // Blocks from one lot to more than the cap (the block is then the whole need).
    s.min_lots = rng() % 5 == 0 ? 1 + static_cast<int64_t>(rng() % 40)
                                : 1 + static_cast<int64_t>(rng() % 6);
  }
  return sites;
}

int64_t Wanted(const std::vector<FillSite>& sites) {
  int64_t wanted = 0;
  for (const FillSite& s : sites) wanted += s.cap_lots;
  return wanted;
}

TEST(WaterFill, EqualsNaiveGreedyOnRandomSites) {
  std::mt19937_64 rng(7);
  int partial_blocks = 0;
  for (int round = 0; round < 2000; ++round) {
    const int64_t lot = 1 + rng() % 20;
    std::vector<FillSite> sites = RandomFillSites(rng);
    const int64_t supply = static_cast<int64_t>(rng() % (Wanted(sites) + 3));
    const std::vector<int64_t> expected = NaiveGreedy(sites, lot, supply);
    const int64_t handed = WaterFill(sites, lot, supply);
    int64_t expected_handed = 0;
    for (size_t i = 0; i < sites.size(); ++i) {
      ASSERT_EQ(sites[i].granted_lots, expected[i]) << "round " << round << " site " << i;
      expected_handed += expected[i];
      partial_blocks += expected[i] > 0 && expected[i] < std::min(sites[i].min_lots,
                                                                  sites[i].cap_lots);
    }
    ASSERT_EQ(handed, expected_handed);
    ASSERT_EQ(handed, std::min(supply, Wanted(sites)));  // nothing is left while a site can take it
  }
  EXPECT_GT(partial_blocks, 100);  // the cases do reach the short last block
}

TEST(WaterFill, FirstBlockIsTheMinimumOrTheWholeNeed) {
  EXPECT_EQ(FirstBlockLots({0, 1, 10, 4}), 4);
  EXPECT_EQ(FirstBlockLots({0, 1, 3, 4}), 3);
  EXPECT_EQ(FirstBlockLots({0, 1, 3, 0}), 1);
  FillSite big{0, 3000, 420, 60}, clinic{10, 50, 7, 1};
  std::vector<FillSite> sites = {big, clinic};
  EXPECT_EQ(WaterFill(sites, 50, 50), 50);
  EXPECT_EQ(sites[0].granted_lots, 50);  // the lowest takes what is left of its block
  EXPECT_EQ(sites[1].granted_lots, 0);
  EXPECT_DOUBLE_EQ(CoverBeforeLot(big, 50, 1), 0);
  EXPECT_DOUBLE_EQ(CoverBeforeLot(big, 50, 60), 0);
  EXPECT_DOUBLE_EQ(CoverBeforeLot(big, 50, 61), 1);
  std::vector<FillSite> capped = {{0, 1, 0, 5}, {0, 1, 2, 5}};
  EXPECT_EQ(WaterFill(capped, 1, 10), 2);  // cap 0 gets nothing, cap 2 below its minimum gets 2
  EXPECT_EQ(capped[0].granted_lots, 0);
  EXPECT_EQ(capped[1].granted_lots, 2);
}

// The service order does not depend on the supply, so one more lot never takes one from anyone.
TEST(WaterFill, MoreSupplyGivesNoSiteLess) {
  std::mt19937_64 rng(19);
  for (int round = 0; round < 200; ++round) {
    const int64_t lot = 1 + rng() % 20;
    std::vector<FillSite> sites = RandomFillSites(rng);
    std::vector<int64_t> before(sites.size(), 0);
    for (int64_t supply = 0; supply <= Wanted(sites) + 1; ++supply) {
      WaterFill(sites, lot, supply);
      for (size_t i = 0; i < sites.size(); ++i) {
        ASSERT_GE(sites[i].granted_lots, before[i]) << "round " << round << " supply " << supply;
        before[i] = sites[i].granted_lots;
      }
    }
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

// The random instances: SmallProvinceOptions(seed) as it is (three in four have a minimum order),
// then as many again with a minimum order forced on, 0.5 to 3 days, and daily use up to three times
// larger, so that blocks of several lots, and short last blocks, are common.
constexpr uint64_t kMinOrderSeeds = 1000;

std::vector<ProvinceOptions> PropertyInstances() {
  std::vector<ProvinceOptions> all;
  for (int seed = 1; seed <= kRandomInstances; ++seed) all.push_back(SmallProvinceOptions(seed));
  for (int seed = 1; seed <= kRandomInstances; ++seed) {
    ProvinceOptions options = SmallProvinceOptions(kMinOrderSeeds + seed);
    options.min_order_days = 0.5 * (1 + seed % 6);
    options.use_scale *= 1 + seed % 3;
    all.push_back(options);
  }
  return all;
}

std::string Describe(const ProvinceOptions& options) {
  std::ostringstream text;
  text << "seed " << options.seed << " min_order_days " << options.min_order_days << " use_scale "
       << options.use_scale << " substitutes " << options.substitutes;
  return text.str();
}

// How often the checks met the cases that matter, so that a vacuous pass shows.
struct CheckerStats {
  int instances = 0, with_min_order = 0;
  int block_grants = 0;    // first grants of more than one lot
  int partial_blocks = 0;  // last grants short of the site's first block
  int short_phases = 0;    // fills that ran out with a site below its cap
  int short_rows = 0;      // (site, item) rows left below target after the round
  int starved_checks = 0;  // (site that got nothing, site that got some) pairs compared
};

// Forgives floating-point dust exactly as the documented rounding ceil(need / lot) does.
constexpr double kDust = 1e-9;

int64_t LotsToCover(double units, int64_t lot) {
  return units <= kDust ? 0 : static_cast<int64_t>(std::ceil(units / lot - kDust));
}

class PlanChecker {
 public:
  PlanChecker(const Province& p, const AllocationPlan& plan, CheckerStats& stats)
      : p_(p), policy_(p.city.policy()), plan_(plan), stats_(stats) {
    for (int t : policy_.release_to_tiers) released_.insert(t);
    for (const WarehouseStock& s : p.stock) {
      available_[{s.warehouse, s.item}] += std::max<int64_t>(0, s.available);
    }
    for (const SiteDemand& d : p.demand) {
      if (!(d.daily_use > 0)) continue;
      const int tier = p.city.FindSite(d.site)->tier;
      rows_[d.item].push_back({&d, tier, released_.count(tier) > 0,
                               std::max<int64_t>(0, d.on_hand) + std::max<int64_t>(0, d.in_transit)});
      tiers_.insert(tier);
      EXPECT_TRUE(row_seen_.insert({d.site, d.item}).second) << "the checker assumes one row";
    }
    for (const PlannedOrder& o : plan.orders) {
      shipped_[{o.from_warehouse, o.item}] += o.qty;
      received_[{o.to_site, o.item, o.for_item}] += o.qty;
      received_total_[{o.to_site, o.for_item}] += o.qty;
    }
    for (const Item& item : p.city.items()) ids_.push_back(item.id);
    std::sort(ids_.begin(), ids_.end());
    ++stats_.instances;
    stats_.with_min_order += policy_.min_order_days > 0;
  }

  void CheckAll() {
    CheckStockAndLots();
    CheckNeedPlusLessThanALot();
    CheckPhases();
    CheckStrictTiersAcrossPools();
    CheckNoStarvation();
    CheckCoverageRows();
    for (const Item& item : p_.city.items()) CheckSourcingOptimal(item);
  }

 private:
  struct Row {
    const SiteDemand* d;
    int tier;
    bool released;
    int64_t base;  // on hand + in transit
  };

  int64_t Lot(const std::string& item) const { return p_.city.FindItem(item)->lot; }
  bool IsReserve(const std::string& warehouse) const {
    return warehouse == policy_.reserve_warehouse;
  }
  int64_t Received(const std::string& site, const std::string& ship, const std::string& for_item) const {
    const auto it = received_.find({site, ship, for_item});
    return it == received_.end() ? 0 : it->second;
  }
  int64_t ReceivedTotal(const std::string& site, const std::string& for_item) const {
    const auto it = received_total_.find({site, for_item});
    return it == received_total_.end() ? 0 : it->second;
  }
  // Units still missing to the target after the round (all shipped items counted).
  double Missing(const Row& r, const std::string& item) const {
    return r.d->daily_use * policy_.target_days - r.base - ReceivedTotal(r.d->site, item);
  }
  // Items whose stock may fill `item`'s demand: itself and each item that substitutes for it.
  std::vector<std::string> Fillers(const std::string& item) const {
    std::vector<std::string> fillers = {item};
    for (const Item& other : p_.city.items()) {
      const auto& subs = other.substitutes_for;
      if (std::find(subs.begin(), subs.end(), item) != subs.end()) fillers.push_back(other.id);
    }
    return fillers;
  }
  // Whole lots of `item` left in the general warehouses, or in the reserve.
  int64_t LotsLeft(const std::string& item, bool reserve) {
    int64_t left = 0;
    for (const Warehouse& w : p_.city.warehouses()) {
      if (IsReserve(w.id) != reserve) continue;
      left += available_[{w.id, item}] / Lot(item) - shipped_[{w.id, item}] / Lot(item);
    }
    return left;
  }

  // (a) Stock respected, whole lots, the reserve only to released tiers.
  void CheckStockAndLots() {
    for (const auto& [key, qty] : shipped_) {
      EXPECT_LE(qty, available_[key]) << key.first << " " << key.second;
    }
    for (const PlannedOrder& o : plan_.orders) {
      EXPECT_GT(o.qty, 0);
      EXPECT_EQ(o.qty % Lot(o.item), 0);
      EXPECT_EQ(o.tier, p_.city.FindSite(o.to_site)->tier) << o.to_site;
      if (IsReserve(o.from_warehouse)) {
        EXPECT_TRUE(released_.count(o.tier)) << o.to_site;
      }
    }
  }

  // (b) A site gets at most its need plus less than one lot, however many items filled it.
  void CheckNeedPlusLessThanALot() {
    for (const auto& [item, rows] : rows_) {
      for (const Row& r : rows) {
        int64_t largest_lot = 0;
        for (const Item& ship : p_.city.items()) {
          if (Received(r.d->site, ship.id, item) > 0) largest_lot = std::max(largest_lot, ship.lot);
        }
        const int64_t units = ReceivedTotal(r.d->site, item);
        const double need = r.d->daily_use * policy_.target_days - r.base;
        if (units > 0) {
          EXPECT_LT(units, need + largest_lot) << r.d->site << " " << item;
        }
      }
    }
  }

  // The fills in the documented order: tier by tier; in a tier each item (by id) on its own
  // demand, then each substitute (by id, in listed order) on the demand it may fill.
  std::vector<std::pair<std::string, std::string>> PhasesOfATier() const {
    std::vector<std::pair<std::string, std::string>> phases;
    for (const std::string& id : ids_) phases.push_back({id, id});
    for (const std::string& id : ids_) {
      for (const std::string& other : p_.city.FindItem(id)->substitutes_for) {
        phases.push_back({id, other});
      }
    }
    return phases;
  }

  struct Stake {
    const Row* row;
    int64_t base;  // units held before this fill: base plus earlier fills of the round
    int64_t cap, block, granted;  // lots of the shipped item
    double Key(int64_t lot, int64_t lots_before) const {
      return static_cast<double>(base + lots_before * lot) / row->d->daily_use;
    }
    bool Partial() const { return granted > 0 && granted < block; }
    // Cover before the next grant: its starting cover while it holds nothing.
    double NextKey(int64_t lot) const { return Key(lot, granted); }
    // Cover at which it was last served: its starting cover if it got only its first block.
    double LastKey(int64_t lot) const { return Key(lot, granted <= block ? 0 : granted - 1); }
  };

  // (e) Each fill, replayed from the instance: the pool it may use (general, plus the reserve for
  // a released tier, which takes the reserve first), every lot handed out while a site is short,
  // at most one short first block and then nothing left, and the water-filling certificate.
  void CheckPhases() {
    struct Pool {
      int64_t general = 0, reserve = 0;
    };
    std::map<std::string, Pool> pools;
    for (const std::string& id : ids_) pools[id] = {LotsLeftAtStart(id, false), LotsLeftAtStart(id, true)};
    std::map<std::pair<std::string, std::string>, int64_t> held;  // (site, for_item) units so far
    for (const int tier : tiers_) {
      const bool released = released_.count(tier) > 0;
      for (const auto& [ship, for_item] : PhasesOfATier()) {
        const int64_t lot = Lot(ship);
        std::vector<Stake> stakes;
        for (const Row& r : rows_[for_item]) {
          if (r.tier != tier) continue;
          const int64_t base = r.base + held[{r.d->site, for_item}];
          const int64_t cap = LotsToCover(r.d->daily_use * policy_.target_days - base, lot);
          const int64_t min_lots =
              std::max<int64_t>(1, LotsToCover(r.d->daily_use * policy_.min_order_days, lot));
          const int64_t units = Received(r.d->site, ship, for_item);
          EXPECT_EQ(units % lot, 0);
          stakes.push_back({&r, base, cap, cap == 0 ? 0 : std::min(min_lots, cap), units / lot});
        }
        Pool& pool = pools[ship];
        const int64_t usable = pool.general + (released ? pool.reserve : 0);
        CheckFill(tier, ship, for_item, lot, stakes, usable);
        int64_t handed = 0;
        for (const Stake& s : stakes) handed += s.granted;
        const int64_t from_reserve = released ? std::min(handed, pool.reserve) : 0;
        pool.reserve -= from_reserve;
        pool.general -= handed - from_reserve;
        for (const Stake& s : stakes) held[{s.row->d->site, for_item}] += s.granted * lot;
      }
    }
  }

  int64_t LotsLeftAtStart(const std::string& item, bool reserve) {
    int64_t lots = 0;
    for (const Warehouse& w : p_.city.warehouses()) {
      if (IsReserve(w.id) == reserve) lots += available_[{w.id, item}] / Lot(item);
    }
    return lots;
  }

  void CheckFill(int tier, const std::string& ship, const std::string& for_item, int64_t lot,
                 const std::vector<Stake>& stakes, int64_t usable) {
    const std::string where = "tier " + std::to_string(tier) + " " + ship + " for " + for_item;
    int64_t handed = 0;
    int partial = 0;
    bool any_short = false;
    for (const Stake& s : stakes) {
      EXPECT_LE(s.granted, s.cap) << where << " " << s.row->d->site;
      handed += s.granted;
      partial += s.Partial();
      any_short |= s.granted < s.cap;
      stats_.block_grants += s.granted > 1 && s.block > 1;
    }
    stats_.partial_blocks += partial;
    EXPECT_LE(handed, usable) << where;
    // Every whole lot is handed out while a site that can use it is below target.
    if (any_short) {
      ++stats_.short_phases;
      EXPECT_EQ(handed, usable) << where << ": lots left while a site is short";
    }
    // At most one grant short of its block: the last one, after which nothing is left.
    EXPECT_LE(partial, 1) << where;
    if (partial > 0) {
      EXPECT_EQ(handed, usable) << where << ": a short block with lots left";
    }
    // Certificate: no short site (other than the one short block) was due before any grant made.
    for (const Stake& i : stakes) {
      if (i.granted >= i.cap || i.Partial()) continue;
      for (const Stake& j : stakes) {
        if (&j == &i || j.granted == 0) continue;
        EXPECT_GE(i.NextKey(lot), j.LastKey(lot) - 1e-9)
            << where << ": " << i.row->d->site << " short at " << i.NextKey(lot) << " days while "
            << j.row->d->site << " was served at " << j.LastKey(lot);
      }
    }
  }

  // (c) Strict tiers across pools. A (site, item) row of tier t left below target means every
  // pool that could fill it ran dry in tier t: no lot of any filler item went from a general
  // warehouse to a lower tier (nor from the reserve, when t is released), and no whole lot of it
  // is left where this site could take it.
  void CheckStrictTiersAcrossPools() {
    std::map<std::string, int> lowest_general_tier, lowest_reserve_tier;  // largest tier number
    for (const PlannedOrder& o : plan_.orders) {
      int& lowest = (IsReserve(o.from_warehouse) ? lowest_reserve_tier : lowest_general_tier)[o.item];
      lowest = std::max(lowest, o.tier);
    }
    for (const auto& [item, rows] : rows_) {
      for (const Row& r : rows) {
        if (Missing(r, item) <= kDust) continue;
        ++stats_.short_rows;
        for (const std::string& x : Fillers(item)) {
          const std::string what = r.d->site + " (tier " + std::to_string(r.tier) + ") short of " +
                                   item + ", yet " + x;
          EXPECT_LE(lowest_general_tier[x], r.tier) << what << " went from general stock to tier "
                                                    << lowest_general_tier[x];
          EXPECT_EQ(LotsLeft(x, false), 0) << what << " is left in general stock";
          if (r.released) {
            EXPECT_LE(lowest_reserve_tier[x], r.tier) << what << " went from the reserve to tier "
                                                      << lowest_reserve_tier[x];
            EXPECT_EQ(LotsLeft(x, true), 0) << what << " is left in the reserve";
          }
        }
      }
    }
  }

  const SiteCoverage* CoverageRow(const std::string& site, const std::string& item) const {
    for (const SiteCoverage& c : plan_.coverage) {
      if (c.site == site && c.item == item) return &c;
    }
    return nullptr;
  }

  // (d) No starvation: in one tier and item, no site that needs something gets nothing while a
  // site that had strictly more days of cover before the round gets some.
  void CheckNoStarvation() {
    for (const auto& [item, rows] : rows_) {
      for (const Row& starved : rows) {
        if (starved.d->daily_use * policy_.target_days - starved.base <= kDust) continue;
        if (ReceivedTotal(starved.d->site, item) > 0) continue;
        const SiteCoverage* low = CoverageRow(starved.d->site, item);
        ASSERT_NE(low, nullptr) << starved.d->site << " " << item;
        for (const Row& fed : rows) {
          if (fed.tier != starved.tier || ReceivedTotal(fed.d->site, item) == 0) continue;
          const SiteCoverage* high = CoverageRow(fed.d->site, item);
          ASSERT_NE(high, nullptr) << fed.d->site << " " << item;
          ++stats_.starved_checks;
          EXPECT_LE(high->days_before, low->days_before)
              << starved.d->site << " got no " << item << " at " << low->days_before
              << " days while " << fed.d->site << " at " << high->days_before << " got "
              << ReceivedTotal(fed.d->site, item);
        }
      }
    }
  }

  // One coverage row per (site, item) with daily use, with its figures recomputed.
  void CheckCoverageRows() {
    size_t expected_rows = 0;
    std::map<std::pair<int, std::string>, double> lowest_short;  // (tier, item) → days after
    for (const auto& [item, rows] : rows_) {
      expected_rows += rows.size();
      for (const Row& r : rows) {
        if (Missing(r, item) > kDust) {
          double& low = lowest_short.try_emplace({r.tier, item}, 1e300).first->second;
          low = std::min(low, (r.base + ReceivedTotal(r.d->site, item)) / r.d->daily_use);
        }
      }
    }
    ASSERT_EQ(plan_.coverage.size(), expected_rows);
    for (const auto& [item, rows] : rows_) {
      for (const Row& r : rows) {
        const SiteCoverage* c = CoverageRow(r.d->site, item);
        ASSERT_NE(c, nullptr) << r.d->site << " " << item;
        const int64_t got = ReceivedTotal(r.d->site, item);
        const std::string what = r.d->site + " " + item;
        EXPECT_EQ(c->tier, r.tier) << what;
        EXPECT_NEAR(c->days_before, r.base / r.d->daily_use, 1e-9) << what;
        EXPECT_NEAR(c->days_after, (r.base + got) / r.d->daily_use, 1e-9) << what;
        EXPECT_EQ(c->granted_units, got) << what;
        const bool needed = r.d->daily_use * policy_.target_days - r.base > kDust;
        const bool short_of_target = Missing(r, item) > kDust;
        const FillOutcome outcome = !needed          ? FillOutcome::kAtTarget
                                    : short_of_target ? FillOutcome::kPoolRanOut
                                                      : FillOutcome::kReachedTarget;
        EXPECT_EQ(static_cast<int>(c->outcome), static_cast<int>(outcome)) << what;
        if (short_of_target) {
          EXPECT_NEAR(c->pool_ran_out_at_days, (lowest_short[{r.tier, item}]), 1e-9) << what;
        }
      }
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
  const Policy& policy_;
  const AllocationPlan& plan_;
  CheckerStats& stats_;
  std::set<int> released_, tiers_;
  std::vector<std::string> ids_;
  std::map<std::pair<std::string, std::string>, int64_t> available_, shipped_, received_total_;
  std::map<std::string, std::vector<Row>> rows_;
  std::set<std::pair<std::string, std::string>> row_seen_;
  std::map<std::tuple<std::string, std::string, std::string>, int64_t> received_;
};

TEST(AllocatorProperties, RandomInstancesKeepEveryRule) {
  CheckerStats stats;
  for (const ProvinceOptions& options : PropertyInstances()) {
    SCOPED_TRACE(Describe(options));
    const Province p = GenerateProvince(options);
    const AllocationPlan plan = Allocate(p.city, p.stock, p.demand);
    PlanChecker(p, plan, stats).CheckAll();
    if (HasFailure()) return;
  }
  std::printf("checked %d instances (%d with a minimum order): %d block grants, %d short last "
              "blocks, %d fills that ran short, %d rows left short, %d starvation pairs\n",
              stats.instances, stats.with_min_order, stats.block_grants, stats.partial_blocks,
              stats.short_phases, stats.short_rows, stats.starved_checks);
  EXPECT_GE(stats.with_min_order, 300);
  EXPECT_GE(stats.block_grants, 300);
  EXPECT_GE(stats.partial_blocks, 50);
}

// The generator releases the reserve to tier 1 only. Released tiers below unreleased ones make
// the reserve clauses of the strict-tier rule bite: a released tier 3 may take reserve lots while
// tier 2 is short, but no general lot.
TEST(AllocatorProperties, ReserveReleasedToOtherTiersKeepsEveryRule) {
  const std::vector<std::vector<int>> releases = {{1, 3}, {2}, {2, 4}, {3}, {1, 2, 3, 4}};
  CheckerStats stats;
  int with_reserve = 0;
  for (const ProvinceOptions& options : PropertyInstances()) {
    if (options.seed <= kMinOrderSeeds) continue;  // the second set: minimum orders on
    const Province generated = GenerateProvince(options);
    Policy policy = generated.city.policy();
    if (policy.reserve_warehouse.empty()) continue;
    ++with_reserve;
    policy.release_to_tiers = releases[options.seed % releases.size()];
    const City& c = generated.city;
    Result<City> city = City::Build(c.name(), c.items(), c.tiers(), policy, c.counties(),
                                    c.warehouses(), c.sites());
    ASSERT_TRUE(city.ok()) << city.status().message();
    const Province p{std::move(city.value()), generated.stock, generated.demand};
    std::ostringstream released;
    for (int tier : policy.release_to_tiers) released << ' ' << tier;
    SCOPED_TRACE(Describe(options) + " reserve released to tiers" + released.str());
    const AllocationPlan plan = Allocate(p.city, p.stock, p.demand);
    PlanChecker(p, plan, stats).CheckAll();
    if (HasFailure()) return;
  }
  EXPECT_GE(with_reserve, 100);
}

TEST(AllocatorProperties, SecondRoundPlansNothing) {
  for (const ProvinceOptions& options : PropertyInstances()) {
    SCOPED_TRACE(Describe(options));
    Province p = GenerateProvince(options);
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
  for (const ProvinceOptions& options : PropertyInstances()) {
    const Province p = GenerateProvince(options);
    const City shuffled = Rebuild(p.city, p.city.sites(), rng);
    ASSERT_EQ(Dump(Allocate(p.city, p.stock, p.demand)),
              Dump(Allocate(shuffled, Shuffled(p.stock, rng), Shuffled(p.demand, rng))))
        << Describe(options);
  }
}

// With minimum orders on: the service order of a fill does not depend on its supply, so more
// stock only extends it. Substitutes stay off: a substitute only tops up what the item itself
// left, in its own lots, so more of the item can shift the substitute's lots to another site and
// leave a site with less. Smallest case (no minimum order needed): N95 (lot 20) may fill surgical
// demand (lot 50); site a at 0 days uses 10/day, site b at 4.5 days uses 1,000/day. With 60 N95
// alone, a gets all three lots (6 days); add 50 surgical masks and a takes them (5 days), after
// which b, now the lowest, takes the 60 N95: a ends with 50 units instead of 60.
TEST(AllocatorMetamorphic, MoreStockGivesNoSiteLess) {
  std::mt19937_64 rng(13);
  int with_min_order = 0;
  for (ProvinceOptions options : PropertyInstances()) {
    if (options.min_order_days == 0) continue;
    ++with_min_order;
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
          << Describe(options) << " " << c.site << " " << c.item;
    }
  }
  EXPECT_GE(with_min_order, 300);
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

// Tier-major: every fill of tiers 1-3 (own items and substitutes) comes before any fill of tier 4,
// so a tier-4 site's demand, N95 included, cannot change what tiers 1-3 get.
TEST(AllocatorMetamorphic, LowerTierSiteChangesNothingForHigherTiers) {
  std::mt19937_64 rng(17);
  for (const ProvinceOptions& options : PropertyInstances()) {
    const Province p = GenerateProvince(options);
    std::vector<Site> sites = p.city.sites();
    sites.push_back({"zz-new", p.city.counties().front().id, "New", "community", 10, 4});
    const City bigger = Rebuild(p.city, sites, rng);
    std::vector<SiteDemand> demand = p.demand;
    for (const Item& item : p.city.items()) demand.push_back({"zz-new", item.id, 0, 50, 0});
    const AllocationPlan before = Allocate(p.city, p.stock, p.demand);
    const AllocationPlan after = Allocate(bigger, p.stock, demand);
    ASSERT_EQ(HigherTiers(before, 4), HigherTiers(after, 4)) << Describe(options);
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
