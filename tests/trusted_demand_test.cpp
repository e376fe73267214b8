// Trusted demand (ceiling, observed use, staleness), the planned round's JSON, and the loop's
// cycle record: the pure logic under `ppe-ctl demand`, `explain --site` and `allocate --dry-run`.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "broker/allocator.h"
#include "broker/loop_stats.h"
#include "broker/plan_json.h"
#include "broker/trusted_demand.h"
#include "tests/test_support.h"

namespace ppe::test {
namespace {

constexpr int64_t kDay = kObservationSpanMs;

TEST(ObserveUse, EarlierPlusLandedMinusLaterPerDay) {
  const UseObservation two_days = ObserveUse(1000, 400, 600, 2 * kDay);
  EXPECT_EQ(two_days.state, ObservedUse::kObserved);
  EXPECT_DOUBLE_EQ(two_days.daily_use, 400);
  EXPECT_DOUBLE_EQ(ObserveUse(1000, 0, 700, kDay + kDay / 2).daily_use, 200);
}

TEST(ObserveUse, LessThanADayApartSaysNothing) {
  EXPECT_EQ(ObserveUse(1000, 0, 10, kDay - 1).state, ObservedUse::kNone);
}

TEST(ObserveUse, AStockOutIsNotAFigure) {
  // It used everything it had: how much more it would have used nobody counted.
  EXPECT_EQ(ObserveUse(1000, 500, 0, 2 * kDay).state, ObservedUse::kRanOut);
}

TEST(ObserveUse, MoreThanItHadAndReceivedIsInconsistent) {
  EXPECT_EQ(ObserveUse(100, 0, 700, 2 * kDay).state, ObservedUse::kInconsistent);  // goods from outside
  EXPECT_EQ(ObserveUse(500, 0, 500, 2 * kDay).state, ObservedUse::kInconsistent);  // a copied figure
}

Policy PolicyWith(double use_ceiling, double observed_margin, double stale_after_days) {
  Policy policy;
  policy.use_ceiling = use_ceiling;
  policy.observed_margin = observed_margin;
  policy.stale_after_days = stale_after_days;
  return policy;
}

TEST(TrustDailyUse, TheLowestOfReportedCeilingAndObservedWins) {
  const Item mask{"mask.surgical", "", "", 50, {}, 1.0};
  const Site hospital{"h", "c", "", "designated_hospital", 300, 1};
  const Policy policy = PolicyWith(3, 2, 3);
  // 300,000 typed instead of 300: the ceiling, 3 x 300 heads x 1 a head, holds it at 900.
  TrustedUse t = TrustDailyUse(policy, &mask, &hospital, 300000, {}, 0, 0);
  EXPECT_DOUBLE_EQ(t.used, 900);
  EXPECT_EQ(t.set_by, CapBy::kCeiling);
  ASSERT_TRUE(t.ceiling);
  EXPECT_DOUBLE_EQ(*t.ceiling, 900);
  // Its counts show it used 200 a day: twice that, 400, is what the allocator works with.
  t = TrustDailyUse(policy, &mask, &hospital, 800, {ObservedUse::kObserved, 200}, 0, 0);
  EXPECT_DOUBLE_EQ(t.used, 400);
  EXPECT_EQ(t.set_by, CapBy::kObserved);
  EXPECT_TRUE(t.capped());
  // Below every cap the report stands.
  t = TrustDailyUse(policy, &mask, &hospital, 300, {ObservedUse::kObserved, 200}, 0, 0);
  EXPECT_DOUBLE_EQ(t.used, 300);
  EXPECT_FALSE(t.capped());
  // observed_margin 0 turns the observed cap off.
  t = TrustDailyUse(PolicyWith(3, 0, 3), &mask, &hospital, 800, {ObservedUse::kObserved, 200}, 0, 0);
  EXPECT_DOUBLE_EQ(t.used, 800);
}

TEST(TrustDailyUse, NoHeadcountOrPerHeadUseMeansNoCeiling) {
  const Item disinfectant{"disinfectant", "", "", 10, {}, 0};
  const Site site{"h", "c", "", "designated_hospital", 300, 1};
  const TrustedUse t = TrustDailyUse(PolicyWith(3, 2, 3), &disinfectant, &site, 5000, {}, 0, 0);
  EXPECT_FALSE(t.ceiling);
  EXPECT_DOUBLE_EQ(t.used, 5000);
}

TEST(TrustDailyUse, InconsistentCountsAreFlaggedAndCapNothing) {
  const TrustedUse t = TrustDailyUse(PolicyWith(3, 2, 3), nullptr, nullptr, 100,
                                     {ObservedUse::kInconsistent, 0}, 0, 0);
  EXPECT_TRUE(t.inconsistent);
  EXPECT_DOUBLE_EQ(t.used, 100);
}

TEST(TrustDailyUse, OlderThanStaleAfterDaysIsStaleAndStillCounts) {
  const Policy policy = PolicyWith(3, 2, 3);
  EXPECT_FALSE(TrustDailyUse(policy, nullptr, nullptr, 100, {}, 0, 3 * kDay).stale);
  const TrustedUse t = TrustDailyUse(policy, nullptr, nullptr, 100, {}, 0, 3 * kDay + 1);
  EXPECT_TRUE(t.stale);
  EXPECT_DOUBLE_EQ(t.used, 100);
}

// The dry run's text is written by hand for speed: it must say exactly what the tree says.
TEST(PlanJson, TextEqualsTheRowsAsATree) {
  const City city = SmallCity();
  AllocationPlan plan;
  plan.orders.push_back({"sanyuan-wh", "sm-first-hospital", "mask.n95", "mask.n95", 600, 1, 0.5, 6.0 + 1.0 / 3,
                         12.345, "own county"});
  plan.orders.push_back({"sanyuan-wh", "sy-rail", "mask.n95", "mask.n95", 50, 2, 0, 7, 0,
                         "quote \" and backslash \\ and 区"});
  plan.coverage.push_back({"sm-first-hospital", "mask.n95", 1, 0.5, 6.0 + 1.0 / 3});
  const nlohmann::json text = nlohmann::json::parse(PlanJsonText(city, plan, 7));
  EXPECT_EQ(text["round"], 7);
  EXPECT_EQ(text["dry_run"], true);
  ASSERT_EQ(text["orders"].size(), 2u);
  for (size_t i = 0; i < plan.orders.size(); ++i) {
    EXPECT_EQ(text["orders"][i], PlannedOrderRow(city, plan.orders[i], 7)) << i;
  }
  EXPECT_EQ(text["orders"][0]["days_after"], 6.33);
  EXPECT_EQ(text["orders"][0]["from_county"], "sanyuan");
  EXPECT_EQ(text["coverage"][0]["days_before"], 0.5);
}

TEST(LoopStats, LongestCycleOfTheLastSeconds) {
  LoopStats stats;
  stats.Record(100'000, 30);
  stats.Record(100'500, 5);
  stats.Record(105'000, 12);
  EXPECT_EQ(stats.LongestMs(105'100, 10), 30);
  EXPECT_EQ(stats.LongestMs(105'100, 3), 12);
  EXPECT_EQ(stats.LongestMs(200'000, 60), 0);  // all of it is older than a minute
  stats.Record(160'000, 7);                     // the slot of second 100 is reused
  EXPECT_EQ(stats.LongestMs(160'000, 60), 12);
}

}  // namespace
}  // namespace ppe::test
