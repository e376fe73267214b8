// Unit tests of the broker's store (stock, demand, ledger, node progress) and key ring.
#include <gtest/gtest.h>

#include <filesystem>
#include <set>
#include <nlohmann/json.hpp>
#include <string>

#include "broker/alerts.h"
#include "broker/broker_store.h"
#include "broker/key_ring.h"
#include "common/certificate.h"
#include "tests/test_support.h"

namespace ppe::test {

namespace {

// =============================== BrokerStore ===============================

struct Event {
  std::string kind, place, item;
  int64_t quantity = 0, delta = 0;
  std::string detail;
  std::string node;
  int64_t seq = 0;
};

class BrokerStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { Reopen(); }
  void Reopen() {
    store_.reset();
    auto store = BrokerStore::Open(dir_.File("broker.db"));
    ASSERT_TRUE(store.ok()) << store.status().message();
    store_ = std::move(*store);
  }

  // The next report of node sanyuan: recorded at seq*1000 ms, applied at seq*2000 ms.
  ReportOrigin Origin() {
    ++seq_;
    return {"sanyuan", seq_, static_cast<int64_t>(1000 * seq_), static_cast<int64_t>(2000 * seq_)};
  }

  static wire::StockCount Count(int64_t qty, const std::string& warehouse = "sanyuan-wh") {
    wire::StockCount c;
    c.set_warehouse(warehouse);
    c.set_item("mask.n95");
    c.set_quantity(qty);
    return c;
  }
  static wire::Receipt Receipt(int64_t qty) {
    wire::Receipt r;
    r.set_warehouse("sanyuan-wh");
    r.set_item("mask.n95");
    r.set_quantity(qty);
    r.set_source(wire::DONATION);
    r.set_from("Fujian Red Cross");
    return r;
  }
  static wire::Demand Demand(const std::string& site, int64_t on_hand, double daily_use) {
    wire::Demand d;
    d.set_site(site);
    d.set_item("mask.n95");
    d.set_on_hand(on_hand);
    d.set_daily_use(daily_use);
    return d;
  }

  // Applies inside its own committed batch.
  template <typename Apply>
  void Committed(Apply apply) {
    ASSERT_TRUE(store_->Begin().ok());
    ASSERT_TRUE(apply().ok());
    ASSERT_TRUE(store_->Commit().ok());
  }

  std::vector<Event> Events() {
    std::vector<Event> events;
    Statement& q = store_->db().Prepare(
        "SELECT kind, place, item, quantity, delta, COALESCE(detail, ''), node, seq FROM events "
        "ORDER BY id");
    while (q.Step()) {
      events.push_back({q.Text(0), q.Text(1), q.Text(2), q.Int(3), q.Int(4), q.Text(5), q.Text(6),
                        q.Int(7)});
    }
    return events;
  }

  int64_t OnHand(const std::string& warehouse) {
    for (const StockRow& row : store_->Stock()) {
      if (row.warehouse == warehouse) return row.on_hand;
    }
    return -1;
  }

  TempDir dir_;
  std::unique_ptr<BrokerStore> store_;
  uint64_t seq_ = 0;
};

TEST_F(BrokerStoreTest, StockCountReplacesTheFigureAndLedgersTheDifference) {
  Committed([&] { return store_->ApplyStockCount(Origin(), Count(12000)); });
  Committed([&] { return store_->ApplyStockCount(Origin(), Count(11500)); });
  Committed([&] { return store_->ApplyStockCount(Origin(), Count(11500)); });
  EXPECT_EQ(OnHand("sanyuan-wh"), 11500);
  const auto events = Events();
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].kind, "count");
  EXPECT_EQ(events[0].quantity, 12000);
  EXPECT_EQ(events[0].delta, 12000);
  EXPECT_EQ(events[1].quantity, 11500);
  EXPECT_EQ(events[1].delta, -500);
  EXPECT_EQ(events[2].delta, 0);
  EXPECT_EQ(events[1].node, "sanyuan");
  EXPECT_EQ(events[1].seq, 2);
}

TEST_F(BrokerStoreTest, ReceiptAddsToStockAndLedgersItsSource) {
  Committed([&] { return store_->ApplyReceipt(Origin(), Receipt(300)); });  // no count yet
  Committed([&] { return store_->ApplyStockCount(Origin(), Count(1000)); });
  Committed([&] { return store_->ApplyReceipt(Origin(), Receipt(5000)); });
  EXPECT_EQ(OnHand("sanyuan-wh"), 6000);
  const auto events = Events();
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].delta, 300);
  EXPECT_EQ(events[1].delta, 700);  // the count found 1000 where the books said 300
  EXPECT_EQ(events[2].kind, "receipt");
  EXPECT_EQ(events[2].delta, 5000);
  const auto detail = nlohmann::json::parse(events[2].detail);
  EXPECT_EQ(detail["source"], "DONATION");
  EXPECT_EQ(detail["from"], "Fujian Red Cross");
}

// A warehouse's stock never passes kMaxWarehouseStock by receipts: the receipt that would is
// refused naming the bound, counting what the batch applied before it; the figure stays put.
TEST_F(BrokerStoreTest, AReceiptPastTheWarehouseBoundIsRefusedAndTheSumNeverWraps) {
  EXPECT_FALSE(store_->CheckReceipt(Receipt(kMaxQuantity)).refused());  // a fresh warehouse
  Committed([&] { return store_->ApplyStockCount(Origin(), Count(kMaxWarehouseStock - 10)); });
  EXPECT_FALSE(store_->CheckReceipt(Receipt(10)).refused());  // exactly the bound
  const Refusal over = store_->CheckReceipt(Receipt(11));
  EXPECT_EQ(over.code, wire::BAD_QUANTITY) << over.text;
  EXPECT_NE(over.text.find(std::to_string(kMaxWarehouseStock)), std::string::npos) << over.text;
  EXPECT_NE(over.text.find("sanyuan-wh"), std::string::npos) << over.text;
  // Within one batch: the second receipt sees the first.
  ASSERT_TRUE(store_->Begin().ok());
  ASSERT_FALSE(store_->CheckReceipt(Receipt(6)).refused());
  ASSERT_TRUE(store_->ApplyReceipt(Origin(), Receipt(6)).ok());
  EXPECT_TRUE(store_->CheckReceipt(Receipt(6)).refused());
  EXPECT_FALSE(store_->CheckReceipt(Receipt(4)).refused());
  ASSERT_TRUE(store_->Commit().ok());
  EXPECT_EQ(OnHand("sanyuan-wh"), kMaxWarehouseStock - 4);
  // Quantities no validator would pass are refused too, without arithmetic that could wrap.
  EXPECT_TRUE(store_->CheckReceipt(Receipt(std::numeric_limits<int64_t>::max())).refused());
  EXPECT_TRUE(store_->CheckReceipt(Receipt(std::numeric_limits<int64_t>::min())).refused());
  // The bound is far below where int64 sums of every warehouse's stock could wrap.
  static_assert(kMaxWarehouseStock < std::numeric_limits<int64_t>::max() / 1'000'000);
}

TEST_F(BrokerStoreTest, DemandIsUpsertedPerSiteAndItem) {
  Committed([&] { return store_->ApplyDemand(Origin(), Demand("sy-rail", 100, 40)); });
  Committed([&] { return store_->ApplyDemand(Origin(), Demand("ml-fever", 5, 2.5)); });
  const ReportOrigin latest = Origin();
  Committed([&] { return store_->ApplyDemand(latest, Demand("sy-rail", 60, 45.5)); });
  const auto rows = store_->Demand();
  ASSERT_EQ(rows.size(), 2u);  // ordered by site
  EXPECT_EQ(rows[0].site, "ml-fever");
  EXPECT_EQ(rows[1].site, "sy-rail");
  EXPECT_EQ(rows[1].on_hand, 60);
  EXPECT_EQ(rows[1].daily_use, 45.5);
  EXPECT_EQ(rows[1].as_of_ms, latest.recorded_ms);
  EXPECT_EQ(rows[1].in_transit, 0);
  EXPECT_EQ(store_->EventCount(), 3);
  EXPECT_EQ(Events()[2].delta, 0);  // demand moves no warehouse stock
  EXPECT_TRUE(store_->Stock().empty());
}

TEST_F(BrokerStoreTest, OpenOrdersShowAsReservedStockAndInTransitDemand) {
  Committed([&] { return store_->ApplyStockCount(Origin(), Count(1000)); });
  Committed([&] { return store_->ApplyDemand(Origin(), Demand("sy-rail", 10, 40)); });
  int64_t id = 0;
  auto order = [&](const std::string& status, int64_t qty) {
    Statement& insert = store_->db().Prepare(
        "INSERT INTO orders (id, round, from_warehouse, from_county, to_site, to_county, item, "
        "for_item, qty, status, tier, days_before, days_after, distance_km, reason, created_ms, "
        "updated_ms) VALUES (?1, 1, 'sanyuan-wh', 'sanyuan', 'sy-rail', 'sanyuan', 'mask.n95', "
        "'mask.n95', ?2, ?3, 2, 0, 1, 0, 'test', 0, 0)");
    ASSERT_TRUE(insert.Bind(1, ++id).Bind(2, qty).Bind(3, status).Run().ok());
  };
  order("created", 100);
  order("accepted", 20);
  order("shipped", 3);
  order("received", 4000);
  order("cancelled", 5000);
  const auto stock = store_->Stock();
  ASSERT_EQ(stock.size(), 1u);
  EXPECT_EQ(stock[0].on_hand, 1000);
  EXPECT_EQ(stock[0].reserved, 120);
  const auto demand = store_->Demand();
  ASSERT_EQ(demand.size(), 1u);
  EXPECT_EQ(demand[0].in_transit, 123);
}

TEST_F(BrokerStoreTest, ProgressIsPersistedOnlyByCommit) {
  ASSERT_TRUE(store_->Begin().ok());
  NodeProgress& p = store_->Progress("sanyuan", "sanyuan");
  p.last_seq = 5;
  p.recorded_head = 7;
  p.last_contact_ms = 123;
  ASSERT_TRUE(store_->Commit().ok());

  ASSERT_TRUE(store_->Begin().ok());
  store_->Progress("sanyuan", "sanyuan").last_seq = 6;
  store_->Progress("meilie", "meilie").last_seq = 1;
  Reopen();  // a crash before the commit

  ASSERT_EQ(store_->progress().size(), 1u);
  const NodeProgress& saved = store_->progress().at("sanyuan");
  EXPECT_EQ(saved.county, "sanyuan");
  EXPECT_EQ(saved.last_seq, 5u);
  EXPECT_EQ(saved.recorded_head, 7u);
  EXPECT_EQ(saved.last_contact_ms, 123);
}

TEST_F(BrokerStoreTest, RollbackDiscardsTheBatchAndRestoresProgressFromDisk) {
  ASSERT_TRUE(store_->Begin().ok());
  store_->Progress("sanyuan", "sanyuan").last_seq = 1;
  ASSERT_TRUE(store_->ApplyStockCount(Origin(), Count(100)).ok());
  ASSERT_TRUE(store_->Commit().ok());

  ASSERT_TRUE(store_->Begin().ok());
  store_->Progress("sanyuan", "sanyuan").last_seq = 3;
  store_->Progress("meilie", "meilie").refused = 2;
  ASSERT_TRUE(store_->ApplyStockCount(Origin(), Count(900)).ok());
  ASSERT_TRUE(store_->ApplyReceipt(Origin(), Receipt(50)).ok());
  ASSERT_TRUE(store_->RecordRefusal(Origin(), wire::UNKNOWN_ITEM, "unknown item").ok());
  store_->Rollback();

  EXPECT_EQ(store_->progress().at("sanyuan").last_seq, 1u);
  EXPECT_EQ(store_->progress().count("meilie"), 0u);
  EXPECT_EQ(OnHand("sanyuan-wh"), 100);
  EXPECT_EQ(store_->EventCount(), 1);
  // A rolled-back node is not written by the next commit either.
  ASSERT_TRUE(store_->Begin().ok());
  ASSERT_TRUE(store_->Commit().ok());
  Reopen();
  EXPECT_EQ(store_->progress().count("meilie"), 0u);
  EXPECT_EQ(store_->progress().at("sanyuan").last_seq, 1u);
}

TEST_F(BrokerStoreTest, RefusalsAreRecordedOncePerNodeAndSeq) {
  const ReportOrigin origin = Origin();
  Committed([&] { return store_->RecordRefusal(origin, wire::NOT_YOUR_COUNTY, "first"); });
  Committed([&] { return store_->RecordRefusal(origin, wire::NOT_YOUR_COUNTY, "again"); });
  Statement& q = store_->db().Prepare("SELECT node, seq, code, text FROM refusals");
  ASSERT_TRUE(q.Step());
  EXPECT_EQ(q.Text(0), "sanyuan");
  EXPECT_EQ(q.Int(1), static_cast<int64_t>(origin.seq));
  EXPECT_EQ(q.Text(2), "NOT_YOUR_COUNTY");
  EXPECT_EQ(q.Text(3), "again");
  EXPECT_FALSE(q.Step());
  EXPECT_EQ(store_->EventCount(), 0);  // a refusal changes no figure
}

// ================================= Alerts ==================================

// Alerts are computed from the store as it is: each kind appears when its condition holds.
TEST_F(BrokerStoreTest, AlertsNameSilentCountiesShortSitesDiscrepanciesAndConfirmedFigures) {
  const City city = SmallCity();
  BrokerConfig config;
  config.alert_cover_days = 2;
  const int64_t now = 100'000'000;
  auto kinds_of = [&](const std::string& county) {
    std::multiset<std::string> kinds;
    for (const Alert& a : CityAlerts(city, config, *store_, now)) {
      if (a.county == county) kinds.insert(AlertKindName(a.kind));
    }
    return kinds;
  };
  // Nobody ever connected: every county and the city are silent, nothing else.
  EXPECT_EQ(kinds_of("sanyuan"), std::multiset<std::string>{"silent"});
  EXPECT_EQ(kinds_of("city"), std::multiset<std::string>{"silent"});

  ReportOrigin origin = Origin();
  origin.applied_ms = now - 1000;
  origin.confirmed = true;
  Committed([&] {
    store_->Progress("sanyuan", "sanyuan").last_contact_ms = now - 1000;
    return store_->ApplyStockCount(origin, Count(900000));
  });
  // Two short sites of one county make one line; a site with cover is not named.
  Committed([&] { return store_->ApplyDemand(Origin(), Demand("sm-first-hospital", 10, 100)); });
  Committed([&] { return store_->ApplyDemand(Origin(), Demand("sy-rail", 0, 5)); });
  Committed([&] { return store_->ApplyDemand(Origin(), Demand("sy-community", 500, 10)); });
  Committed([&] {
    return store_->db().Exec(
        "INSERT INTO orders (id, round, from_warehouse, from_county, to_site, to_county, item, "
        "for_item, qty, status, received_qty, tier, days_before, days_after, distance_km, reason, "
        "created_ms, updated_ms) VALUES (7, 1, 'sanyuan-wh', 'sanyuan', 'sy-rail', 'sanyuan', "
        "'mask.n95', 'mask.n95', 100, 'received', 60, 2, 0, 1, 0, 'own county', 0, 0)");
  });
  EXPECT_EQ(kinds_of("sanyuan"),
            (std::multiset<std::string>{"low_cover", "discrepancy", "confirmed_figure"}));
  for (const Alert& a : CityAlerts(city, config, *store_, now)) {
    if (a.kind == AlertKind::kLowCover) {
      EXPECT_NE(a.text.find("mask.n95 2"), std::string::npos) << a.text;
      EXPECT_NE(a.text.find("lowest sy-rail"), std::string::npos) << a.text;
    }
    if (a.kind == AlertKind::kDiscrepancy) {
      EXPECT_NE(a.text.find("shipped 100, received 60"), std::string::npos) << a.text;
    }
  }
  // Silence is measured against the configured interval.
  config.silent_after_s = 0;
  EXPECT_EQ(kinds_of("sanyuan").count("silent"), 1u);
}

// ================================= KeyRing =================================

class KeyRingTest : public ::testing::Test {
 protected:
  // Writes NAME.key and NAME.key_secret; returns the public key.
  std::string AddKey(const std::string& file, std::map<std::string, std::string> meta) {
    auto cert = Certificate::Generate(std::move(meta));
    EXPECT_TRUE(cert.ok());
    EXPECT_TRUE(cert->Save(dir_.File(file)).ok());
    return cert->public_key;
  }
  std::string LoadError() {
    auto ring = KeyRing::Load(dir_.path(), broker_key_);
    EXPECT_FALSE(ring.ok());
    return ring.ok() ? "" : ring.status().message();
  }

  TempDir dir_;
  const std::string broker_key_ = AddKey("broker", {{"name", "broker"}, {"role", "broker"}});
};

TEST_F(KeyRingTest, LoadsEveryClientKeyWithItsIdentityButNotTheBrokersOwn) {
  const std::string node = AddKey("sanyuan", {{"name", "sanyuan"}, {"role", "node"}, {"county", "sanyuan"}});
  const std::string ctl = AddKey("coordinator", {{"name", "coordinator"}, {"role", "coordinator"}});
  const std::string viewer = AddKey("viewer", {{"name", "viewer"}, {"role", "viewer"}});
  WriteText(dir_.File("README.txt"), "not a key\n");
  auto ring = KeyRing::Load(dir_.path(), broker_key_);
  ASSERT_TRUE(ring.ok()) << ring.status().message();
  EXPECT_EQ(ring->size(), 3u);
  EXPECT_EQ(ring->ByKey(broker_key_), nullptr);
  EXPECT_EQ(ring->ByName("broker"), nullptr);

  const Identity* n = ring->ByKey(node);
  ASSERT_NE(n, nullptr);
  EXPECT_EQ(n->name, "sanyuan");
  EXPECT_EQ(n->role, Role::kNode);
  EXPECT_EQ(n->county, "sanyuan");
  EXPECT_EQ(ring->ByKey(ctl)->role, Role::kCoordinator);
  EXPECT_EQ(ring->ByName("viewer")->role, Role::kViewer);
  EXPECT_EQ(ring->ByName("viewer"), ring->ByKey(viewer));
  EXPECT_EQ(ring->KeyOf("coordinator"), ctl);
  EXPECT_EQ(ring->KeyOf("nobody"), "");
  EXPECT_EQ(ring->ByName("nobody"), nullptr);
  EXPECT_EQ(ring->ByKey(std::string(40, 'x')), nullptr);
}

TEST_F(KeyRingTest, RefusesAnUnknownRoleNamingIt) {
  AddKey("rogue", {{"name", "rogue"}, {"role", "admin"}});
  const std::string error = LoadError();
  EXPECT_NE(error.find("admin"), std::string::npos) << error;
  EXPECT_NE(error.find("rogue.key"), std::string::npos) << error;
}

TEST_F(KeyRingTest, RefusesTwoKeysWithOneName) {
  AddKey("sanyuan", {{"name", "sanyuan"}, {"role", "node"}, {"county", "sanyuan"}});
  AddKey("sanyuan-copy", {{"name", "sanyuan"}, {"role", "node"}, {"county", "sanyuan"}});
  EXPECT_NE(LoadError().find("sanyuan"), std::string::npos);
}

TEST_F(KeyRingTest, RefusesANodeKeyWithoutCountyAndAMalformedFile) {
  AddKey("nocounty", {{"name", "nocounty"}, {"role", "node"}});
  EXPECT_NE(LoadError().find("county"), std::string::npos);
  std::filesystem::remove(dir_.File("nocounty.key"));
  WriteText(dir_.File("broken.key"), "garbage\n");
  EXPECT_NE(LoadError().find("broken.key"), std::string::npos);
}

TEST_F(KeyRingTest, RefusesAMissingFolder) {
  auto ring = KeyRing::Load(dir_.File("absent"), broker_key_);
  ASSERT_FALSE(ring.ok());
  EXPECT_NE(ring.status().message().find("absent"), std::string::npos);
}

// --- counts dated when they were taken (--as-of), and the observed use they give ----------------

constexpr int64_t kDayMs = 24 * 3600 * 1000;

TEST_F(BrokerStoreTest, AStockCountDatedEarlierKeepsWhatWasReceivedAfterIt) {
  ReportOrigin receipt = Origin();
  receipt.recorded_ms = 50 * kDayMs;  // typed at 50 d
  receipt.applied_ms = 50 * kDayMs;
  Committed([&] { return store_->ApplyReceipt(receipt, Receipt(300)); });
  // Yesterday's paper count, typed in after the receipt: the receipt came after the count.
  ReportOrigin count = Origin();
  count.recorded_ms = count.applied_ms = 50 * kDayMs + 60'000;
  wire::StockCount paper = Count(1000);
  paper.set_as_of_ms(49 * kDayMs);
  Committed([&] { return store_->ApplyStockCount(count, paper); });
  EXPECT_EQ(OnHand("sanyuan-wh"), 1300);
  // The ledger explains the figure: receipt +300, then the count's adjustment +1000.
  const std::vector<Event> events = Events();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1].quantity, 1000);
  EXPECT_EQ(events[1].delta, 1000);
  // A count without a date is taken when recorded: nothing is added back.
  Committed([&] { return store_->ApplyStockCount(Origin(), Count(900)); });
  EXPECT_EQ(OnHand("sanyuan-wh"), 900);
}

TEST_F(BrokerStoreTest, ACountDatedBeforeTheLastOneOrFarAheadIsRefused) {
  wire::Report report;
  *report.mutable_stock() = Count(500);
  report.mutable_stock()->set_as_of_ms(10 * kDayMs);
  ReportOrigin origin = Origin();
  origin.recorded_ms = origin.applied_ms = 11 * kDayMs;
  EXPECT_FALSE(store_->CheckCountTime(report, origin).refused());
  Committed([&] { return store_->ApplyStockCount(origin, report.stock()); });
  report.mutable_stock()->set_as_of_ms(9 * kDayMs);
  const Refusal earlier = store_->CheckCountTime(report, origin);
  EXPECT_EQ(earlier.code, wire::OUT_OF_ORDER);
  EXPECT_NE(earlier.text.find("older than the one already recorded"), std::string::npos) << earlier.text;
  report.mutable_stock()->set_as_of_ms(10 * kDayMs);  // the same time again is in order
  EXPECT_FALSE(store_->CheckCountTime(report, origin).refused());
  report.mutable_stock()->set_as_of_ms(13 * kDayMs);  // two days ahead of the broker's clock
  EXPECT_EQ(store_->CheckCountTime(report, origin).code, wire::OUT_OF_ORDER);
  // Without a date the stream's own order is the order, whatever the node's clock says.
  report.mutable_stock()->set_as_of_ms(0);
  origin.recorded_ms = kDayMs;
  EXPECT_FALSE(store_->CheckCountTime(report, origin).refused());
}

// Two counts of a site a day or more apart, with an order landed between, give what it used.
TEST_F(BrokerStoreTest, TwoSiteCountsADayApartGiveItsObservedUseCountingWhatLandedBetween) {
  const auto count_at = [&](int64_t at_ms, int64_t on_hand) {
    ReportOrigin origin = Origin();
    origin.recorded_ms = origin.applied_ms = at_ms;
    wire::Demand d = Demand("sm-first-hospital", on_hand, 500);
    d.set_as_of_ms(at_ms);
    Committed([&] { return store_->ApplyDemand(origin, d); });
  };
  const auto observed = [&] {
    for (const DemandRow& r : store_->Demand()) {
      if (r.site == "sm-first-hospital") return r.observed;
    }
    return UseObservation{};
  };
  count_at(10 * kDayMs, 1000);
  EXPECT_EQ(observed().state, ObservedUse::kNone);
  // 400 landed 12 hours later (an order received at the site).
  ReportOrigin landing = Origin();
  landing.recorded_ms = landing.applied_ms = 10 * kDayMs + kDayMs / 2;
  Committed([&] {
    Status s = store_->LandAtSite("sm-first-hospital", "mask.n95", 400, landing.applied_ms);
    return s.ok() ? store_->AppendEvent(landing, "landed", "sm-first-hospital", "mask.n95", 400, 400, "{}") : s;
  });
  count_at(10 * kDayMs + 6 * 3600 * 1000, 900);  // six hours on: too soon to say
  EXPECT_EQ(observed().state, ObservedUse::kNone);
  count_at(12 * kDayMs, 600);  // two days after the first: 1000 + 400 - 600 = 800 in 2 days
  EXPECT_EQ(observed().state, ObservedUse::kObserved);
  EXPECT_DOUBLE_EQ(observed().daily_use, 400);
  count_at(14 * kDayMs, 0);  // it ran out: the figure says nothing
  EXPECT_EQ(observed().state, ObservedUse::kRanOut);
  count_at(16 * kDayMs, 700);  // 700 with nothing received since 0: goods from outside the system
  EXPECT_EQ(observed().state, ObservedUse::kInconsistent);
}

TEST_F(BrokerStoreTest, ASiteCountDatedEarlierKeepsWhatLandedAfterIt) {
  ReportOrigin landing = Origin();
  landing.recorded_ms = landing.applied_ms = 20 * kDayMs;
  Committed([&] {
    Status s = store_->LandAtSite("sm-first-hospital", "mask.n95", 250, landing.applied_ms);
    return s.ok() ? store_->AppendEvent(landing, "landed", "sm-first-hospital", "mask.n95", 250, 250, "{}") : s;
  });
  ReportOrigin origin = Origin();
  origin.recorded_ms = origin.applied_ms = 20 * kDayMs + 60'000;
  wire::Demand d = Demand("sm-first-hospital", 100, 50);
  d.set_as_of_ms(19 * kDayMs);
  Committed([&] { return store_->ApplyDemand(origin, d); });
  for (const DemandRow& r : store_->Demand()) {
    if (r.site == "sm-first-hospital") {
      EXPECT_EQ(r.on_hand, 350);
      EXPECT_EQ(r.as_of_ms, 19 * kDayMs);
    }
  }
}

}  // namespace
}  // namespace ppe::test
