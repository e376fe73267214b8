// Every donated box traced, through the real processes: donations from two donors into one
// warehouse, a count short of the books, a round whose orders pick the earliest expiry first, the
// shipments and one short receipt; then `trace` and `donations` tell each donor's story exactly.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "common/clock.h"
#include "tests/cluster.h"

namespace ppe::testing {
namespace {

using nlohmann::json;

constexpr const char* kCity = R"(city: traceville
items:
  - {id: mask.n95, name: N95 respirator, unit: piece, lot: 50, substitutes_for: [], per_head_daily: 1}
tiers: {1: [designated_hospital]}
policy: {target_days: 7, min_order_days: 1, road_factor: 1.3}
counties:
  - {id: alpha, name: Alpha, location: [26.00, 117.00]}
warehouses:
  - {id: alpha-wh, county: alpha, name: Alpha warehouse}
sites:
  - {id: h1, county: alpha, name: First Hospital, kind: designated_hospital, headcount: 1000}
  - {id: h2, county: alpha, name: Second Hospital, kind: designated_hospital, headcount: 1000}
)";

constexpr const char* kRedCross = "福建省红十字会 Fujian Red Cross";
constexpr const char* kOverseas = "Overseas Chinese Association";

class TraceCli : public ::testing::Test {
 protected:
  void SetUp() override {
    cluster_.StartBroker();
    cluster_.NodeStatus("alpha");
    cluster_.StartNode("alpha");
  }
  void Record(const std::vector<std::string>& args) {
    const CommandResult r = cluster_.Node("alpha", args);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    ASSERT_TRUE(cluster_.WaitDrained("alpha")) << cluster_.NodeStatus("alpha").dump();
  }
  json OrderAtNode(int64_t id) {
    const CommandResult r = cluster_.Node("alpha", {"orders", "--json"});
    if (r.exit_code != 0) return json();
    for (const json& o : json::parse(r.out)) {
      if (o["id"] == id) return o;
    }
    return json();
  }

  TempFile city_{"traceville.yaml", kCity};
  Cluster cluster_{city_.path()};
};

TEST_F(TraceCli, TwoDonorsARoundAShortReceiptAndACountTellEachDonorsStoryExactly) {
  Record({"receipt", "alpha-wh", "mask.n95", "1000", "--source", "donation", "--from", kRedCross, "--reference",
          "RC-2020-017", "--lot", "L-A", "--expires", "2030-06-30"});
  Record({"receipt", "alpha-wh", "mask.n95", "600", "--source", "donation", "--from", kOverseas, "--reference",
          "OC-88", "--lot", "L-B", "--expires", "2029-01-31"});
  Record({"receipt", "alpha-wh", "mask.n95", "400", "--source", "production", "--from", "Sanming Textile"});
  // Counted 100 short: the shortfall comes out of the batch that would ship first (L-B, 2029).
  Record({"stock", "alpha-wh", "mask.n95", "1900"});
  Record({"demand", "h1", "mask.n95", "--on-hand", "0", "--daily-use", "200"});
  Record({"demand", "h2", "mask.n95", "--on-hand", "0", "--daily-use", "100"});
  ASSERT_EQ(cluster_.Ctl({"allocate"}).exit_code, 0);
  const json orders = cluster_.CtlJson({"orders"});
  ASSERT_FALSE(orders.empty());

  // Earliest expiry first, undated last, in every order; every unit of an order is on a line.
  const std::map<std::string, int> rank = {{"2029-01-31", 0}, {"2030-06-30", 1}};
  int64_t shipped = 0;
  for (const json& o : orders) {
    int64_t lines = 0, last_rank = -1;
    for (const json& line : o["batches"]) {
      const int r = line["expires"].is_null() ? 2 : rank.at(line["expires"].get<std::string>());
      EXPECT_GE(r, last_rank) << o.dump();
      last_rank = r;
      lines += line["qty"].get<int64_t>();
      for (const char* key : {"batch", "lot", "expires", "donor", "qty"}) EXPECT_TRUE(line.contains(key)) << key;
    }
    EXPECT_EQ(lines, o["qty"].get<int64_t>()) << o.dump();
    shipped += lines;
    // The node holds the pick list, too.
    const int64_t id = o["id"].get<int64_t>();
    ASSERT_TRUE(WaitFor([&] { return !OrderAtNode(id).is_null(); }, 10000)) << "order " << id;
    EXPECT_EQ(OrderAtNode(id)["batches"].size(), o["batches"].size());
  }
  EXPECT_EQ(shipped, 1900);

  // Everything ships; the last order to h2 arrives 30 short.
  int64_t short_order = 0;
  for (const json& o : orders) {
    if (o["to_site"] == "h2") short_order = o["id"].get<int64_t>();
  }
  ASSERT_GT(short_order, 0);
  std::map<std::string, std::map<std::string, int64_t>> landed;  // donor -> site -> units
  for (const json& o : orders) {
    const std::string id = std::to_string(o["id"].get<int64_t>());
    Record({"ship", id});
    int64_t got = o["qty"].get<int64_t>() - (o["id"] == short_order ? 30 : 0);
    Record({"receive", id, "--qty", std::to_string(got)});
    for (const json& line : o["batches"]) {  // the first lines arrive whole; the shortfall is the last's
      const int64_t arrived = std::min(got, line["qty"].get<int64_t>());
      got -= arrived;
      const std::string donor = line["donor"].is_null() ? "" : line["donor"].get<std::string>();
      landed[donor][o["to_site"].get<std::string>()] += arrived;
    }
  }

  const json overseas = cluster_.CtlJson({"trace", "--donor", kOverseas});
  EXPECT_EQ(overseas["received"], 600);
  EXPECT_EQ(overseas["in_warehouses"], 0);
  EXPECT_EQ(overseas["in_transit"], 0);
  EXPECT_EQ(overseas["landed"], landed[kOverseas]["h1"] + landed[kOverseas]["h2"]);
  EXPECT_EQ(overseas["adds_up"], true) << overseas.dump();
  bool count_loss = false;
  for (const json& l : overseas["losses"]) count_loss |= l["how"] == "count adjustment" && l["qty"] == 100;
  EXPECT_TRUE(count_loss) << overseas.dump();

  const json red_cross = cluster_.CtlJson({"trace", "--donor", kRedCross});
  EXPECT_EQ(red_cross["received"], 1000);
  EXPECT_EQ(red_cross["landed"].get<int64_t>() + red_cross["lost"].get<int64_t>(), 1000) << red_cross.dump();
  EXPECT_EQ(red_cross["landed"], landed[kRedCross]["h1"] + landed[kRedCross]["h2"]);
  int64_t rows = 0;
  for (const json& r : red_cross["rows"]) {
    for (const char* key : {"order", "site", "county", "qty", "status", "date"}) EXPECT_TRUE(r.contains(key)) << key;
    rows += r["qty"].get<int64_t>();
  }
  EXPECT_EQ(rows, red_cross["landed"]);
  EXPECT_EQ(cluster_.CtlJson({"trace", "--reference", "RC-2020-017"})["received"], 1000);

  // The public report: every donor's receipts, the sites by name with what each received, a total.
  const CommandResult csv = cluster_.Ctl({"donations", "--csv"});
  ASSERT_EQ(csv.exit_code, 0) << csv.err;
  for (const char* donor : {kRedCross, kOverseas}) {
    for (const auto& [site, qty] : landed[donor]) {
      if (qty == 0) continue;
      const std::string name = site == "h1" ? "First Hospital" : "Second Hospital";
      const std::string row = std::string(donor) + ",delivered,";
      bool found = false;
      for (const std::string& line : Lines(csv.out)) {
        found |= line.rfind(row, 0) == 0 && line.find("," + name + ",") != std::string::npos &&
                 line.find("," + std::to_string(qty) + ",") != std::string::npos;
      }
      EXPECT_TRUE(found) << donor << " -> " << name << " " << qty << "\n" << csv.out;
    }
  }
  EXPECT_NE(csv.out.find("L-B"), std::string::npos);
  const json report = cluster_.CtlJson({"donations"});
  EXPECT_EQ(report["all_add_up"], true);
  EXPECT_EQ(report["donors"].size(), 2u);  // the producer is not a donor
  const CommandResult html = cluster_.Ctl({"donations", "--html"});
  EXPECT_NE(html.out.find("First Hospital"), std::string::npos);
  EXPECT_NE(html.out.find("捐赠"), std::string::npos);

  const CommandResult check = cluster_.Ctl({"check"});
  EXPECT_EQ(check.exit_code, 0) << check.out;
  for (const json& b : cluster_.CtlJson({"stock", "--batches"})) EXPECT_EQ(b["left"], 0) << b.dump();
}

// Expired stock is recorded (confirmed) but never allocated; stock expiring soon is flagged.
TEST_F(TraceCli, ExpiredStockIsNeverShippedAndExpiringStockIsFlaggedInStatus) {
  const CommandResult refused = cluster_.Node("alpha", {"receipt", "alpha-wh", "mask.n95", "500", "--lot", "OLD",
                                                        "--expires", "2020-01-31"});
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_NE(refused.err.find("--confirm"), std::string::npos) << refused.err;
  Record({"receipt", "alpha-wh", "mask.n95", "500", "--lot", "OLD", "--expires", "2020-01-31", "--confirm"});
  const std::string soon = FormatTime(NowMs() + 10LL * 24 * 3600 * 1000).substr(0, 10);
  Record({"receipt", "alpha-wh", "mask.n95", "300", "--lot", "SOON", "--expires", soon});
  Record({"demand", "h1", "mask.n95", "--on-hand", "0", "--daily-use", "200"});
  const json status = cluster_.CtlJson({"status"});
  std::set<std::string> kinds;
  for (const json& a : status["alerts"]) kinds.insert(a["kind"].get<std::string>());
  EXPECT_TRUE(kinds.count("expired")) << status["alerts"].dump();
  EXPECT_TRUE(kinds.count("expiring")) << status["alerts"].dump();
  // Only the 300 that are still good can go: the expired 500 stay on the shelf.
  const json plan = cluster_.CtlJson({"allocate"});
  int64_t total = 0;
  for (const json& o : plan["orders"]) {
    total += o["qty"].get<int64_t>();
    for (const json& line : o["batches"]) EXPECT_EQ(line["lot"], "SOON") << o.dump();
  }
  EXPECT_EQ(total, 300);
  EXPECT_EQ(cluster_.Ctl({"check"}).exit_code, 0);
}

}  // namespace
}  // namespace ppe::testing
