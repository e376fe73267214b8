// Stock per batch: the pure picking rules (batch_picking.h), the store's batches through receipts,
// counts, rounds, shipments, rejections, cancellations and short receipts, each donor's trace, and
// the migration of a store the previous release (schema 5) made.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "broker/allocator.h"
#include "broker/batch_book.h"
#include "broker/batch_picking.h"
#include "broker/broker_store.h"
#include "broker/city_snapshot.h"
#include "broker/donation_trace.h"
#include "broker/ledger_check.h"
#include "broker/order_book.h"
#include "common/clock.h"
#include "common/identity.h"
#include "tests/test_support.h"

namespace ppe::test {

// Every (warehouse, item) whose batches do not add up to its stock figure, as text.
std::vector<std::string> BatchSumMismatches(SqliteDb& db) {
  std::vector<std::string> found;
  Statement& q = db.Prepare(
      "WITH b AS (SELECT warehouse, item, SUM(on_hand) AS total FROM batches GROUP BY warehouse, item), "
      "keys AS (SELECT warehouse, item FROM stock UNION SELECT warehouse, item FROM b) "
      "SELECT k.warehouse, k.item, COALESCE(s.on_hand, 0), COALESCE(b.total, 0) FROM keys k "
      "LEFT JOIN stock s ON s.warehouse = k.warehouse AND s.item = k.item "
      "LEFT JOIN b ON b.warehouse = k.warehouse AND b.item = k.item "
      "WHERE COALESCE(s.on_hand, 0) != COALESCE(b.total, 0)");
  while (q.Step()) {
    found.push_back(q.Text(0) + " " + q.Text(1) + ": stock " + std::to_string(q.Int(2)) + ", batches " +
                    std::to_string(q.Int(3)));
  }
  return found;
}

namespace {

// ============================== pure rules ==============================

BatchStock B(int64_t id, std::string expires, int64_t on_hand, int64_t reserved = 0) {
  return {id, std::move(expires), on_hand, reserved};
}

// Takes as (batch, qty) pairs, for readable comparisons.
std::vector<std::pair<int64_t, int64_t>> Pairs(const std::vector<BatchTake>& takes) {
  std::vector<std::pair<int64_t, int64_t>> out;
  for (const BatchTake& t : takes) out.emplace_back(t.batch, t.qty);
  return out;
}

using P = std::vector<std::pair<int64_t, int64_t>>;

const BatchStock& ById(const std::vector<BatchStock>& batches, int64_t id) {
  for (const BatchStock& b : batches) {
    if (b.id == id) return b;
  }
  ADD_FAILURE() << "no batch " << id;
  return batches.front();
}

TEST(BatchPicking, EarliestExpiryFirstUndatedLastTiesByLowestId) {
  std::vector<BatchStock> batches = {B(5, "", 100),           B(3, "2020-03-01", 100), B(2, "2020-02-20", 100),
                                     B(1, "2020-03-01", 100), B(4, "", 100)};
  EXPECT_EQ(Pairs(PickForOrder(batches, 450, "2020-02-10")), (P{{2, 100}, {1, 100}, {3, 100}, {4, 100}, {5, 50}}));
  EXPECT_EQ(ById(batches, 5).reserved, 50);
  EXPECT_EQ(ById(batches, 2).reserved, 100);
  // The order the batches come in does not matter.
  std::vector<BatchStock> shuffled = {B(4, "", 100), B(1, "2020-03-01", 100), B(5, "", 100), B(2, "2020-02-20", 100),
                                      B(3, "2020-03-01", 100)};
  EXPECT_EQ(Pairs(PickForOrder(shuffled, 450, "2020-02-10")), (P{{2, 100}, {1, 100}, {3, 100}, {4, 100}, {5, 50}}));
  // PicksBefore itself: dated before undated, earlier before later, then lower id.
  EXPECT_TRUE(PicksBefore(B(9, "2030-12-31", 1), B(1, "", 1)));
  EXPECT_FALSE(PicksBefore(B(1, "", 1), B(9, "2030-12-31", 1)));
  EXPECT_TRUE(PicksBefore(B(9, "2020-01-01", 1), B(1, "2020-01-02", 1)));
  EXPECT_TRUE(PicksBefore(B(1, "2020-01-01", 1), B(2, "2020-01-01", 1)));
  EXPECT_TRUE(PicksBefore(B(1, "", 1), B(2, "", 1)));
  EXPECT_FALSE(PicksBefore(B(2, "", 1), B(2, "", 1)));
}

TEST(BatchPicking, NeverAnExpiredBatchButUsableOnItsExpiryDay) {
  std::vector<BatchStock> batches = {B(1, "2020-02-09", 100), B(2, "2020-02-10", 30), B(3, "", 40),
                                     B(4, "2019-12-31", 500)};
  EXPECT_TRUE(Expired(batches[0], "2020-02-10"));
  EXPECT_FALSE(Expired(batches[1], "2020-02-10"));
  EXPECT_FALSE(Expired(batches[2], "2020-02-10"));
  EXPECT_TRUE(Expired(batches[1], "2020-02-11"));
  EXPECT_EQ(Pairs(PickForOrder(batches, 1000, "2020-02-10")), (P{{2, 30}, {3, 40}}));
  EXPECT_EQ(ById(batches, 1).reserved, 0);
  EXPECT_EQ(ById(batches, 4).reserved, 0);
  // Across a month and a year: dates compare as dates.
  EXPECT_TRUE(Expired(B(1, "2019-12-31", 1), "2020-01-01"));
  EXPECT_FALSE(Expired(B(1, "2020-01-31", 1), "2020-01-31"));
}

TEST(BatchPicking, TakesOnlyFreeStockAndAShortSupplyReturnsLess) {
  std::vector<BatchStock> batches = {B(1, "2020-03-01", 100, 70), B(2, "2020-04-01", 50, 50), B(3, "", 20, 25),
                                     B(4, "", 10, 0)};
  const std::vector<BatchTake> taken = PickForOrder(batches, 500, "2020-02-10");
  EXPECT_EQ(Pairs(taken), (P{{1, 30}, {4, 10}}));  // batch 3 holds less than its lines: nothing free
  EXPECT_EQ(ById(batches, 1).reserved, 100);
  EXPECT_EQ(ById(batches, 2).reserved, 50);
  EXPECT_EQ(ById(batches, 3).reserved, 25);
  EXPECT_EQ(ById(batches, 4).reserved, 10);
  EXPECT_TRUE(PickForOrder(batches, 10, "2020-02-10").empty());  // nothing free is left
  EXPECT_TRUE(PickForOrder(batches, 0, "2020-02-10").empty());
  std::vector<BatchStock> none;
  EXPECT_TRUE(PickForOrder(none, 10, "2020-02-10").empty());
}

TEST(BatchPicking, ConsecutiveOrdersSeeWhatIsLeft) {
  std::vector<BatchStock> batches = {B(1, "2020-03-01", 100), B(2, "2020-02-20", 60), B(3, "", 100)};
  EXPECT_EQ(Pairs(PickForOrder(batches, 50, "2020-02-10")), (P{{2, 50}}));
  EXPECT_EQ(Pairs(PickForOrder(batches, 50, "2020-02-10")), (P{{2, 10}, {1, 40}}));
  EXPECT_EQ(Pairs(PickForOrder(batches, 100, "2020-02-10")), (P{{1, 60}, {3, 40}}));
  EXPECT_EQ(Pairs(PickForOrder(batches, 100, "2020-02-10")), (P{{3, 60}}));
  for (const BatchStock& b : batches) {
    EXPECT_EQ(b.reserved, b.on_hand) << b.id;
    EXPECT_EQ(b.free(), 0) << b.id;
  }
}

TEST(BatchPicking, PickingNeverTakesMoreThanAskedOrFreeOnRandomBatches) {
  std::mt19937_64 rng(7);
  const std::vector<std::string> dates = {"", "", "2020-02-01", "2020-02-09", "2020-02-10", "2020-02-11", "2020-06-30"};
  for (int trial = 0; trial < 500; ++trial) {
    std::vector<BatchStock> batches;
    const int n = 1 + static_cast<int>(rng() % 6);
    for (int i = 0; i < n; ++i) {
      const int64_t on_hand = static_cast<int64_t>(rng() % 100);
      batches.push_back(B(i + 1, dates[rng() % dates.size()], on_hand, static_cast<int64_t>(rng() % (on_hand + 10))));
    }
    const std::vector<BatchStock> before = batches;
    const int64_t qty = static_cast<int64_t>(rng() % 300);
    const std::vector<BatchTake> taken = PickForOrder(batches, qty, "2020-02-10");
    int64_t usable = 0, sum = 0;
    for (const BatchStock& b : before) {
      if (!Expired(b, "2020-02-10")) usable += std::max<int64_t>(0, b.free());
    }
    for (size_t i = 0; i < taken.size(); ++i) {
      const BatchStock& was = ById(before, taken[i].batch);
      EXPECT_GT(taken[i].qty, 0);
      EXPECT_LE(taken[i].qty, was.free());
      EXPECT_FALSE(Expired(was, "2020-02-10"));
      if (i > 0) {
        EXPECT_TRUE(PicksBefore(ById(before, taken[i - 1].batch), was));
      }
      sum += taken[i].qty;
    }
    EXPECT_EQ(sum, std::min(qty, usable)) << trial;
    for (const BatchStock& b : batches) {
      int64_t took = 0;
      for (const BatchTake& t : taken) took += t.batch == b.id ? t.qty : 0;
      EXPECT_EQ(b.reserved, ById(before, b.id).reserved + took);
      EXPECT_EQ(b.on_hand, ById(before, b.id).on_hand);
    }
  }
}

TEST(BatchPicking, AShortfallComesOutOfFreeStockFirstThenReservedInPickingOrder) {
  // Expired E first (dated earliest), then the dated ones, undated last.
  std::vector<BatchStock> batches = {B(4, "", 100, 0), B(3, "2020-03-01", 100, 50), B(2, "2020-02-20", 100, 100),
                                     B(1, "2020-01-31", 100, 0)};
  EXPECT_EQ(Pairs(ChargeShortfall(batches, 280)), (P{{1, 100}, {3, 50}, {4, 100}, {2, 30}}));
  EXPECT_EQ(ById(batches, 1).on_hand, 0);
  EXPECT_EQ(ById(batches, 2).on_hand, 70);
  EXPECT_EQ(ById(batches, 3).on_hand, 50);
  EXPECT_EQ(ById(batches, 4).on_hand, 0);
  // Reserved figures are the lines', untouched by a count.
  EXPECT_EQ(ById(batches, 2).reserved, 100);
  EXPECT_EQ(ById(batches, 3).reserved, 50);
}

TEST(BatchPicking, AShortfallTakenFromOneBatchInBothPassesIsOneTake) {
  std::vector<BatchStock> batches = {B(1, "2020-02-20", 100, 60), B(2, "", 10, 0)};
  EXPECT_EQ(Pairs(ChargeShortfall(batches, 70)), (P{{1, 60}, {2, 10}}));  // 40 free + 20 reserved
  EXPECT_EQ(ById(batches, 1).on_hand, 40);
}

TEST(BatchPicking, AShortfallNeverTakesABatchBelowZeroAndTotalsWhatIsHeld) {
  std::vector<BatchStock> batches = {B(1, "2020-02-20", 30, 10), B(2, "", 20, 40), B(3, "", -5, 0), B(4, "", 0, 0)};
  EXPECT_EQ(Pairs(ChargeShortfall(batches, 1000)), (P{{1, 30}, {2, 20}}));
  const std::map<int64_t, int64_t> left = {{1, 0}, {2, 0}, {3, -5}, {4, 0}};  // batch 3 was below zero already
  for (const BatchStock& b : batches) EXPECT_EQ(b.on_hand, left.at(b.id)) << b.id;
  std::vector<BatchStock> some = {B(1, "", 30)};
  EXPECT_TRUE(ChargeShortfall(some, 0).empty());
  EXPECT_EQ(some[0].on_hand, 30);
}

TEST(BatchPicking, ShortfallTotalIsTheLesserOfShortfallAndHeldOnRandomBatches) {
  std::mt19937_64 rng(11);
  const std::vector<std::string> dates = {"", "2020-02-01", "2020-02-10", "2020-03-01"};
  for (int trial = 0; trial < 500; ++trial) {
    std::vector<BatchStock> batches;
    const int n = 1 + static_cast<int>(rng() % 6);
    for (int i = 0; i < n; ++i) {
      const int64_t on_hand = static_cast<int64_t>(rng() % 100);
      batches.push_back(B(i + 1, dates[rng() % dates.size()], on_hand, static_cast<int64_t>(rng() % (on_hand + 20))));
    }
    const std::vector<BatchStock> before = batches;
    int64_t held = 0, free_held = 0;
    for (const BatchStock& b : before) held += b.on_hand, free_held += std::max<int64_t>(0, b.free());
    const int64_t shortfall = static_cast<int64_t>(rng() % 400);
    const std::vector<BatchTake> taken = ChargeShortfall(batches, shortfall);
    int64_t sum = 0;
    for (const BatchTake& t : taken) sum += t.qty;
    EXPECT_EQ(sum, std::min(shortfall, held)) << trial;
    // While free stock lasts no reserved unit is touched.
    for (const BatchStock& b : batches) {
      EXPECT_GE(b.on_hand, 0);
      const BatchStock& was = ById(before, b.id);
      if (shortfall <= free_held) {
        EXPECT_GE(b.on_hand, std::min(was.on_hand, was.reserved)) << trial;
      }
    }
  }
}

TEST(BatchPicking, SplitReceivedFillsTheFirstLinesAndShortsTheLast) {
  EXPECT_EQ(SplitReceived({100, 50, 30}, 180), (std::vector<int64_t>{100, 50, 30}));
  EXPECT_EQ(SplitReceived({100, 50, 30}, 120), (std::vector<int64_t>{100, 20, 0}));
  EXPECT_EQ(SplitReceived({100, 50, 30}, 100), (std::vector<int64_t>{100, 0, 0}));
  EXPECT_EQ(SplitReceived({100, 50, 30}, 0), (std::vector<int64_t>{0, 0, 0}));
  EXPECT_EQ(SplitReceived({100, 50, 30}, 179), (std::vector<int64_t>{100, 50, 29}));
  // A surplus (a miscount at the site) lands on the last line.
  EXPECT_EQ(SplitReceived({100, 50, 30}, 200), (std::vector<int64_t>{100, 50, 50}));
  EXPECT_EQ(SplitReceived({40}, 45), (std::vector<int64_t>{45}));
  EXPECT_TRUE(SplitReceived({}, 10).empty());
}

// ============================== the store ==============================

struct BatchRow {
  int64_t id = 0;
  std::string warehouse, item, origin, source, donor, reference, lot, expires;
  int64_t received = 0, on_hand = 0, reserved = 0, event_id = 0;
};

std::vector<BatchRow> ReadBatches(SqliteDb& db) {
  std::vector<BatchRow> rows;
  Statement& q = db.Prepare(
      "SELECT id, warehouse, item, origin, source, donor, reference, lot, expires, received, on_hand, reserved, "
      "event_id FROM batches ORDER BY id");
  while (q.Step()) {
    rows.push_back({q.Int(0), q.Text(1), q.Text(2), q.Text(3), q.Text(4), q.Text(5), q.Text(6), q.Text(7), q.Text(8),
                    q.Int(9), q.Int(10), q.Int(11), q.Int(12)});
  }
  return rows;
}


std::string Problems(const nlohmann::json& check) { return check["problems"].dump(2); }

// As the broker ends a step's batch: a step that failed inside (INTERNAL) leaves nothing behind.
void Finish(BrokerStore& store, const Refusal& refusal) {
  if (refusal.code == wire::INTERNAL) {
    store.Rollback();
  } else {
    EXPECT_TRUE(store.Commit().ok());
  }
}

class BatchStore : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = BrokerStore::Open(dir_.File("broker.db"));
    ASSERT_TRUE(store.ok()) << store.status().message();
    store_ = std::move(*store);
    book_ = std::make_unique<OrderBook>(city_, *store_);
  }

  ReportOrigin Origin() {
    ++seq_;
    now_ += 1000;
    return {"sanyuan", seq_, now_, now_};
  }

  template <typename Apply>
  void Committed(Apply apply) {
    ASSERT_TRUE(store_->Begin().ok());
    const Status s = apply();
    ASSERT_TRUE(s.ok()) << s.message();
    ASSERT_TRUE(store_->Commit().ok());
  }

  // Receives into a new batch; returns its id.
  int64_t Receive(int64_t qty, const std::string& donor, const std::string& expires, const std::string& lot = "",
                  const std::string& reference = "", const std::string& warehouse = "sanyuan-wh",
                  const std::string& item = "mask.n95", wire::ReceiptSource source = wire::DONATION) {
    wire::Receipt r;
    r.set_warehouse(warehouse);
    r.set_item(item);
    r.set_quantity(qty);
    r.set_source(source);
    r.set_from(donor);
    r.set_reference(reference);
    r.set_lot(lot);
    r.set_expires(expires);
    Committed([&] { return store_->ApplyReceipt(Origin(), r); });
    return store_->db().QueryInt("SELECT MAX(id) FROM batches");
  }

  void Count(int64_t qty, const std::string& warehouse = "sanyuan-wh", const std::string& item = "mask.n95") {
    wire::StockCount c;
    c.set_warehouse(warehouse);
    c.set_item(item);
    c.set_quantity(qty);
    Committed([&] { return store_->ApplyStockCount(Origin(), c); });
  }

  void SiteCount(const std::string& site, int64_t on_hand, double daily_use, const std::string& item = "mask.n95") {
    wire::Demand d;
    d.set_site(site);
    d.set_item(item);
    d.set_on_hand(on_hand);
    d.set_daily_use(daily_use);
    Committed([&] { return store_->ApplyDemand(Origin(), d); });
  }

  static PlannedOrder Planned(int64_t qty, const std::string& site = "sm-first-hospital",
                              const std::string& warehouse = "sanyuan-wh") {
    return {warehouse, site, "mask.n95", "mask.n95", qty, 1, 0, 7, 0, "own county"};
  }

  // Commits `plan` as a round; returns the ids of its orders, in plan order.
  std::vector<int64_t> Round(const AllocationPlan& plan) {
    std::vector<int64_t> ids;
    now_ += 1000;
    EXPECT_TRUE(store_->Begin().ok());
    const Result<int64_t> round = book_->CommitRound(plan, "coordinator", now_);
    EXPECT_TRUE(round.ok()) << round.status().message();
    EXPECT_TRUE(store_->Commit().ok());
    if (!round.ok()) return ids;
    Statement& q = store_->db().Prepare("SELECT id FROM orders WHERE round = ?1 ORDER BY id");
    q.Bind(1, *round);
    while (q.Step()) ids.push_back(q.Int(0));
    return ids;
  }

  std::string CountyOf(int64_t order, const char* column) {
    Statement& q = store_->db().Prepare(std::string("SELECT ") + column + " FROM orders WHERE id = ?1");
    q.Bind(1, order);
    const std::string county = q.Step() ? q.Text(0) : "";
    q.Reset();
    return county;
  }

  Refusal Step(int64_t order, wire::OrderStepKind kind, int64_t qty = 0, const std::string& reason = "") {
    wire::OrderStep step;
    step.set_order_id(static_cast<uint64_t>(order));
    step.set_step(kind);
    step.set_quantity(qty);
    step.set_reason(reason);
    const std::string county = CountyOf(order, kind == wire::RECEIVE ? "to_county" : "from_county");
    const Identity who{county, Role::kNode, county};
    EXPECT_TRUE(store_->Begin().ok());
    const Refusal refusal = book_->ApplyStep(who, step, Origin());
    Finish(refusal);
    return refusal;
  }

  Refusal Cancel(int64_t order) {
    const Identity coordinator{"coordinator", Role::kCoordinator, ""};
    now_ += 1000;
    EXPECT_TRUE(store_->Begin().ok());
    const Refusal refusal = book_->Cancel(coordinator, order, "no longer needed", now_);
    Finish(refusal);
    return refusal;
  }

  void Finish(const Refusal& refusal) { ppe::test::Finish(*store_, refusal); }

  BatchRow Batch(int64_t id) {
    for (const BatchRow& b : ReadBatches(store_->db())) {
      if (b.id == id) return b;
    }
    ADD_FAILURE() << "no batch " << id;
    return {};
  }

  std::vector<std::pair<int64_t, int64_t>> Lines(int64_t order) {
    std::vector<std::pair<int64_t, int64_t>> lines;
    for (const wire::BatchLine& l : store_->batches().Lines(order)) {
      lines.emplace_back(static_cast<int64_t>(l.batch()), l.qty());
    }
    return lines;
  }

  std::vector<int64_t> LinesReceived(int64_t order) {
    std::vector<int64_t> got;
    Statement& q = store_->db().Prepare("SELECT COALESCE(received, -1) FROM order_lines WHERE order_id = ?1 ORDER BY id");
    q.Bind(1, order);
    while (q.Step()) got.push_back(q.Int(0));
    return got;
  }

  // (event_id, delta) of every move of `batch`, in order.
  std::vector<std::pair<int64_t, int64_t>> Moves(int64_t batch) {
    std::vector<std::pair<int64_t, int64_t>> moves;
    Statement& q = store_->db().Prepare("SELECT event_id, delta FROM batch_moves WHERE batch = ?1 ORDER BY event_id");
    q.Bind(1, batch);
    while (q.Step()) moves.emplace_back(q.Int(0), q.Int(1));
    return moves;
  }

  int64_t StockOf(const std::string& warehouse = "sanyuan-wh", const std::string& item = "mask.n95") {
    return store_->db().QueryInt("SELECT on_hand FROM stock WHERE warehouse = ?1 AND item = ?2", warehouse, item);
  }

  void ExpectClean() {
    const nlohmann::json check = CheckLedger(store_->db());
    EXPECT_TRUE(check["ok"].get<bool>()) << Problems(check);
    EXPECT_EQ(BatchSumMismatches(store_->db()), std::vector<std::string>{});
  }

  nlohmann::json TraceOf(const std::string& donor) { return Trace(store_->db(), city_, TraceBy::kDonor, donor); }

  const City city_ = SmallCity();
  TempDir dir_;
  std::unique_ptr<BrokerStore> store_;
  std::unique_ptr<OrderBook> book_;
  uint64_t seq_ = 0;
  int64_t now_ = *ParseLocalTime("2020-02-10 08:00");
};

TEST_F(BatchStore, AReceiptMakesABatchWithItsDonorReferenceLotAndExpiry) {
  const int64_t id = Receive(500, "Fujian Red Cross", "2020-06-30", "L-17", "RC-2020-017");
  const BatchRow b = Batch(id);
  EXPECT_EQ(b.warehouse, "sanyuan-wh");
  EXPECT_EQ(b.item, "mask.n95");
  EXPECT_EQ(b.origin, "receipt");
  EXPECT_EQ(b.source, "DONATION");
  EXPECT_EQ(b.donor, "Fujian Red Cross");
  EXPECT_EQ(b.reference, "RC-2020-017");
  EXPECT_EQ(b.lot, "L-17");
  EXPECT_EQ(b.expires, "2020-06-30");
  EXPECT_EQ(b.received, 500);
  EXPECT_EQ(b.on_hand, 500);
  EXPECT_EQ(b.reserved, 0);
  const int64_t receipt_event = store_->db().QueryInt("SELECT MAX(id) FROM events WHERE kind = 'receipt'");
  EXPECT_EQ(b.event_id, receipt_event);
  // Made with its `received` by that event: no move until something changes it.
  EXPECT_EQ(Moves(id), P{});
  EXPECT_EQ(StockOf(), 500);
  ExpectClean();
  // A second receipt, undated, without donor, makes a second batch beside it.
  const int64_t second = Receive(120, "", "", "", "", "sanyuan-wh", "mask.n95", wire::PRODUCTION);
  EXPECT_NE(second, id);
  EXPECT_EQ(Batch(second).source, "PRODUCTION");
  EXPECT_EQ(Batch(second).expires, "");
  EXPECT_EQ(StockOf(), 620);
  ExpectClean();
}

TEST_F(BatchStore, ACountBelowTheBooksTakesTheShortfallFromNamedBatchesByTheRule) {
  const int64_t expired = Receive(100, "Red Cross", "2020-01-31");
  const int64_t feb = Receive(100, "Red Cross", "2020-02-20");
  const int64_t mar = Receive(100, "Overseas", "2020-03-01");
  const int64_t undated = Receive(100, "Overseas", "");
  // An order of 150 holds feb 100 and mar 50 (the expired batch is never picked).
  const std::vector<int64_t> orders = Round({{Planned(150)}, {}});
  ASSERT_EQ(orders.size(), 1u);
  EXPECT_EQ(Lines(orders[0]), (P{{feb, 100}, {mar, 50}}));
  ExpectClean();
  // Counted 120 where the books say 400: 280 short. Free stock first in picking order (expired
  // 100, mar's free 50, undated 100), then reserved stock (feb 30).
  std::vector<BatchStock> rule;
  for (const BatchRow& b : ReadBatches(store_->db())) rule.push_back({b.id, b.expires, b.on_hand, b.reserved});
  const std::vector<BatchTake> expected = ChargeShortfall(rule, 280);
  EXPECT_EQ(Pairs(expected), (P{{expired, 100}, {mar, 50}, {undated, 100}, {feb, 30}}));
  Count(120);
  const int64_t count_event = store_->db().QueryInt("SELECT MAX(id) FROM events WHERE kind = 'count'");
  for (const BatchTake& t : expected) {
    const auto moves = Moves(t.batch);
    ASSERT_FALSE(moves.empty());
    EXPECT_EQ(moves.back(), std::make_pair(count_event, -t.qty)) << t.batch;
  }
  EXPECT_EQ(Batch(expired).on_hand, 0);
  EXPECT_EQ(Batch(feb).on_hand, 70);
  EXPECT_EQ(Batch(mar).on_hand, 50);
  EXPECT_EQ(Batch(undated).on_hand, 0);
  EXPECT_EQ(Batch(feb).reserved, 100);
  EXPECT_EQ(Batch(mar).reserved, 50);
  EXPECT_EQ(StockOf(), 120);
  ExpectClean();
  // Every donor's goods are accounted for, the count's loss by name.
  for (const char* donor : {"Red Cross", "Overseas"}) {
    const nlohmann::json t = TraceOf(donor);
    EXPECT_TRUE(t["adds_up"].get<bool>()) << t.dump(2);
    EXPECT_EQ(t["received"], 200);
  }
  EXPECT_EQ(TraceOf("Red Cross")["lost"], 130);
  EXPECT_EQ(TraceOf("Overseas")["lost"], 150);
  // The order still ships all it holds (the count was short of it): the books go below zero
  // together with the batches.
  EXPECT_FALSE(Step(orders[0], wire::SHIP).refused());
  EXPECT_EQ(StockOf(), -30);
  ExpectClean();
}

TEST_F(BatchStore, AShipmentAfterACountShortOfItsLinesTakesTheRestFromFreeStockNotBelowZero) {
  const int64_t feb = Receive(100, "Red Cross", "2020-02-20");
  const int64_t mar = Receive(100, "Overseas", "2020-03-01");
  const std::vector<int64_t> orders = Round({{Planned(150)}, {}});
  ASSERT_EQ(orders.size(), 1u);
  EXPECT_EQ(Lines(orders[0]), (P{{feb, 100}, {mar, 50}}));
  // Counted 80: the 50 free of mar first, then 70 of what the order holds (feb, earliest).
  Count(80);
  EXPECT_EQ(Batch(feb).on_hand, 30);
  EXPECT_EQ(Batch(mar).on_hand, 50);
  // A delivery comes in before the order ships: what its lines lack leaves from there.
  const int64_t apr = Receive(100, "Overseas", "2020-04-01");
  EXPECT_FALSE(Step(orders[0], wire::SHIP).refused());
  EXPECT_EQ(Lines(orders[0]), (P{{feb, 30}, {mar, 50}, {apr, 70}}));
  EXPECT_EQ(Batch(feb).on_hand, 0);
  EXPECT_EQ(Batch(mar).on_hand, 0);
  EXPECT_EQ(Batch(apr).on_hand, 30);
  EXPECT_EQ(store_->db().QueryInt("SELECT COUNT(*) FROM batches WHERE on_hand < 0"), 0);
  EXPECT_EQ(StockOf(), 30);
  ExpectClean();
  for (const char* donor : {"Red Cross", "Overseas"}) EXPECT_TRUE(TraceOf(donor)["adds_up"].get<bool>()) << donor;
}

TEST_F(BatchStore, ACountAboveTheBooksMakesASurplusBatch) {
  const int64_t first = Receive(100, "Red Cross", "2020-05-01");
  Count(130);
  const std::vector<BatchRow> batches = ReadBatches(store_->db());
  ASSERT_EQ(batches.size(), 2u);
  const BatchRow& surplus = batches[1];
  EXPECT_EQ(surplus.origin, "surplus");
  EXPECT_EQ(surplus.donor, "");
  EXPECT_EQ(surplus.expires, "");
  EXPECT_EQ(surplus.received, 30);
  EXPECT_EQ(surplus.on_hand, 30);
  EXPECT_EQ(Batch(first).on_hand, 100);  // the donor's batch is not made bigger by a count
  EXPECT_EQ(StockOf(), 130);
  ExpectClean();
  // A count on a warehouse the books never heard of is a surplus batch too.
  Count(48, "meilie-wh", "sanitizer");
  EXPECT_EQ(ReadBatches(store_->db()).back().origin, "surplus");
  EXPECT_EQ(ReadBatches(store_->db()).back().on_hand, 48);
  Count(130);  // equal to the books: no batch, no move
  EXPECT_EQ(ReadBatches(store_->db()).size(), 3u);
  ExpectClean();
  EXPECT_EQ(TraceOf("Red Cross")["received"], 100);
  EXPECT_TRUE(TraceOf("Red Cross")["adds_up"].get<bool>());
}

TEST_F(BatchStore, ARoundOfTheAllocatorGivesEachOrderLinesSummingToItsQtyEarliestExpiryFirst) {
  Receive(500, "Red Cross", "2020-01-15");  // expired: never picked
  Receive(150, "Red Cross", "2020-04-01");
  Receive(200, "Overseas", "2020-02-10");  // expires today: still usable
  Receive(300, "Factory", "", "", "", "sanyuan-wh", "mask.n95", wire::PRODUCTION);
  Receive(250, "Overseas", "2020-03-01");
  Receive(400, "Red Cross", "2020-05-01", "", "", "meilie-wh");
  Receive(100, "Red Cross", "2020-02-01", "", "", "meilie-wh");  // expired
  SiteCount("sm-first-hospital", 0, 120);
  SiteCount("sy-rail", 20, 30);
  SiteCount("ml-fever", 0, 40);
  SiteCount("sy-community", 0, 10);
  now_ += 1000;
  Result<CitySnapshot> snapshot = TakeSnapshot(city_, store_->db(), now_);
  ASSERT_TRUE(snapshot.ok()) << snapshot.status().message();
  for (const WarehouseStock& s : snapshot->stock) {
    if (s.warehouse == "sanyuan-wh") {
      EXPECT_EQ(s.available, 900) << "the expired 500 is left out";
    }
  }
  const AllocationPlan plan = Allocate(city_, snapshot->stock, snapshot->demand);
  ASSERT_GE(plan.orders.size(), 2u);
  const std::vector<int64_t> orders = Round(plan);
  ASSERT_EQ(orders.size(), plan.orders.size());
  const std::string today = Today(now_);
  std::map<std::pair<std::string, std::string>, std::vector<int64_t>> used;  // batches in the order taken
  for (size_t i = 0; i < orders.size(); ++i) {
    int64_t sum = 0;
    const auto lines = Lines(orders[i]);
    for (size_t j = 0; j < lines.size(); ++j) {
      const BatchRow b = Batch(lines[j].first);
      EXPECT_TRUE(b.expires.empty() || b.expires >= today) << "order " << orders[i] << " takes expired batch " << b.id;
      EXPECT_EQ(b.warehouse, plan.orders[i].from_warehouse);
      EXPECT_EQ(b.item, plan.orders[i].item);
      sum += lines[j].second;
      used[{b.warehouse, b.item}].push_back(b.id);
    }
    EXPECT_EQ(sum, plan.orders[i].qty) << "order " << orders[i];
  }
  // Over the round, each warehouse's batches are taken in picking order, each one used up before
  // the next is touched.
  for (const auto& [place, ids] : used) {
    for (size_t j = 1; j < ids.size(); ++j) {
      const BatchRow a = Batch(ids[j - 1]), b = Batch(ids[j]);
      if (a.id == b.id) continue;
      EXPECT_TRUE(PicksBefore({a.id, a.expires, 0, 0}, {b.id, b.expires, 0, 0})) << a.id << " then " << b.id;
      EXPECT_EQ(a.reserved, a.on_hand) << "batch " << a.id << " not used up before batch " << b.id;
    }
  }
  EXPECT_FALSE(used.empty());
  ExpectClean();
}

TEST_F(BatchStore, RejectAndCancelReleaseTheReservation) {
  const int64_t early = Receive(100, "Red Cross", "2020-03-01");
  const int64_t late = Receive(300, "Overseas", "2020-06-01");
  const std::vector<int64_t> orders = Round({{Planned(150), Planned(100, "sy-rail"), Planned(50, "sy-community")}, {}});
  ASSERT_EQ(orders.size(), 3u);
  EXPECT_EQ(Lines(orders[0]), (P{{early, 100}, {late, 50}}));
  EXPECT_EQ(Lines(orders[1]), (P{{late, 100}}));
  EXPECT_EQ(Lines(orders[2]), (P{{late, 50}}));
  EXPECT_EQ(Batch(early).reserved, 100);
  EXPECT_EQ(Batch(late).reserved, 200);
  ExpectClean();

  EXPECT_EQ(Step(orders[0], wire::REJECT).code, wire::MALFORMED);  // a rejection needs a reason
  EXPECT_FALSE(Step(orders[0], wire::REJECT, 0, "truck broke down").refused());
  EXPECT_EQ(Batch(early).reserved, 0);
  EXPECT_EQ(Batch(late).reserved, 150);
  ExpectClean();
  EXPECT_FALSE(Cancel(orders[1]).refused());
  EXPECT_EQ(Batch(late).reserved, 50);
  ExpectClean();
  // Repeats change nothing.
  EXPECT_FALSE(Step(orders[0], wire::REJECT, 0, "again").refused());
  EXPECT_FALSE(Cancel(orders[1]).refused());
  EXPECT_EQ(Batch(early).reserved, 0);
  EXPECT_EQ(Batch(late).reserved, 50);
  // Nothing left: the stock never moved, and a new round picks the released stock again.
  EXPECT_EQ(Batch(early).on_hand, 100);
  EXPECT_EQ(Batch(late).on_hand, 300);
  const std::vector<int64_t> again = Round({{Planned(120)}, {}});
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(Lines(again[0]), (P{{early, 100}, {late, 20}}));
  ExpectClean();
  // A shipped order keeps its lines out: a reject that arrives after the shipment is void (and
  // recorded as a conflict); the coordinator's cancel is refused.
  EXPECT_FALSE(Step(orders[2], wire::SHIP).refused());
  EXPECT_FALSE(Step(orders[2], wire::REJECT, 0, "too late").refused());
  EXPECT_EQ(store_->db().QueryInt("SELECT COUNT(*) FROM order_conflicts WHERE order_id = ?1 AND step = 'reject'",
                                  orders[2]),
            1);
  EXPECT_EQ(store_->db().QueryInt("SELECT COUNT(*) FROM orders WHERE id = ?1 AND status = 'shipped'", orders[2]), 1);
  EXPECT_EQ(Cancel(orders[2]).code, wire::INVALID_STEP);
  EXPECT_EQ(Batch(late).on_hand, 250);
  EXPECT_EQ(Batch(late).reserved, 20);
  ExpectClean();
  for (const char* donor : {"Red Cross", "Overseas"}) {
    EXPECT_TRUE(TraceOf(donor)["adds_up"].get<bool>()) << TraceOf(donor).dump(2);
  }
}

TEST_F(BatchStore, AShipMovesItsLinesOutAndAShortReceiveLandsBySplitReceived) {
  const int64_t a = Receive(100, "Red Cross", "2020-02-15", "LA");
  const int64_t b = Receive(200, "Red Cross", "2020-02-25", "LB");
  const int64_t c = Receive(300, "Overseas", "", "LC");
  const std::vector<int64_t> orders = Round({{Planned(350), Planned(100, "sy-rail")}, {}});
  ASSERT_EQ(orders.size(), 2u);
  ASSERT_EQ(Lines(orders[0]), (P{{a, 100}, {b, 200}, {c, 50}}));
  ASSERT_EQ(Lines(orders[1]), (P{{c, 100}}));
  // The order's lines say lot, expiry and donor too.
  const auto lines = store_->batches().Lines(orders[0]);
  EXPECT_EQ(lines[0].lot(), "LA");
  EXPECT_EQ(lines[0].expires(), "2020-02-15");
  EXPECT_EQ(lines[2].donor(), "Overseas");

  EXPECT_FALSE(Step(orders[0], wire::SHIP).refused());
  const int64_t ship_event = store_->db().QueryInt("SELECT MAX(id) FROM events WHERE kind = 'ship'");
  EXPECT_EQ(Batch(a).on_hand, 0);
  EXPECT_EQ(Batch(b).on_hand, 0);
  EXPECT_EQ(Batch(c).on_hand, 250);
  EXPECT_EQ(Batch(a).reserved, 0);
  EXPECT_EQ(Batch(c).reserved, 100);  // the other order still holds its line
  EXPECT_EQ(Moves(a).back(), std::make_pair(ship_event, int64_t{-100}));
  EXPECT_EQ(Moves(c).back(), std::make_pair(ship_event, int64_t{-50}));
  EXPECT_EQ(StockOf(), 250);
  EXPECT_FALSE(Step(orders[0], wire::SHIP).refused());  // a repeat moves nothing
  EXPECT_EQ(Batch(c).on_hand, 250);
  ExpectClean();
  nlohmann::json rc = TraceOf("Red Cross");
  EXPECT_EQ(rc["in_transit"], 300);
  EXPECT_EQ(rc["in_warehouses"], 0);

  // 320 of 350 arrive: a and b in full, c's line 20 of 50.
  EXPECT_FALSE(Step(orders[0], wire::RECEIVE, 320).refused());
  EXPECT_EQ(LinesReceived(orders[0]), (std::vector<int64_t>{100, 200, 20}));
  EXPECT_EQ(LinesReceived(orders[0]), SplitReceived({100, 200, 50}, 320));
  ExpectClean();
  rc = TraceOf("Red Cross");
  EXPECT_TRUE(rc["adds_up"].get<bool>()) << rc.dump(2);
  EXPECT_EQ(rc["received"], 300);
  EXPECT_EQ(rc["landed"], 300);
  EXPECT_EQ(rc["lost"], 0);
  nlohmann::json oc = TraceOf("Overseas");
  EXPECT_TRUE(oc["adds_up"].get<bool>()) << oc.dump(2);
  EXPECT_EQ(oc["received"], 300);
  EXPECT_EQ(oc["in_warehouses"], 250);
  EXPECT_EQ(oc["landed"], 20);
  EXPECT_EQ(oc["lost"], 30);

  // Ship and receive the second with a surplus: it lands on its (last) line.
  EXPECT_FALSE(Step(orders[1], wire::SHIP).refused());
  EXPECT_FALSE(Step(orders[1], wire::RECEIVE, 110).refused());
  EXPECT_EQ(LinesReceived(orders[1]), (std::vector<int64_t>{110}));
  ExpectClean();
  oc = TraceOf("Overseas");
  EXPECT_TRUE(oc["adds_up"].get<bool>()) << oc.dump(2);
  EXPECT_EQ(oc["in_warehouses"], 150);
}

TEST_F(BatchStore, TraceByDonorAddsUpThroughCountsShipsAndShortReceipts) {
  const int64_t rc1 = Receive(100, "Red Cross", "2020-02-20", "R1", "RC-1");
  const int64_t rc2 = Receive(200, "Red Cross", "2020-03-20", "R2", "RC-1");
  const int64_t oc = Receive(300, "Overseas", "", "O1", "OC-9");
  const std::vector<int64_t> orders = Round({{Planned(350), Planned(100, "sy-rail")}, {}});
  ASSERT_EQ(orders.size(), 2u);
  ASSERT_EQ(Lines(orders[0]), (P{{rc1, 100}, {rc2, 200}, {oc, 50}}));
  Count(550);  // 50 short: out of Overseas' free 150
  EXPECT_EQ(Batch(oc).on_hand, 250);
  EXPECT_FALSE(Step(orders[0], wire::SHIP).refused());
  EXPECT_FALSE(Step(orders[0], wire::RECEIVE, 300).refused());  // Overseas' line lost all 50
  ExpectClean();
  const nlohmann::json red = TraceOf("Red Cross");
  EXPECT_EQ(red["received"], 300);
  EXPECT_EQ(red["in_warehouses"], 0);
  EXPECT_EQ(red["in_transit"], 0);
  EXPECT_EQ(red["landed"], 300);
  EXPECT_EQ(red["lost"], 0);
  EXPECT_TRUE(red["adds_up"].get<bool>());
  const nlohmann::json over = TraceOf("Overseas");
  EXPECT_EQ(over["received"], 300);
  EXPECT_EQ(over["in_warehouses"], 200);  // 100 of it held by the open order
  EXPECT_EQ(over["in_transit"], 0);
  EXPECT_EQ(over["landed"], 0);
  EXPECT_EQ(over["lost"], 100);  // 50 in the count, 50 on the road
  EXPECT_TRUE(over["adds_up"].get<bool>());
  EXPECT_EQ(over["losses"].size(), 2u) << over.dump(2);
  // By reference and by batch too.
  const nlohmann::json ref = Trace(store_->db(), city_, TraceBy::kReference, "RC-1");
  EXPECT_EQ(ref["received"], 300);
  EXPECT_TRUE(ref["adds_up"].get<bool>());
  const nlohmann::json one = Trace(store_->db(), city_, TraceBy::kBatch, std::to_string(oc));
  EXPECT_EQ(one["received"], 300);
  EXPECT_TRUE(one["adds_up"].get<bool>());
  const nlohmann::json report = DonationsReport(store_->db(), city_, now_);
  EXPECT_TRUE(report["all_add_up"].get<bool>()) << report.dump(2);
  EXPECT_EQ(report["donors"].size(), 2u);
}

// Expired stock is left out of what a warehouse can give, once: units of an expired batch that an
// open order already holds are out through the order's reservation, not a second time.
TEST_F(BatchStore, ASnapshotLeavesOutExpiredStockOnlyOnce) {
  const int64_t soon = Receive(100, "Red Cross", "2020-02-11");
  const std::vector<int64_t> orders = Round({{Planned(100)}, {}});  // on the 10th: usable
  ASSERT_EQ(orders.size(), 1u);
  ASSERT_EQ(Lines(orders[0]), (P{{soon, 100}}));
  Receive(100, "Overseas", "");
  now_ = *ParseLocalTime("2020-02-12 08:00");  // the first batch has expired, held whole by the order
  const auto available = [&] {
    Result<CitySnapshot> snapshot = TakeSnapshot(city_, store_->db(), now_);
    EXPECT_TRUE(snapshot.ok());
    for (const WarehouseStock& s : snapshot->stock) {
      if (s.warehouse == "sanyuan-wh" && s.item == "mask.n95") return s.available;
    }
    return int64_t{-1};
  };
  // 200 on hand, 100 held by the order; the other 100 are undated and free.
  EXPECT_EQ(available(), 100);
  // What a round picks agrees: the free, unexpired 100.
  std::vector<BatchStock> stocked = store_->batches().Stocked("sanyuan-wh", "mask.n95");
  int64_t pickable = 0;
  for (const BatchTake& t : PickForOrder(stocked, 1000, Today(now_))) pickable += t.qty;
  EXPECT_EQ(pickable, 100);
  // With the order gone, the expired 100 are free but unusable: still 100.
  EXPECT_FALSE(Cancel(orders[0]).refused());
  EXPECT_EQ(available(), 100);
  ExpectClean();
}

TEST_F(BatchStore, CheckNamesTheBatchThatDisagreesWithItsLedger) {
  const int64_t gift = Receive(500, "Fujian Red Cross", "2020-06-30");
  Receive(200, "", "");
  Count(600);  // 100 short, out of the gift (dated: picked first)
  ASSERT_EQ(Moves(gift).size(), 1u);
  ExpectClean();
  const std::string named = "batch " + std::to_string(gift) + " (sanyuan-wh mask.n95): ";
  // Its figure edited behind the broker's back: check recomputes it from what made it and its moves.
  ASSERT_TRUE(store_->db().Exec("UPDATE batches SET on_hand = on_hand + 7 WHERE id = " + std::to_string(gift)).ok());
  nlohmann::json check = CheckLedger(store_->db());
  EXPECT_FALSE(check["ok"].get<bool>());
  EXPECT_NE(Problems(check).find(named + "books say 407, received 500 and its moves say 400"), std::string::npos)
      << Problems(check);
  // What it was made with edited too, so the two agree: its receipt in the ledger still says 500.
  ASSERT_TRUE(store_->db().Exec("UPDATE batches SET received = received + 7 WHERE id = " + std::to_string(gift)).ok());
  check = CheckLedger(store_->db());
  EXPECT_FALSE(check["ok"].get<bool>());
  EXPECT_EQ(Problems(check).find(named + "books say"), std::string::npos) << Problems(check);
  EXPECT_NE(Problems(check).find(named + "made with 507 by event"), std::string::npos) << Problems(check);
}

TEST_F(BatchStore, ACountDatedEarlierKeepsTheReceiptsRecordedAfterItWhateverOrderTheyArrivedIn) {
  const int64_t t0 = now_;
  now_ += 60'000;
  // Applied in this order; recorded by node clocks that disagree (the first runs ahead).
  for (const auto& [qty, recorded] : std::vector<std::pair<int64_t, int64_t>>{
           {1000, t0 + 1'000}, {100, t0 + 50'000}, {10, t0 + 5'000}, {1, t0 + 20'000}}) {
    wire::Receipt r;
    r.set_warehouse("sanyuan-wh");
    r.set_item("mask.n95");
    r.set_quantity(qty);
    now_ += 1000;
    Committed([&] { return store_->ApplyReceipt({"sanyuan", ++seq_, recorded, now_}, r); });
  }
  // Counted 7 at t0 + 10 s: it saw the 1000 and the 10, not the 100 and the 1 recorded later.
  wire::StockCount c;
  c.set_warehouse("sanyuan-wh");
  c.set_item("mask.n95");
  c.set_quantity(7);
  c.set_as_of_ms(t0 + 10'000);
  now_ += 1000;
  Committed([&] { return store_->ApplyStockCount({"sanyuan", ++seq_, now_, now_}, c); });
  EXPECT_EQ(StockOf(), 7 + 100 + 1);
  ExpectClean();
  // Counted again as of after every receipt: nothing is added back.
  c.set_quantity(50);
  c.set_as_of_ms(t0 + 55'000);
  now_ += 1000;
  Committed([&] { return store_->ApplyStockCount({"sanyuan", ++seq_, now_, now_}, c); });
  EXPECT_EQ(StockOf(), 50);
  ExpectClean();
}

TEST_F(BatchStore, WhatARolledBackTransactionDidToBatchesIsNotWhatPickingSees) {
  const int64_t kept = Receive(100, "", "");
  wire::Receipt r;
  r.set_warehouse("sanyuan-wh");
  r.set_item("mask.n95");
  r.set_quantity(200);
  ASSERT_TRUE(store_->Begin().ok());
  ASSERT_TRUE(store_->ApplyReceipt(Origin(), r).ok());
  store_->Rollback();
  // The rolled-back batch's id is made again at another warehouse: not sanyuan-wh's to pick.
  EXPECT_EQ(Receive(300, "", "", "", "", "meilie-wh"), kept + 1);
  const auto ids = [&](const std::string& warehouse) {
    std::vector<int64_t> found;
    for (const BatchStock& b : store_->batches().Stocked(warehouse, "mask.n95")) found.push_back(b.id);
    return found;
  };
  EXPECT_EQ(ids("sanyuan-wh"), std::vector<int64_t>{kept});
  EXPECT_EQ(ids("meilie-wh"), std::vector<int64_t>{kept + 1});
  // Emptied by a count that was rolled back: still there to pick.
  wire::StockCount c;
  c.set_warehouse("sanyuan-wh");
  c.set_item("mask.n95");
  c.set_quantity(0);
  ASSERT_TRUE(store_->Begin().ok());
  ASSERT_TRUE(store_->ApplyStockCount(Origin(), c).ok());
  EXPECT_EQ(ids("sanyuan-wh"), std::vector<int64_t>{});
  store_->Rollback();
  EXPECT_EQ(ids("sanyuan-wh"), std::vector<int64_t>{kept});
  Count(0);
  EXPECT_EQ(ids("sanyuan-wh"), std::vector<int64_t>{});
  ExpectClean();
  // A restart reads the same from the store.
  book_.reset();
  store_.reset();
  auto reopened = BrokerStore::Open(dir_.File("broker.db"));
  ASSERT_TRUE(reopened.ok()) << reopened.status().message();
  store_ = std::move(*reopened);
  book_ = std::make_unique<OrderBook>(city_, *store_);
  EXPECT_EQ(ids("sanyuan-wh"), std::vector<int64_t>{});
  EXPECT_EQ(ids("meilie-wh"), std::vector<int64_t>{kept + 1});
}

// ======================= migration of a schema-5 store =======================

class BatchMigration : public ::testing::Test {
 protected:
  // A store as the previous release left it: the first five migrations, rows written by hand.
  void MakeOldStore(const std::vector<std::string>& inserts) {
    const std::vector<std::string> first5(BrokerMigrations().begin(), BrokerMigrations().begin() + 5);
    auto db = SqliteDb::Open(path_, first5);
    ASSERT_TRUE(db.ok()) << db.status().message();
    ASSERT_EQ((*db)->schema_version(), 5);
    ASSERT_TRUE((*db)->Begin().ok());
    for (const std::string& sql : inserts) ASSERT_TRUE((*db)->Exec(sql).ok()) << sql;
    ASSERT_TRUE((*db)->Commit().ok());
    // The previous release's check held on it.
    ASSERT_EQ((*db)->QueryInt("SELECT COUNT(*) FROM sqlite_master WHERE name = 'batches'"), 0);
  }

  void OpenNew() {
    auto store = BrokerStore::Open(path_);
    ASSERT_TRUE(store.ok()) << store.status().message();
    store_ = std::move(*store);
    book_ = std::make_unique<OrderBook>(city_, *store_);
  }

  Refusal Step(int64_t order, wire::OrderStepKind kind, const std::string& county, int64_t qty = 0) {
    wire::OrderStep step;
    step.set_order_id(static_cast<uint64_t>(order));
    step.set_step(kind);
    step.set_quantity(qty);
    ++seq_;
    now_ += 1000;
    const ReportOrigin origin{county, seq_, now_, now_};
    EXPECT_TRUE(store_->Begin().ok());
    const Refusal refusal = book_->ApplyStep({county, Role::kNode, county}, step, origin);
    Finish(*store_, refusal);
    return refusal;
  }

  void ExpectClean(const std::string& when) {
    const nlohmann::json check = CheckLedger(store_->db());
    EXPECT_TRUE(check["ok"].get<bool>()) << when << ": " << Problems(check);
    EXPECT_EQ(BatchSumMismatches(store_->db()), std::vector<std::string>{}) << when;
  }

  const City city_ = SmallCity();
  TempDir dir_;
  const std::string path_ = dir_.File("broker.db");
  std::unique_ptr<BrokerStore> store_;
  std::unique_ptr<OrderBook> book_;
  uint64_t seq_ = 100;
  int64_t now_ = *ParseLocalTime("2020-02-10 08:00");
};

// What release 5 wrote for a warehouse count (stock, ledger, last figure).
std::vector<std::string> OldCount(const std::string& warehouse, const std::string& item, int64_t qty, int64_t delta,
                                  int64_t at_ms, int seq) {
  const std::string w = "'" + warehouse + "'", i = "'" + item + "'", q = std::to_string(qty),
                    t = std::to_string(at_ms);
  return {"INSERT INTO stock (warehouse, item, on_hand, updated_ms) VALUES (" + w + ", " + i + ", " + q + ", " + t +
              ") ON CONFLICT(warehouse, item) DO UPDATE SET on_hand = " + q + ", updated_ms = " + t,
          "INSERT INTO events (at_ms, recorded_ms, node, seq, kind, place, item, quantity, delta, detail) VALUES (" +
              t + ", " + t + ", 'sanyuan', " + std::to_string(seq) + ", 'count', " + w + ", " + i + ", " + q + ", " +
              std::to_string(delta) + ", NULL)",
          "INSERT OR REPLACE INTO last_figures (place, item, quantity, as_of_ms) VALUES (" + w + ", " + i + ", " + q +
              ", " + t + ")"};
}

std::string OldOrder(int64_t id, const std::string& to_site, int64_t qty, const std::string& status) {
  return "INSERT INTO orders (id, round, from_warehouse, from_county, to_site, to_county, item, for_item, qty, "
         "status, tier, days_before, days_after, distance_km, reason, created_ms, updated_ms) VALUES (" +
         std::to_string(id) + ", 1, 'sanyuan-wh', 'sanyuan', '" + to_site + "', 'sanyuan', 'mask.n95', 'mask.n95', " +
         std::to_string(qty) + ", '" + status + "', 1, 0, 7, 0, 'own county', 1000, 1000)";
}

std::vector<std::string> Concat(std::initializer_list<std::vector<std::string>> parts) {
  std::vector<std::string> all;
  for (const auto& p : parts) all.insert(all.end(), p.begin(), p.end());
  return all;
}

// sanyuan-wh: counted 1200, order 1 (200) shipped before the upgrade, order 2 (300) still open;
// sanitizer 240; meilie-wh counted 0.
std::vector<std::string> OldCity() {
  return Concat({OldCount("sanyuan-wh", "mask.n95", 1200, 1200, 1000, 1),
                 OldCount("sanyuan-wh", "sanitizer", 240, 240, 1001, 2),
                 OldCount("meilie-wh", "mask.n95", 0, 0, 1002, 1),
                 {"INSERT INTO rounds (round, at_ms, by, orders) VALUES (1, 2000, 'coordinator', 2)",
                  OldOrder(1, "sm-first-hospital", 200, "shipped"), OldOrder(2, "sy-rail", 300, "created"),
                  "INSERT INTO order_events (order_id, at_ms, status, who, qty, note) VALUES (1, 2000, 'created', "
                  "'coordinator', 200, ''), (2, 2000, 'created', 'coordinator', 300, ''), (1, 3000, 'shipped', "
                  "'sanyuan', 200, '')",
                  "INSERT INTO deliveries (county, seq, order_id) VALUES ('sanyuan', 1, 1), ('sanyuan', 2, 2), "
                  "('sanyuan', 3, 1)",
                  "UPDATE stock SET on_hand = on_hand - 200 WHERE warehouse = 'sanyuan-wh' AND item = 'mask.n95'",
                  "INSERT INTO events (at_ms, recorded_ms, node, seq, kind, place, item, quantity, delta, detail) "
                  "VALUES (3000, 3000, 'sanyuan', 3, 'ship', 'sanyuan-wh', 'mask.n95', 200, -200, '{\"order\":1}')",
                  // A figure its operator confirmed past the 100x guard, as that release recorded it.
                  "INSERT INTO events (at_ms, recorded_ms, node, seq, kind, place, item, quantity, delta, detail) "
                  "VALUES (3500, 3500, 'meilie', 2, 'count', 'meilie-wh', 'mask.n95', 0, 0, '{\"confirmed\":true}')"}});
}

// What release 8 (batches, before migrations 9 and 10) wrote for a receipt at sanyuan-wh: the ledger row,
// the batch with its creation move, the warehouse figure.
std::vector<std::string> Release8Receipt(int64_t qty, int64_t recorded_ms, int64_t at_ms, int seq) {
  const std::string q = std::to_string(qty), t = std::to_string(at_ms);
  return {"INSERT INTO events (at_ms, recorded_ms, node, seq, kind, place, item, quantity, delta, detail) VALUES (" +
              t + ", " + std::to_string(recorded_ms) + ", 'sanyuan', " + std::to_string(seq) +
              ", 'receipt', 'sanyuan-wh', 'mask.n95', " + q + ", " + q + ", '{\"source\":\"DONATION\"}')",
          "INSERT INTO batches (warehouse, item, origin, source, donor, reference, lot, expires, received, on_hand, "
          "reserved, received_ms, event_id) VALUES ('sanyuan-wh', 'mask.n95', 'receipt', 'DONATION', 'Red Cross', "
          "'', '', '', " + q + ", " + q + ", 0, " + t + ", last_insert_rowid())",
          "INSERT INTO batch_moves (batch, event_id, delta) SELECT id, event_id, received FROM batches "
          "WHERE id = last_insert_rowid()",
          "INSERT INTO stock (warehouse, item, on_hand, updated_ms) VALUES ('sanyuan-wh', 'mask.n95', " + q + ", " + t +
              ") ON CONFLICT(warehouse, item) DO UPDATE SET on_hand = on_hand + " + q};
}

TEST_F(BatchMigration, AStoreOfRelease8KeepsItsBatchesAndTheReceiptsACountDatedEarlierDidNotSee) {
  {
    const std::vector<std::string> first8(BrokerMigrations().begin(), BrokerMigrations().begin() + 8);
    auto db = SqliteDb::Open(path_, first8);
    ASSERT_TRUE(db.ok()) << db.status().message();
    ASSERT_EQ((*db)->schema_version(), 8);
    ASSERT_TRUE((*db)->Begin().ok());
    // Applied in this order, recorded by clocks that disagree: 100 at 5 s, 10 at 1 s, 1 at 3 s.
    for (const std::string& sql : Concat({Release8Receipt(100, 5000, 10000, 1), Release8Receipt(10, 1000, 11000, 2),
                                          Release8Receipt(1, 3000, 12000, 3)})) {
      ASSERT_TRUE((*db)->Exec(sql).ok()) << sql;
    }
    ASSERT_TRUE((*db)->Commit().ok());
    ASSERT_EQ((*db)->QueryInt("SELECT COUNT(*) FROM batch_moves"), 3);
  }
  OpenNew();
  ExpectClean("after the migration");
  EXPECT_EQ(store_->db().QueryInt("SELECT COUNT(*) FROM batch_moves"), 0);  // made with `received`: no move yet
  EXPECT_EQ(store_->batches().Stocked("sanyuan-wh", "mask.n95").size(), 3u);
  // Counted 7 as of 2 s: it saw the 10, not the 100 and the 1 recorded later.
  wire::StockCount c;
  c.set_warehouse("sanyuan-wh");
  c.set_item("mask.n95");
  c.set_quantity(7);
  c.set_as_of_ms(2000);
  ASSERT_TRUE(store_->Begin().ok());
  ASSERT_TRUE(store_->ApplyStockCount({"sanyuan", ++seq_, now_, now_}, c).ok());
  ASSERT_TRUE(store_->Commit().ok());
  EXPECT_EQ(store_->db().QueryInt("SELECT on_hand FROM stock WHERE warehouse = 'sanyuan-wh' AND item = 'mask.n95'"),
            7 + 100 + 1);
  ExpectClean("after a count dated earlier");
}

TEST_F(BatchMigration, AStoreOfTheLastReleaseGetsOneOpeningBatchPerStockedItem) {
  MakeOldStore(OldCity());
  OpenNew();
  EXPECT_EQ(store_->db().schema_version(), static_cast<int>(BrokerMigrations().size()));
  // Migration 7 keeps the confirmed figure for its alert, found without parsing the ledger.
  EXPECT_EQ(store_->db().QueryInt("SELECT COUNT(*) FROM confirmed_figures c JOIN events e ON e.id = c.event_id "
                                  "WHERE e.place = 'meilie-wh' AND e.kind = 'count'"),
            1);
  const std::vector<BatchRow> batches = ReadBatches(store_->db());
  ASSERT_EQ(batches.size(), 2u);  // meilie-wh holds nothing: no batch
  std::map<std::string, BatchRow> by_item;
  for (const BatchRow& b : batches) {
    EXPECT_EQ(b.warehouse, "sanyuan-wh");
    EXPECT_EQ(b.origin, "opening");
    EXPECT_EQ(b.donor, "");
    EXPECT_EQ(b.expires, "");
    EXPECT_EQ(b.reserved, 0);
    EXPECT_EQ(b.received, b.on_hand);
    by_item[b.item] = b;
  }
  EXPECT_EQ(by_item["mask.n95"].on_hand, 1000);
  EXPECT_EQ(by_item["sanitizer"].on_hand, 240);
  ExpectClean("after the migration");
  // Opening again migrates nothing twice.
  store_.reset();
  OpenNew();
  EXPECT_EQ(ReadBatches(store_->db()).size(), 2u);
  ExpectClean("after reopening");
}

TEST_F(BatchMigration, AnOrderMadeBeforeBatchesShipsFromTheBatchesAndKeepsThemEqualToTheWarehouse) {
  MakeOldStore(OldCity());
  OpenNew();
  const int64_t opening = store_->db().QueryInt("SELECT id FROM batches WHERE item = 'mask.n95'");
  // A dated donation after the upgrade, and a round that takes it first and some of the opening.
  wire::Receipt r;
  r.set_warehouse("sanyuan-wh");
  r.set_item("mask.n95");
  r.set_quantity(500);
  r.set_source(wire::DONATION);
  r.set_from("Red Cross");
  r.set_expires("2020-03-01");
  ++seq_;
  now_ += 1000;
  ASSERT_TRUE(store_->Begin().ok());
  ASSERT_TRUE(store_->ApplyReceipt({"sanyuan", seq_, now_, now_}, r).ok());
  ASSERT_TRUE(store_->Commit().ok());
  const int64_t donated = store_->db().QueryInt("SELECT MAX(id) FROM batches");
  Result<CitySnapshot> snapshot = TakeSnapshot(city_, store_->db(), now_);
  ASSERT_TRUE(snapshot.ok());
  int64_t available = 0;
  for (const WarehouseStock& s : snapshot->stock) {
    if (s.warehouse == "sanyuan-wh" && s.item == "mask.n95") available = s.available;
  }
  EXPECT_EQ(available, 1200);  // 1500 on hand, 300 held by the old order
  AllocationPlan plan;
  plan.orders.push_back({"sanyuan-wh", "sm-first-hospital", "mask.n95", "mask.n95", available, 1, 0, 7, 0, "own county"});
  now_ += 1000;
  ASSERT_TRUE(store_->Begin().ok());
  ASSERT_TRUE(book_->CommitRound(plan, "coordinator", now_).ok());
  ASSERT_TRUE(store_->Commit().ok());
  const int64_t fresh = store_->db().QueryInt("SELECT MAX(id) FROM orders");
  const auto fresh_lines = store_->batches().Lines(fresh);
  ASSERT_EQ(fresh_lines.size(), 2u);
  EXPECT_EQ(static_cast<int64_t>(fresh_lines[0].batch()), donated);  // dated before undated
  EXPECT_EQ(fresh_lines[0].qty(), 500);
  EXPECT_EQ(static_cast<int64_t>(fresh_lines[1].batch()), opening);
  EXPECT_EQ(fresh_lines[1].qty(), 700);
  ExpectClean("after a round");
  // The order made before batches ships: it picks its lines now, from what is free.
  EXPECT_TRUE(store_->batches().Lines(2).empty());
  EXPECT_FALSE(Step(2, wire::SHIP, "sanyuan").refused());
  const auto lines = store_->batches().Lines(2);
  int64_t sum = 0;
  for (const auto& l : lines) sum += l.qty();
  EXPECT_EQ(sum, 300);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(static_cast<int64_t>(lines[0].batch()), opening);
  ExpectClean("after shipping the old order");
  // The one shipped before the upgrade lands, with no lines; the new one ships and lands short.
  EXPECT_FALSE(Step(1, wire::RECEIVE, "sanyuan", 200).refused());
  ExpectClean("after receiving the order shipped before batches");
  EXPECT_FALSE(Step(2, wire::RECEIVE, "sanyuan", 250).refused());
  EXPECT_FALSE(Step(fresh, wire::SHIP, "sanyuan").refused());
  EXPECT_FALSE(Step(fresh, wire::RECEIVE, "sanyuan", 1100).refused());
  ExpectClean("after everything landed");
  EXPECT_EQ(store_->db().QueryInt("SELECT on_hand FROM stock WHERE warehouse = 'sanyuan-wh' AND item = 'mask.n95'"),
            0);
  const nlohmann::json red = Trace(store_->db(), city_, TraceBy::kDonor, "Red Cross");
  EXPECT_TRUE(red["adds_up"].get<bool>()) << red.dump(2);
  EXPECT_EQ(red["received"], 500);
  EXPECT_EQ(red["landed"], 500);  // the round took the dated batch first; the short fell on the opening
}

// Release 5 let a warehouse go below zero: an order created on stock that a later count did not
// find still ships (the goods were there after all). The upgrade must keep such a warehouse's
// batches equal to its figure too, or `check` fails on the day of the upgrade and every later count.
TEST_F(BatchMigration, AWarehouseShippedBelowZeroBeforeBatchesStillMatchesItsBatches) {
  MakeOldStore(Concat({OldCount("sanyuan-wh", "mask.n95", 100, 100, 1000, 1),
                       {"INSERT INTO rounds (round, at_ms, by, orders) VALUES (1, 2000, 'coordinator', 1)",
                        OldOrder(1, "sm-first-hospital", 100, "created")},
                       OldCount("sanyuan-wh", "mask.n95", 0, -100, 2500, 2),
                       {"UPDATE orders SET status = 'shipped' WHERE id = 1",
                        "UPDATE stock SET on_hand = on_hand - 100 WHERE warehouse = 'sanyuan-wh'",
                        "INSERT INTO events (at_ms, recorded_ms, node, seq, kind, place, item, quantity, delta, "
                        "detail) VALUES (3000, 3000, 'sanyuan', 3, 'ship', 'sanyuan-wh', 'mask.n95', 100, -100, "
                        "'{\"order\":1}')"}}));
  OpenNew();
  EXPECT_EQ(store_->db().QueryInt("SELECT on_hand FROM stock WHERE warehouse = 'sanyuan-wh'"), -100);
  ExpectClean("after the migration");
  // A later count of 50 must leave books and batches both at 50.
  wire::StockCount c;
  c.set_warehouse("sanyuan-wh");
  c.set_item("mask.n95");
  c.set_quantity(50);
  ++seq_;
  now_ += 1000;
  ASSERT_TRUE(store_->Begin().ok());
  ASSERT_TRUE(store_->ApplyStockCount({"sanyuan", seq_, now_, now_}, c).ok());
  ASSERT_TRUE(store_->Commit().ok());
  ExpectClean("after a count of 50");
}

// An order of release 5 whose stock a later count did not find (the books hold less than it):
// shipped after the upgrade, what the batches lack is charged to its last line's batch, and when
// no batch holds any stock at all, to an 'unbooked' batch: every unit that left has a batch.
std::vector<std::string> OldOrderCountedShort(int64_t ordered, int64_t counted) {
  return Concat({OldCount("sanyuan-wh", "mask.n95", ordered, ordered, 1000, 1),
                 {"INSERT INTO rounds (round, at_ms, by, orders) VALUES (1, 2000, 'coordinator', 1)",
                  OldOrder(1, "sm-first-hospital", ordered, "created")},
                 OldCount("sanyuan-wh", "mask.n95", counted, counted - ordered, 2500, 2)});
}

TEST_F(BatchMigration, AnOrderMadeBeforeBatchesShipsWhenTheBatchesHoldLessThanIt) {
  MakeOldStore(OldOrderCountedShort(300, 100));
  OpenNew();
  ExpectClean("after the migration");
  const Refusal shipped = Step(1, wire::SHIP, "sanyuan");
  EXPECT_FALSE(shipped.refused()) << shipped.text;
  EXPECT_EQ(store_->db().QueryInt("SELECT on_hand FROM stock WHERE warehouse = 'sanyuan-wh'"), -200);
  ExpectClean("after shipping");
  EXPECT_FALSE(Step(1, wire::RECEIVE, "sanyuan", 300).refused());
  ExpectClean("after receiving");
}

TEST_F(BatchMigration, AnOrderMadeBeforeBatchesShipsWhenNoBatchHoldsAnyStock) {
  MakeOldStore(OldOrderCountedShort(300, 0));
  OpenNew();
  EXPECT_EQ(store_->db().QueryInt("SELECT COUNT(*) FROM batches"), 0);
  ExpectClean("after the migration");
  // The shipment is a fact the node reports: refusing it as INTERNAL fails the broker's whole
  // cycle, and the node resends it every cycle after.
  const Refusal shipped = Step(1, wire::SHIP, "sanyuan");
  EXPECT_FALSE(shipped.refused()) << wire::ErrorCode_Name(shipped.code) << ": " << shipped.text;
  EXPECT_EQ(store_->db().QueryInt("SELECT on_hand FROM stock WHERE warehouse = 'sanyuan-wh'"), -300);
  EXPECT_EQ(store_->db().QueryInt("SELECT COUNT(*) FROM batches WHERE origin = 'unbooked'"), 1);
  EXPECT_EQ(store_->db().QueryInt("SELECT COALESCE(SUM(qty), 0) FROM order_lines WHERE order_id = 1"), 300);
  ExpectClean("after shipping");
}

}  // namespace
}  // namespace ppe::test
