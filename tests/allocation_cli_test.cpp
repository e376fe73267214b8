// Allocation rounds through the real commands: `ppe-ctl allocate --dry-run` previews the plan
// (JSON as in the spec, a table grouped by tier with each order's explanation) and stores nothing;
// `ppe-ctl allocate` commits it once, with the coordinator's key only; `ppe-ctl explain` says why.
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <sstream>
#include <tuple>

#include "common/clock.h"
#include "tests/cluster.h"

namespace ppe::testing {
namespace {

using nlohmann::json;

// Alpha's three hospitals and station, as in issue 3's example; gamma (near alpha) and the city
// reserve hold stock for the sourcing case. Target 7 days, lots of 50.
constexpr const char* kCity = R"(city: rationville
location: [26.30, 117.30]
items:
  - {id: mask.surgical, name: Surgical mask, unit: piece, lot: 50, substitutes_for: []}
tiers: {1: [designated_hospital], 2: [rail_station]}
policy: {target_days: 7, min_order_days: 1, road_factor: 1.3, city_reserve: {warehouse: city-reserve, release_to_tiers: [1]}}
counties:
  - {id: alpha, name: Alpha, location: [26.00, 117.00]}
  - {id: gamma, name: Gamma, location: [26.10, 117.10]}
warehouses:
  - {id: city-reserve, county: city, name: City reserve}
  - {id: alpha-wh, county: alpha, name: Alpha warehouse}
  - {id: gamma-wh, county: gamma, name: Gamma warehouse}
sites:
  - {id: h1, county: alpha, name: Hospital 1, kind: designated_hospital, headcount: 100}
  - {id: h2, county: alpha, name: Hospital 2, kind: designated_hospital, headcount: 100}
  - {id: h3, county: alpha, name: Hospital 3, kind: designated_hospital, headcount: 100}
  - {id: r1, county: alpha, name: Station 1, kind: rail_station, headcount: 100}
)";

bool Contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// Each order as (to_site, from_warehouse, qty), for comparing plans at a glance.
std::set<std::tuple<std::string, std::string, int64_t>> Shipments(const json& orders) {
  std::set<std::tuple<std::string, std::string, int64_t>> out;
  for (const json& o : orders) out.emplace(o["to_site"], o["from_warehouse"], o["qty"].get<int64_t>());
  return out;
}

class AllocationCli : public ::testing::Test {
 protected:
  // city_file: a city file to deploy; else city_yaml, written to a temporary file.
  explicit AllocationCli(const std::string& city_file = "", const char* city_yaml = kCity)
      : city_("city.yaml", city_yaml), cluster_(city_file.empty() ? city_.path() : city_file) {}
  void SetUp() override { cluster_.StartBroker(); }

  // Records at `node` (its daemon started on first use) and waits until the broker applied it.
  void Record(const std::string& node, const std::vector<std::string>& args) {
    if (started_.insert(node).second) {
      cluster_.NodeStatus(node);  // creates the store, so the daemon and this command do not race to
      cluster_.StartNode(node);   // create it (see DispatchNodeStart)
    }
    const CommandResult r = cluster_.Node(node, args);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    ASSERT_TRUE(cluster_.WaitDrained(node)) << cluster_.NodeStatus(node).dump();
  }
  void Demand(const std::string& node, const std::string& site, const std::string& item, int on_hand, int daily_use) {
    Record(node, {"demand", site, item, "--on-hand", std::to_string(on_hand), "--daily-use", std::to_string(daily_use)});
  }

  // Issue 3's example: 750 masks for (on hand, daily use) = (0, 100), (200, 50), (250, 50) at three
  // tier-1 hospitals, and a tier-2 station with none.
  void IssueExample() {
    Record("alpha", {"stock", "alpha-wh", "mask.surgical", "750"});
    Demand("alpha", "h1", "mask.surgical", 0, 100);
    Demand("alpha", "h2", "mask.surgical", 200, 50);
    Demand("alpha", "h3", "mask.surgical", 250, 50);
    Demand("alpha", "r1", "mask.surgical", 0, 50);
  }

  TempFile city_;
  Cluster cluster_;
  std::set<std::string> started_;
};

TEST_F(AllocationCli, IssueExampleFillsTier1To6DaysAnd600_100_50AndGivesTier2Nothing) {
  IssueExample();
  const json plan = cluster_.CtlJson({"allocate", "--dry-run"});
  EXPECT_EQ(Shipments(plan["orders"]),
            (std::set<std::tuple<std::string, std::string, int64_t>>{
                {"h1", "alpha-wh", 600}, {"h2", "alpha-wh", 100}, {"h3", "alpha-wh", 50}}));
  for (const json& o : plan["orders"]) {
    EXPECT_EQ(o["tier"], 1);
    EXPECT_EQ(o["days_after"], 6.0) << o.dump();
    EXPECT_EQ(o["reason"], "own county");
  }
  for (const json& c : plan["coverage"]) {
    EXPECT_EQ(c["days_after"], c["site"] == "r1" ? 0.0 : 6.0) << c.dump();
  }
}

TEST_F(AllocationCli, CommitByTheCoordinatorOnlyStoresOrdersReservesStockAndASecondRoundMakesNone) {
  IssueExample();
  cluster_.KillNode("alpha");  // so that nothing is accepted yet
  const json preview = cluster_.CtlJson({"allocate", "--dry-run"});

  const CommandResult viewer = cluster_.Ctl({"allocate"}, "viewer");
  EXPECT_NE(viewer.exit_code, 0);
  EXPECT_TRUE(Contains(viewer.err, "a viewer key cannot run an allocation round")) << viewer.err;
  EXPECT_EQ(cluster_.CtlJson({"orders"}), json::array());

  const json round = cluster_.CtlJson({"allocate"});
  EXPECT_EQ(round["round"], preview["round"]);
  EXPECT_EQ(Shipments(round["orders"]), Shipments(preview["orders"]));
  const json stored = cluster_.CtlJson({"orders"});
  EXPECT_EQ(Shipments(stored), Shipments(preview["orders"]));
  for (const json& o : stored) {
    EXPECT_EQ(o["status"], "created");
    EXPECT_EQ(o["round"], round["round"]);
  }
  const json stock = cluster_.CtlJson({"stock"});
  ASSERT_EQ(stock.size(), 1u);
  EXPECT_EQ(stock[0]["reserved"], 750);
  EXPECT_EQ(stock[0]["available"], 0);

  // Nothing new was reported: the orders in transit count, and no order is made twice.
  const json again = cluster_.CtlJson({"allocate"});
  EXPECT_EQ(again["orders"], json::array());
  EXPECT_EQ(cluster_.CtlJson({"orders"}).size(), stored.size());
}

TEST_F(AllocationCli, DryRunTableGroupsOrdersByTierWithWhyEachWarehouse) {
  // 14 lots for h1 and 7 for r1 against 6 + 4 + 6 lots: tier 1 takes the reserve first, then its own
  // county's stock, then gamma's; the two lots left of gamma's go to the station.
  Record("alpha", {"stock", "alpha-wh", "mask.surgical", "300"});
  Record("gamma", {"stock", "gamma-wh", "mask.surgical", "200"});
  Record("city", {"stock", "city-reserve", "mask.surgical", "300"});
  Demand("alpha", "h1", "mask.surgical", 0, 100);
  Demand("alpha", "r1", "mask.surgical", 0, 50);

  const json orders = cluster_.CtlJson({"allocate", "--dry-run"})["orders"];
  std::set<std::tuple<int, std::string, std::string, int64_t>> expected = {
      {1, "h1", "city reserve", 300}, {1, "h1", "own county", 300}, {1, "h1", "nearest with stock", 100},
      {2, "r1", "nearest with stock", 100}};
  std::set<std::tuple<int, std::string, std::string, int64_t>> got;
  for (const json& o : orders) {
    const std::string reason = o["reason"];
    got.emplace(o["tier"].get<int>(), o["to_site"], reason.substr(0, reason.find(" (")), o["qty"].get<int64_t>());
  }
  EXPECT_EQ(got, expected) << orders.dump(2);

  const CommandResult table = cluster_.Ctl({"allocate", "--dry-run"});
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_TRUE(Contains(table.out, "dry run: nothing stored")) << table.out;
  const size_t tier1 = table.out.find("\ntier 1:"), tier2 = table.out.find("\ntier 2:");
  ASSERT_NE(tier1, std::string::npos) << table.out;
  ASSERT_NE(tier2, std::string::npos) << table.out;
  ASSERT_LT(tier1, tier2) << table.out;
  // Each order is a line of its tier's section, with its warehouse and the reason.
  for (const json& o : orders) {
    const std::string section = o["tier"] == 1 ? table.out.substr(tier1, tier2 - tier1) : table.out.substr(tier2);
    bool found = false;
    std::istringstream lines(section);
    for (std::string line; std::getline(lines, line);) {
      found = found || (Contains(line, o["from_warehouse"].get<std::string>()) &&
                        Contains(line, o["to_site"].get<std::string>()) && Contains(line, o["reason"].get<std::string>()));
    }
    EXPECT_TRUE(found) << o.dump() << "\n" << table.out;
  }
}

TEST_F(AllocationCli, ExplainGivesTierCoverBeforeAndAfterAndReasonAndRefusesAnUnknownOrder) {
  IssueExample();
  const json round = cluster_.CtlJson({"allocate"});
  const json h1 = [&] {
    for (const json& o : round["orders"]) {
      if (o["to_site"] == "h1") return o;
    }
    return json();
  }();
  ASSERT_TRUE(h1.is_object()) << round.dump(2);
  const std::string id = std::to_string(h1["id"].get<int64_t>());

  const CommandResult text = cluster_.Ctl({"explain", id}, "viewer");
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_TRUE(Contains(text.out, "600 mask.surgical from alpha-wh (alpha) to h1 (alpha)")) << text.out;
  EXPECT_TRUE(Contains(text.out, "tier 1 site; its mask.surgical cover rises from 0.0 to 6.0 days")) << text.out;
  EXPECT_TRUE(Contains(text.out, "source:  own county")) << text.out;
  const json explained = cluster_.CtlJson({"explain", id});
  EXPECT_EQ((json{explained["tier"], explained["days_before"], explained["days_after"], explained["reason"]}),
            (json{1, 0.0, 6.0, "own county"}));

  const CommandResult unknown = cluster_.Ctl({"explain", "999"});
  EXPECT_NE(unknown.exit_code, 0);
  EXPECT_TRUE(Contains(unknown.err, "unknown order 999")) << unknown.err;
}

// The real Sanming city with scarce masks: tier 1 is below target, so no lower tier gets any;
// sanitizer is plentiful, so tier 2 gets some after tier 1 reached target.
class AllocationCliSanming : public AllocationCli {
 protected:
  AllocationCliSanming() : AllocationCli(PPE_SOURCE_DIR "/config/sanming.yaml") {}
};

TEST_F(AllocationCliSanming, DryRunShowsTheSpecsFieldsServesTier1FirstAndStoresNothing) {
  Record("meilie", {"stock", "meilie-wh", "mask.surgical", "2000"});
  Record("meilie", {"stock", "meilie-wh", "sanitizer", "240"});
  Record("sanyuan", {"stock", "sanyuan-wh", "mask.surgical", "1000"});
  Demand("meilie", "sm-first-hospital", "mask.surgical", 0, 2000);
  Demand("meilie", "ml-first-fever", "mask.surgical", 100, 120);
  Demand("meilie", "ml-rail", "mask.surgical", 0, 320);
  Demand("sanyuan", "sy-bus", "mask.surgical", 0, 100);
  Demand("meilie", "ml-first-fever", "sanitizer", 0, 6);
  Demand("meilie", "ml-rail", "sanitizer", 0, 16);

  const CommandResult first = cluster_.Ctl({"allocate", "--dry-run", "--json"});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  const json plan = json::parse(first.out);
  for (const char* key : {"round", "orders", "coverage"}) EXPECT_TRUE(plan.contains(key)) << key;
  ASSERT_FALSE(plan["orders"].empty());
  for (const json& o : plan["orders"]) {
    for (const char* key : {"id", "round", "from_warehouse", "from_county", "to_site", "to_county", "item", "qty",
                            "status", "received_qty", "tier", "days_before", "days_after", "reason"}) {
      EXPECT_TRUE(o.contains(key)) << key << " missing in " << o.dump();
    }
  }
  for (const json& c : plan["coverage"]) {
    for (const char* key : {"site", "item", "tier", "days_before", "days_after"}) EXPECT_TRUE(c.contains(key)) << key;
  }

  // Per item: while a tier-1 site stays below the 7-day target, no site of a lower tier gets any.
  std::map<std::string, bool> tier1_short;
  for (const json& c : plan["coverage"]) {
    if (c["tier"] == 1 && c["days_after"].get<double>() < 7) tier1_short[c["item"]] = true;
  }
  EXPECT_TRUE(tier1_short["mask.surgical"]) << "the test means masks to be scarce";
  EXPECT_FALSE(tier1_short["sanitizer"]) << "and sanitizer plentiful";
  std::set<std::string> lower_tier_items;
  for (const json& o : plan["orders"]) {
    if (o["tier"] != 1) lower_tier_items.insert(o["for_item"]);
  }
  EXPECT_EQ(lower_tier_items, std::set<std::string>{"sanitizer"}) << plan["orders"].dump(2);

  // A preview stores nothing: the same plan again, byte for byte, and no orders.
  const CommandResult second = cluster_.Ctl({"allocate", "--dry-run", "--json"});
  EXPECT_EQ(second.out, first.out);
  EXPECT_EQ(cluster_.CtlJson({"orders"}), json::array());
  for (const json& row : cluster_.CtlJson({"stock"})) EXPECT_EQ(row["reserved"], 0) << row.dump();
}

// Issue 11's city: one county, masks at one a head a day, minimum orders of one day's use.
constexpr const char* kTrustCity = R"(city: trustville
items:
  - {id: mask.surgical, name: Surgical mask, unit: piece, lot: 50, substitutes_for: [], per_head_daily: 1}
tiers: {1: [designated_hospital, fever_clinic], 2: [rail_station]}
policy: {target_days: 7, min_order_days: 1, road_factor: 1.3}
counties:
  - {id: alpha, name: Alpha, location: [26.00, 117.00]}
warehouses:
  - {id: alpha-wh, county: alpha, name: Alpha warehouse}
sites:
  - {id: first-hospital, county: alpha, name: First Hospital, kind: designated_hospital, headcount: 1500}
  - {id: fever-clinic, county: alpha, name: Fever clinic, kind: fever_clinic, headcount: 50}
  - {id: rail, county: alpha, name: Rail station, kind: rail_station, headcount: 100}
  - {id: integrated, county: alpha, name: Integrated hospital, kind: designated_hospital, headcount: 100}
)";

constexpr int64_t kHourMs = 3600 * 1000;

class AllocationTrust : public AllocationCli {
 protected:
  AllocationTrust() : AllocationCli("", kTrustCity) {}
  // A count's --as-of, hours before now, as operators type it (local time).
  static std::string HoursAgo(int64_t hours) { return FormatTime(NowMs() - hours * kHourMs); }
  json DemandRow(const std::string& site) {
    for (const json& row : cluster_.CtlJson({"demand"})) {
      if (row["site"] == site) return row;
    }
    return json();
  }
  std::set<std::string> AlertKinds() {
    std::set<std::string> kinds;
    const json status = cluster_.CtlJson({"status"});  // a temporary's member would dangle in the loop
    for (const json& a : status["alerts"]) kinds.insert(a["kind"].get<std::string>());
    return kinds;
  }
};

// The issue's case: the largest hospital got nothing and a rail station 700 masks.
TEST_F(AllocationTrust, MinimumOrdersNeverStarveTheHospitalNorServeTheRailStationFirst) {
  Record("alpha", {"stock", "alpha-wh", "mask.surgical", "2500"});
  Demand("alpha", "first-hospital", "mask.surgical", 0, 3000);
  Demand("alpha", "fever-clinic", "mask.surgical", 10, 50);
  Demand("alpha", "rail", "mask.surgical", 0, 100);
  const json plan = cluster_.CtlJson({"allocate", "--dry-run"});
  std::map<std::string, int64_t> got;
  for (const json& o : plan["orders"]) got[o["to_site"]] += o["qty"].get<int64_t>();
  EXPECT_EQ(got["rail"], 0) << plan.dump();
  EXPECT_GT(got["first-hospital"], 0) << plan.dump();
  EXPECT_EQ(got["first-hospital"] + got["fever-clinic"], 2500);

  const json rail = cluster_.CtlJson({"explain", "--site", "rail", "--dry-run"});
  ASSERT_EQ(rail["items"].size(), 1u) << rail.dump();
  EXPECT_EQ(rail["items"][0]["got"], 0);
  EXPECT_EQ(rail["items"][0]["outcome"], "pool_ran_out");
  EXPECT_TRUE(Contains(rail["items"][0]["why"], "pool ran out")) << rail.dump();
  EXPECT_EQ(rail["dry_run"], true);

  // Committed, the same account is kept for the round and read back with its orders.
  ASSERT_EQ(cluster_.Ctl({"allocate"}).exit_code, 0);
  const json hospital = cluster_.CtlJson({"explain", "--site", "first-hospital", "--item", "mask.surgical"});
  EXPECT_EQ(hospital["round"], 1);
  EXPECT_EQ(hospital["dry_run"], false);
  const json& item = hospital["items"][0];
  EXPECT_EQ(item["tier"], 1);
  EXPECT_EQ(item["got"], got["first-hospital"]);
  int64_t ordered = 0;
  for (const json& o : item["orders"]) ordered += o["qty"].get<int64_t>();
  EXPECT_EQ(ordered, got["first-hospital"]);
  EXPECT_EQ(item["days_before"], 0);
  for (const char* key : {"on_hand", "in_transit", "reported_daily_use", "ceiling", "observed_daily_use",
                          "used_daily_use", "capped", "stale", "days_after", "why"}) {
    EXPECT_TRUE(item.contains(key)) << key;
  }
  const CommandResult table = cluster_.Ctl({"explain", "--site", "rail"});
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_TRUE(Contains(table.out, "pool ran out")) << table.out;
  const CommandResult unknown = cluster_.Ctl({"explain", "--site", "no-such-site"});
  EXPECT_NE(unknown.exit_code, 0);
  EXPECT_TRUE(Contains(unknown.err, "unknown site")) << unknown.err;
}

// 300,000 typed for 300: refused unless confirmed, and confirmed it is still held at the ceiling.
TEST_F(AllocationTrust, AnInflatedDailyUseNeedsConfirmingAndIsCappedAtTheHeadcountCeiling) {
  Record("alpha", {"stock", "alpha-wh", "mask.surgical", "5000"});
  Demand("alpha", "integrated", "mask.surgical", 0, 300);
  const CommandResult slip = cluster_.Node("alpha", {"demand", "integrated", "mask.surgical", "--on-hand", "0",
                                                     "--daily-use", "300000"});
  EXPECT_NE(slip.exit_code, 0);
  EXPECT_TRUE(Contains(slip.err, "--confirm")) << slip.err;
  Record("alpha", {"demand", "integrated", "mask.surgical", "--on-hand", "0", "--daily-use", "300000", "--confirm"});
  const json row = DemandRow("integrated");
  EXPECT_EQ(row["reported_daily_use"], 300000);
  EXPECT_EQ(row["ceiling"], 300);
  EXPECT_EQ(row["used_daily_use"], 300);
  EXPECT_EQ(row["capped"], true);
  EXPECT_EQ(row["capped_by"], "ceiling");
  EXPECT_EQ(row["stale"], false);
  EXPECT_TRUE(AlertKinds().count("capped_demand"));
  // The round gives it what 300 a day needs for 7 days, not 5,000 masks.
  int64_t got = 0;
  const json plan = cluster_.CtlJson({"allocate", "--dry-run"});
  for (const json& o : plan["orders"]) got += o["qty"].get<int64_t>();
  EXPECT_EQ(got, 2100);
  const json why = cluster_.CtlJson({"explain", "--site", "integrated", "--dry-run"});
  EXPECT_TRUE(Contains(why["items"][0]["why"], "capped at 300 by the ceiling")) << why.dump();
}

// Two counts two days apart, with an order received between: what it used caps what it reported.
TEST_F(AllocationTrust, ObservedUseFromCountsWithADeliveryBetweenCapsTheReportedUse) {
  Record("alpha", {"stock", "alpha-wh", "mask.surgical", "5000"});
  Record("alpha", {"demand", "fever-clinic", "mask.surgical", "--on-hand", "100", "--daily-use", "140",
                   "--as-of", HoursAgo(48)});
  ASSERT_EQ(cluster_.Ctl({"allocate"}).exit_code, 0);
  int64_t received = 0;
  for (const json& o : cluster_.CtlJson({"orders", "--site", "fever-clinic"})) {
    const std::string id = std::to_string(o["id"].get<int64_t>());
    ASSERT_TRUE(WaitFor([&] { return Contains(cluster_.Node("alpha", {"orders", "--json"}).out, "\"id\": " + id); },
                        10000))
        << "order " << id << " never reached the node";
    Record("alpha", {"ship", id});
    Record("alpha", {"receive", id});
    received += o["qty"].get<int64_t>();
  }
  ASSERT_GT(received, 0);
  // Used 40 in two days: 20 a day; twice that is what the allocator now works with.
  Record("alpha", {"demand", "fever-clinic", "mask.surgical", "--on-hand", std::to_string(100 + received - 40),
                   "--daily-use", "140"});
  const json row = DemandRow("fever-clinic");
  EXPECT_NEAR(row["observed_daily_use"].get<double>(), 20, 0.1) << row.dump();
  EXPECT_NEAR(row["used_daily_use"].get<double>(), 40, 0.1) << row.dump();
  EXPECT_EQ(row["capped_by"], "observed");
  EXPECT_EQ(row["reported_daily_use"], 140);
  EXPECT_EQ(cluster_.Ctl({"check"}).exit_code, 0) << cluster_.Ctl({"check"}).out;
  // Then more on hand than it had and received: flagged inconsistent, and no cap from it.
  Record("alpha", {"demand", "fever-clinic", "mask.surgical", "--on-hand", "5000", "--daily-use", "140",
                   "--confirm"});
  const json odd = DemandRow("fever-clinic");
  EXPECT_EQ(odd["inconsistent"], true) << odd.dump();
  EXPECT_EQ(odd["used_daily_use"], 140);
  EXPECT_TRUE(AlertKinds().count("inconsistent_use"));
}

// Yesterday's paper counts: a stale demand is flagged; a warehouse count keeps later receipts.
TEST_F(AllocationTrust, CountsDatedEarlierAreStaleOrKeepWhatMovedSinceAndMustGoInOldestFirst) {
  Record("alpha", {"demand", "rail", "mask.surgical", "--on-hand", "0", "--daily-use", "100", "--as-of",
                   HoursAgo(4 * 24)});
  const json rail = DemandRow("rail");
  EXPECT_EQ(rail["stale"], true) << rail.dump();
  EXPECT_TRUE(AlertKinds().count("stale_demand"));
  const json why = cluster_.CtlJson({"explain", "--site", "rail", "--dry-run"});
  EXPECT_TRUE(Contains(why["items"][0]["why"], "stale")) << why.dump();

  Record("alpha", {"receipt", "alpha-wh", "mask.surgical", "100"});
  Record("alpha", {"stock", "alpha-wh", "mask.surgical", "500", "--as-of", HoursAgo(1)});
  EXPECT_EQ(cluster_.BrokerStock("alpha-wh", "mask.surgical"), 600);
  EXPECT_EQ(cluster_.Ctl({"check"}).exit_code, 0);
  const CommandResult older = cluster_.Node("alpha", {"stock", "alpha-wh", "mask.surgical", "400", "--as-of",
                                                      HoursAgo(2)});
  EXPECT_NE(older.exit_code, 0);
  EXPECT_TRUE(Contains(older.err, "oldest first")) << older.err;
}

}  // namespace
}  // namespace ppe::testing
