// Unit tests of the node side: the node store (outbox, acks, refusals), CSV import, report entry.
#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/city.h"
#include "common/clock.h"
#include "common/text_encoding.h"
#include "nodes/csv_import.h"
#include "nodes/node_store.h"
#include "nodes/report_entry.h"
#include "tests/test_support.h"

namespace ppe::test {

namespace {

// ================================ NodeStore ================================

wire::Report StockReport(const std::string& warehouse, int64_t qty, const std::string& item = "mask.n95") {
  wire::Report r;
  r.set_recorded_at_ms(1000 + qty);
  r.mutable_stock()->set_warehouse(warehouse);
  r.mutable_stock()->set_item(item);
  r.mutable_stock()->set_quantity(qty);
  return r;
}

wire::Report ReceiptReport(const std::string& warehouse, int64_t qty) {
  wire::Report r;
  auto* m = r.mutable_receipt();
  m->set_warehouse(warehouse);
  m->set_item("mask.n95");
  m->set_quantity(qty);
  m->set_source(wire::DONATION);
  m->set_from("Fujian Red Cross");
  return r;
}

wire::Report DemandReport(const std::string& site, int64_t on_hand, double daily_use) {
  wire::Report r;
  r.mutable_demand()->set_site(site);
  r.mutable_demand()->set_item("mask.n95");
  r.mutable_demand()->set_on_hand(on_hand);
  r.mutable_demand()->set_daily_use(daily_use);
  return r;
}

class NodeStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { Reopen(); }
  void Reopen() {
    store_.reset();
    auto store = NodeStore::Open(dir_.File("node.db"));
    ASSERT_TRUE(store.ok()) << store.status().message();
    store_ = std::move(*store);
  }
  uint64_t Append(const std::vector<wire::Report>& reports) {
    auto last = store_->Append(reports);
    EXPECT_TRUE(last.ok()) << last.status().message();
    return last.ok() ? *last : 0;
  }
  std::vector<wire::Report> ReadFrom(uint64_t from, size_t limit = 100) {
    std::vector<wire::Report> out;
    EXPECT_TRUE(store_->ReadFrom(from, limit, &out).ok());
    return out;
  }

  TempDir dir_;
  std::unique_ptr<NodeStore> store_;
};

TEST_F(NodeStoreTest, AppendAssignsGapFreeSeqsFromOneAcrossCallsAndReopens) {
  EXPECT_EQ(store_->RecordedHead(), 0u);
  EXPECT_EQ(Append({StockReport("sanyuan-wh", 1)}), 1u);
  EXPECT_EQ(Append({StockReport("sanyuan-wh", 2), StockReport("sanyuan-wh", 3)}), 3u);
  Reopen();
  EXPECT_EQ(store_->RecordedHead(), 3u);
  EXPECT_EQ(Append({StockReport("sanyuan-wh", 4)}), 4u);
  std::vector<uint64_t> seqs;
  for (const auto& r : ReadFrom(1)) seqs.push_back(r.seq());
  EXPECT_EQ(seqs, (std::vector<uint64_t>{1, 2, 3, 4}));
}

TEST_F(NodeStoreTest, AppendIsAllOrNothing) {
  Append({StockReport("sanyuan-wh", 1)});
  // Make the outbox refuse one particular report, as a full disk or a constraint would.
  ASSERT_TRUE(store_->db()
                  .Exec("CREATE TRIGGER refuse_bad BEFORE INSERT ON outbox WHEN NEW.place = 'bad' "
                        "BEGIN SELECT RAISE(ABORT, 'refused by test'); END")
                  .ok());
  auto failed = store_->Append({StockReport("sanyuan-wh", 2), StockReport("bad", 3),
                                StockReport("sanyuan-wh", 4)});
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(store_->RecordedHead(), 1u);
  EXPECT_EQ(ReadFrom(1).size(), 1u);
  // The failed batch consumed no seq: the next report is 2.
  EXPECT_EQ(Append({StockReport("sanyuan-wh", 5)}), 2u);
}

TEST_F(NodeStoreTest, ReadFromReturnsReportsInSeqOrderWithSeqAndContent) {
  Append({StockReport("sanyuan-wh", 100), ReceiptReport("sanyuan-wh", 50),
          DemandReport("sy-rail", 7, 12.5), StockReport("sanyuan-wh", 300)});
  const auto reports = ReadFrom(2, 2);
  ASSERT_EQ(reports.size(), 2u);
  EXPECT_EQ(reports[0].seq(), 2u);
  ASSERT_TRUE(reports[0].has_receipt());
  EXPECT_EQ(reports[0].receipt().quantity(), 50);
  EXPECT_EQ(reports[0].receipt().from(), "Fujian Red Cross");
  EXPECT_EQ(reports[1].seq(), 3u);
  ASSERT_TRUE(reports[1].has_demand());
  EXPECT_EQ(reports[1].demand().daily_use(), 12.5);
  const auto tail = ReadFrom(4);
  ASSERT_EQ(tail.size(), 1u);
  EXPECT_EQ(tail[0].stock().quantity(), 300);
  EXPECT_EQ(tail[0].recorded_at_ms(), 1300);
  EXPECT_TRUE(ReadFrom(5).empty());
}

TEST_F(NodeStoreTest, SetAckedOnlyMovesForward) {
  Append({StockReport("sanyuan-wh", 1), StockReport("sanyuan-wh", 2), StockReport("sanyuan-wh", 3)});
  ASSERT_TRUE(store_->SetAcked(2, 5000).ok());
  ASSERT_TRUE(store_->SetAcked(1, 6000).ok());
  EXPECT_EQ(store_->Link().last_ack, 2u);
  EXPECT_EQ(store_->Link().last_ack_ms, 5000);
  ASSERT_TRUE(store_->SetAcked(3, 7000).ok());
  Reopen();
  EXPECT_EQ(store_->Link().last_ack, 3u);
  EXPECT_EQ(store_->Link().last_ack_ms, 7000);
}

TEST_F(NodeStoreTest, TextThatCannotTravelNeverReachesTheOutbox) {
  wire::Report gbk = ReceiptReport("sanyuan-wh", 5);
  gbk.mutable_receipt()->set_from("\xb8\xa3\xbd\xa8");  // GBK bytes, not UTF-8
  const auto refused = store_->Append({StockReport("sanyuan-wh", 1), gbk});
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("not valid UTF-8"), std::string::npos);
  EXPECT_EQ(store_->RecordedHead(), 0u);  // all or nothing
}

TEST_F(NodeStoreTest, AnUnreadableRowIsSetAsideAndTheStreamGoesOn) {
  Append({StockReport("sanyuan-wh", 1), StockReport("sanyuan-wh", 2), StockReport("sanyuan-wh", 3)});
  // What an older release wrote for a GBK donor: bytes that do not parse as a report.
  ASSERT_TRUE(store_->db().Exec("UPDATE outbox SET payload = X'5a041202b8a3' WHERE seq = 2").ok());
  const auto reports = ReadFrom(1);
  ASSERT_EQ(reports.size(), 3u);
  EXPECT_EQ(reports[0].stock().quantity(), 1);
  EXPECT_EQ(reports[1].seq(), 2u);
  EXPECT_EQ(reports[1].body_case(), wire::Report::BODY_NOT_SET);
  EXPECT_NE(reports[1].unreadable().find("report 2"), std::string::npos);
  EXPECT_EQ(reports[2].stock().quantity(), 3);
  // Durably: the original bytes are kept, and the next read gives the same placeholder.
  Reopen();
  const auto again = ReadFrom(2, 1);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_FALSE(again[0].unreadable().empty());
  ASSERT_EQ(store_->SetAsideRows().size(), 1u);
  EXPECT_EQ(store_->SetAsideRows()[0].seq, 2u);
  EXPECT_EQ(store_->Link().set_aside, 1);
  EXPECT_EQ(store_->db().QueryInt("SELECT length(payload) FROM set_aside WHERE seq = 2"), 6);
}

TEST_F(NodeStoreTest, AcknowledgedReportsAreKeptForTheirTimeThenPruned) {
  constexpr int64_t kDay = 24 * 3600 * 1000;
  for (int i = 1; i <= 5; ++i) Append({StockReport("sanyuan-wh", i)});
  const int64_t t0 = 100 * kDay;
  ASSERT_TRUE(store_->SetAcked(3, t0).ok());
  // Within the keeping time nothing goes.
  ASSERT_TRUE(store_->PruneAcknowledged(30 * kDay, t0 + 29 * kDay).ok());
  EXPECT_EQ(store_->OldestHeld(), 1u);
  ASSERT_TRUE(store_->SetAcked(5, t0 + 29 * kDay).ok());
  // 31 days on: what was acknowledged at t0 goes, what was acknowledged later stays.
  ASSERT_TRUE(store_->PruneAcknowledged(30 * kDay, t0 + 31 * kDay).ok());
  EXPECT_EQ(store_->OldestHeld(), 4u);
  EXPECT_EQ(ReadFrom(1).front().seq(), 4u);
  // The head and the next seq survive pruning, even of everything.
  ASSERT_TRUE(store_->PruneAcknowledged(0, t0 + 60 * kDay).ok());
  EXPECT_EQ(store_->RecordedHead(), 5u);
  EXPECT_EQ(store_->OldestHeld(), 6u);
  EXPECT_EQ(Append({StockReport("sanyuan-wh", 6)}), 6u);
  EXPECT_EQ(store_->Link().recorded_head, 6u);
}

TEST_F(NodeStoreTest, RewindLowersTheAckAndKeepsWhatTheBrokerLost) {
  constexpr int64_t kDay = 24 * 3600 * 1000;
  for (int i = 1; i <= 4; ++i) Append({StockReport("sanyuan-wh", i)});
  ASSERT_TRUE(store_->SetAcked(4, kDay).ok());
  ASSERT_TRUE(store_->RewindAck(2, 2 * kDay).ok());
  EXPECT_EQ(store_->Link().last_ack, 2u);
  // The old mark no longer lets reports 3 and 4 be pruned: the broker lacks them.
  ASSERT_TRUE(store_->PruneAcknowledged(0, 3 * kDay).ok());
  EXPECT_EQ(store_->OldestHeld(), 3u);
}

// The broker applied up to 7 of this key, the store recorded 2: the next report is 8, 1..7 are
// acknowledged, and the link says what happened; an empty store and a store ahead work as well.
TEST_F(NodeStoreTest, AdvancePastMovesTheOutboxSeqBeyondTheBrokers) {
  Append({StockReport("sanyuan-wh", 1), StockReport("sanyuan-wh", 2)});
  ASSERT_TRUE(store_->AdvancePast(7).ok());
  LinkState link = store_->Link();
  EXPECT_EQ(link.recorded_head, 7u);
  EXPECT_EQ(link.last_ack, 7u);
  EXPECT_EQ(link.pending(), 0u);
  EXPECT_EQ(link.advanced_from, 2u);
  EXPECT_EQ(link.advanced_to, 7u);
  EXPECT_GT(link.advanced_ms, 0);
  EXPECT_EQ(Append({StockReport("sanyuan-wh", 3)}), 8u);
  EXPECT_EQ(store_->Link().pending(), 1u);
  ASSERT_TRUE(store_->AdvancePast(5).ok());  // behind the head: nothing moves
  EXPECT_EQ(store_->RecordedHead(), 8u);
  EXPECT_EQ(store_->Link().advanced_to, 7u);
  Reopen();
  EXPECT_EQ(Append({StockReport("sanyuan-wh", 4)}), 9u);

  TempDir other;
  auto fresh = NodeStore::Open(other.File("fresh.db"));
  ASSERT_TRUE(fresh.ok());
  ASSERT_TRUE((*fresh)->AdvancePast(3).ok());  // never appended: no sqlite_sequence row yet
  auto first = (*fresh)->Append({StockReport("sanyuan-wh", 1)});
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(*first, 4u);
}

TEST(LinkState, PendingNeverWraps) {
  LinkState link;
  link.recorded_head = 2;
  link.last_ack = 5;
  EXPECT_EQ(link.pending(), 0u);
  link.recorded_head = 9;
  EXPECT_EQ(link.pending(), 4u);
}

TEST_F(NodeStoreTest, LinkReportsConnectionHeadAckAndRefusals) {
  LinkState fresh = store_->Link();
  EXPECT_FALSE(fresh.connected);
  EXPECT_EQ(fresh.recorded_head, 0u);
  EXPECT_EQ(fresh.refused, 0);
  Append({StockReport("sanyuan-wh", 1), StockReport("sanyuan-wh", 2)});
  ASSERT_TRUE(store_->SetLink(true, 4242).ok());
  ASSERT_TRUE(store_->SetAcked(1, 4000).ok());
  ASSERT_TRUE(store_->RecordRefusal(2, 4300, "UNKNOWN_ITEM", "unknown item").ok());
  const LinkState link = store_->Link();
  EXPECT_TRUE(link.connected);
  EXPECT_EQ(link.daemon_seen_ms, 4242);
  EXPECT_EQ(link.last_ack, 1u);
  EXPECT_EQ(link.recorded_head, 2u);
  EXPECT_EQ(link.refused, 1);
  ASSERT_TRUE(store_->SetLink(false, 5000).ok());
  EXPECT_FALSE(store_->Link().connected);
}

TEST_F(NodeStoreTest, RefusalsAreNewestFirstWithTheReportSummary) {
  Append({StockReport("sanyuan-wh", 10), ReceiptReport("sanyuan-wh", 5000), StockReport("x", 3)});
  ASSERT_TRUE(store_->RecordRefusal(1, 100, "BAD_QUANTITY", "first").ok());
  ASSERT_TRUE(store_->RecordRefusal(2, 200, "NOT_YOUR_COUNTY", "second").ok());
  ASSERT_TRUE(store_->RecordRefusal(2, 250, "NOT_YOUR_COUNTY", "second, again").ok());  // replaces
  const auto all = store_->Refusals(10);
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].seq, 2u);
  EXPECT_EQ(all[0].at_ms, 250);
  EXPECT_EQ(all[0].code, "NOT_YOUR_COUNTY");
  EXPECT_EQ(all[0].text, "second, again");
  EXPECT_EQ(all[0].summary, Summarize(ReceiptReport("sanyuan-wh", 5000)));
  EXPECT_NE(all[0].summary.find("5000"), std::string::npos);
  EXPECT_NE(all[0].summary.find("donation"), std::string::npos);
  EXPECT_EQ(all[1].seq, 1u);
  ASSERT_EQ(store_->Refusals(1).size(), 1u);
  EXPECT_EQ(store_->Refusals(1)[0].seq, 2u);
}

TEST_F(NodeStoreTest, LastIsTheLatestCountOrDemandAndIgnoresReceipts) {
  EXPECT_FALSE(store_->Last("sanyuan-wh", "mask.n95"));
  Append({StockReport("sanyuan-wh", 100), StockReport("sanyuan-wh", 120),
          ReceiptReport("sanyuan-wh", 9000), StockReport("sanyuan-wh", 7, "sanitizer"),
          DemandReport("sy-rail", 40, 10)});
  auto stock = store_->Last("sanyuan-wh", "mask.n95");
  ASSERT_TRUE(stock);
  EXPECT_EQ(stock->quantity, 120);
  EXPECT_EQ(store_->Last("sanyuan-wh", "sanitizer")->quantity, 7);
  EXPECT_EQ(store_->Last("sy-rail", "mask.n95")->quantity, 40);
  EXPECT_FALSE(store_->Last("sy-rail", "sanitizer"));
}

// The time a count was taken is its as_of, else when it was recorded; a demand keeps its daily
// use, a stock count none.
TEST_F(NodeStoreTest, LastKeepsWhenTheCountWasTakenAndTheDailyUse) {
  wire::Report dated = StockReport("sanyuan-wh", 100);
  dated.mutable_stock()->set_as_of_ms(777);
  wire::Report demand = DemandReport("sy-rail", 40, 12.5);
  demand.set_recorded_at_ms(5555);
  Append({dated, demand});
  const auto stock = store_->Last("sanyuan-wh", "mask.n95");
  ASSERT_TRUE(stock);
  EXPECT_EQ(stock->as_of_ms, 777);
  EXPECT_FALSE(stock->daily_use);
  Reopen();
  const auto site = store_->Last("sy-rail", "mask.n95");
  ASSERT_TRUE(site);
  EXPECT_EQ(site->as_of_ms, 5555);
  ASSERT_TRUE(site->daily_use);
  EXPECT_EQ(*site->daily_use, 12.5);
  Append({StockReport("sanyuan-wh", 90)});  // undated: taken when recorded (1000 + qty)
  EXPECT_EQ(store_->Last("sanyuan-wh", "mask.n95")->as_of_ms, 1090);
}

// A store written before last_figure kept times and daily use: the migration runs on open, its
// figures stay, unknown times and daily uses refuse nothing, and new counts record both.
TEST_F(NodeStoreTest, AStoreFromBeforeCountTimesOpensAndKeepsWorking) {
  Append({StockReport("sanyuan-wh", 1)});
  const int version = store_->db().schema_version();
  // Put the store back as the release before wrote it: last_figure without the two columns, and
  // (later migrations) no order_batches and no catalogue_changes.
  ASSERT_TRUE(store_->db()
                  .Exec("DROP TABLE last_figure; "
                        "CREATE TABLE last_figure (place TEXT NOT NULL, item TEXT NOT NULL, "
                        "quantity INTEGER NOT NULL, PRIMARY KEY (place, item)) WITHOUT ROWID; "
                        "INSERT INTO last_figure VALUES ('sanyuan-wh', 'mask.n95', 500), "
                        "('sy-rail', 'mask.n95', 40); DROP TABLE order_batches; DROP TABLE catalogue_changes; "
                        "UPDATE schema_version SET version = " + std::to_string(version - 3))
                  .ok());
  Reopen();
  EXPECT_EQ(store_->db().schema_version(), version);
  EXPECT_EQ(store_->RecordedHead(), 1u);
  const auto old = store_->Last("sanyuan-wh", "mask.n95");
  ASSERT_TRUE(old);
  EXPECT_EQ(old->quantity, 500);
  EXPECT_EQ(old->as_of_ms, 0);
  EXPECT_FALSE(old->daily_use);
  wire::Report dated = StockReport("sanyuan-wh", 400);
  dated.mutable_stock()->set_as_of_ms(1'000'000);
  EXPECT_TRUE(CheckCountOrder(dated, old).ok());
  EXPECT_TRUE(CheckPlausible(DemandReport("sy-rail", 40, 99999), store_->Last("sy-rail", "mask.n95"), false,
                             "confirm").ok());
  EXPECT_EQ(Append({dated}), 2u);
  EXPECT_EQ(store_->Last("sanyuan-wh", "mask.n95")->as_of_ms, 1'000'000);
}

// One order state as the broker delivers it, with its batch lines {batch, lot, expires, qty}.
struct Line {
  uint64_t batch;
  std::string lot, expires;
  int64_t qty;
};
void AddOrder(wire::OrderDelivery* delivery, uint64_t seq, uint64_t id, const std::string& status,
              const std::vector<Line>& lines) {
  auto* entry = delivery->add_entries();
  entry->set_seq(seq);
  wire::DispatchOrder* o = entry->mutable_order();
  o->set_order_id(id);
  o->set_round(1);
  o->set_from_warehouse("sanyuan-wh");
  o->set_from_county("sanyuan");
  o->set_to_site("sm-first-hospital");
  o->set_to_county("meilie");
  o->set_item("mask.n95");
  o->set_for_item("mask.n95");
  int64_t qty = 0;
  for (const Line& l : lines) {
    wire::BatchLine* b = o->add_batches();
    b->set_batch(l.batch);
    b->set_lot(l.lot);
    b->set_expires(l.expires);
    b->set_donor("Fujian Red Cross");
    b->set_qty(l.qty);
    qty += l.qty;
  }
  o->set_qty(lines.empty() ? 700 : qty);
  o->set_status(status);
  o->set_updated_at_ms(5000 + seq);
}

// "12 L2003 2020-06-30 500; 9 - - 200": an order's batch lines, to compare in one line.
std::string LinesOf(const NodeOrder& o) {
  std::string text;
  for (const wire::BatchLine& b : o.batches) {
    text += (text.empty() ? "" : "; ") + std::to_string(b.batch()) + " " + (b.lot().empty() ? "-" : b.lot()) + " " +
            (b.expires().empty() ? "-" : b.expires()) + " " + std::to_string(b.qty());
  }
  return text;
}

TEST_F(NodeStoreTest, AnOrderKeepsItsBatchLinesInTheBrokersOrderAndAnOrderWithoutStillLists) {
  wire::OrderDelivery delivery;
  AddOrder(&delivery, 1, 41, "created", {{12, "L2003", "2020-06-30", 500}, {9, "", "", 200}});
  AddOrder(&delivery, 2, 42, "created", {});  // from a broker that sends no batches
  auto held = store_->StoreDeliveries(delivery);
  ASSERT_TRUE(held.ok()) << held.status().message();
  EXPECT_EQ(*held, 2u);
  Reopen();
  auto orders = store_->Orders(false);
  ASSERT_EQ(orders.size(), 2u);
  EXPECT_EQ(orders[0].id, 41);
  EXPECT_EQ(orders[0].qty, 700);
  EXPECT_EQ(LinesOf(orders[0]), "12 L2003 2020-06-30 500; 9 - - 200");
  EXPECT_EQ(orders[0].batches[0].donor(), "Fujian Red Cross");
  EXPECT_EQ(orders[1].id, 42);
  EXPECT_EQ(orders[1].qty, 700);
  EXPECT_EQ(orders[1].status, "created");
  EXPECT_TRUE(orders[1].batches.empty());

  // A later state is the whole order again: its lines replace the ones held (here: re-picked,
  // then shipped without a list), and an entry already held changes nothing.
  wire::OrderDelivery later;
  AddOrder(&later, 2, 42, "cancelled", {{99, "NOPE", "2021-01-01", 1}});  // held already: skipped
  AddOrder(&later, 3, 41, "accepted", {{7, "L1", "2020-05-01", 700}});
  AddOrder(&later, 4, 42, "shipped", {});
  held = store_->StoreDeliveries(later);
  ASSERT_TRUE(held.ok()) << held.status().message();
  EXPECT_EQ(*held, 4u);
  orders = store_->Orders(true);
  ASSERT_EQ(orders.size(), 2u);
  EXPECT_EQ(orders[0].status, "accepted");
  EXPECT_EQ(LinesOf(orders[0]), "7 L1 2020-05-01 700");
  EXPECT_EQ(orders[1].status, "shipped");
  EXPECT_TRUE(orders[1].batches.empty());
  wire::OrderDelivery emptied;
  AddOrder(&emptied, 5, 41, "accepted", {});
  ASSERT_TRUE(store_->StoreDeliveries(emptied).ok());
  EXPECT_TRUE(store_->Orders(false)[0].batches.empty());
}

// A store from before order batches: the migration adds the table, the orders held stay and list
// with no batches, and new deliveries keep theirs.
TEST_F(NodeStoreTest, AStoreFromBeforeOrderBatchesOpensAndKeepsItsOrders) {
  wire::OrderDelivery delivery;
  AddOrder(&delivery, 1, 41, "created", {{12, "L2003", "2020-06-30", 500}});
  ASSERT_TRUE(store_->StoreDeliveries(delivery).ok());
  const int version = store_->db().schema_version();
  ASSERT_TRUE(store_->db()
                  .Exec("DROP TABLE order_batches; DROP TABLE catalogue_changes; UPDATE schema_version SET version = " +
                        std::to_string(version - 2))
                  .ok());
  Reopen();
  EXPECT_EQ(store_->db().schema_version(), version);
  auto orders = store_->Orders(false);
  ASSERT_EQ(orders.size(), 1u);
  EXPECT_EQ(orders[0].id, 41);
  EXPECT_TRUE(orders[0].batches.empty());
  wire::OrderDelivery next;
  AddOrder(&next, 2, 41, "accepted", {{12, "L2003", "2020-06-30", 500}});
  ASSERT_TRUE(store_->StoreDeliveries(next).ok());
  EXPECT_EQ(LinesOf(store_->Orders(false)[0]), "12 L2003 2020-06-30 500");
}

TEST(Summarize, SaysWhatEachReportIs) {
  EXPECT_EQ(Summarize(StockReport("sanyuan-wh", 12000)), "stock sanyuan-wh mask.n95 12000");
  EXPECT_EQ(Summarize(ReceiptReport("sanyuan-wh", 5000)),
            "receipt sanyuan-wh mask.n95 5000 (donation from Fujian Red Cross)");
  wire::Report traced = ReceiptReport("sanyuan-wh", 5000);
  traced.mutable_receipt()->set_lot("L2003");
  traced.mutable_receipt()->set_expires("2026-06-30");
  EXPECT_EQ(Summarize(traced),
            "receipt sanyuan-wh mask.n95 5000 (donation from Fujian Red Cross, lot L2003, expires 2026-06-30)");
  EXPECT_EQ(Summarize(DemandReport("sy-rail", 800, 1200)),
            "demand sy-rail mask.n95 on hand 800, daily use 1200");
  EXPECT_EQ(Summarize(wire::Report()), "empty report");
}

// ============================== ReportEntry ==============================

class EntryTest : public ::testing::Test {
 protected:
  const City city_ = SmallCity();
  const ReportEntry entry_{city_, Identity{"sanyuan", Role::kNode, "sanyuan"}};

  // The error of a result that must have failed, for matching.
  template <typename T>
  static std::string ErrorOf(const Result<T>& r) {
    EXPECT_FALSE(r.ok());
    return r.status().message();
  }
};

TEST_F(EntryTest, StockParsesTheOperatorsFigure) {
  auto r = entry_.Stock("sanyuan-wh", "mask.n95", " 12000 ");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->stock().warehouse(), "sanyuan-wh");
  EXPECT_EQ(r->stock().quantity(), 12000);
  EXPECT_GT(r->recorded_at_ms(), 1'500'000'000'000);  // stamped with the wall clock
}

TEST_F(EntryTest, RefusesBadFiguresNamingTheProblem) {
  EXPECT_NE(ErrorOf(entry_.Stock("sanyuan-wh", "mask.n95", "12k")).find("12k"), std::string::npos);
  EXPECT_NE(ErrorOf(entry_.Stock("sanyuan-wh", "mask.n95", "1.5")).find("whole number"),
            std::string::npos);
  EXPECT_NE(ErrorOf(entry_.Stock("sanyuan-wh", "mask.n95", "-3")).find("negative"), std::string::npos);
  EXPECT_NE(ErrorOf(entry_.Stock("sanyuan-wh", "mask.n95", "")).find("missing"), std::string::npos);
  EXPECT_NE(ErrorOf(entry_.Stock("sanyuan-wh", "mask.n95", "99999999999999999999")).find("whole"),
            std::string::npos);
  // The broker's rules, with a hint of what is valid.
  const std::string item = ErrorOf(entry_.Stock("sanyuan-wh", "mask.kn95", "1"));
  EXPECT_NE(item.find("mask.kn95"), std::string::npos);
  EXPECT_NE(item.find("mask.surgical"), std::string::npos) << item;
  const std::string other = ErrorOf(entry_.Stock("meilie-wh", "mask.n95", "1"));
  EXPECT_NE(other.find("meilie"), std::string::npos);
  EXPECT_NE(other.find("sanyuan-wh"), std::string::npos) << other;
}

TEST_F(EntryTest, ReceiptSourceDefaultsToProductionAndDonationNeedsADonor) {
  auto production = entry_.Receipt("sanyuan-wh", "mask.n95", "500", "", "");
  ASSERT_TRUE(production.ok()) << production.status().message();
  EXPECT_EQ(production->receipt().source(), wire::PRODUCTION);
  auto transfer = entry_.Receipt("sanyuan-wh", "mask.n95", "500", "transfer", " meilie ");
  ASSERT_TRUE(transfer.ok());
  EXPECT_EQ(transfer->receipt().source(), wire::TRANSFER);
  EXPECT_EQ(transfer->receipt().from(), "meilie");

  EXPECT_NE(ErrorOf(entry_.Receipt("sanyuan-wh", "mask.n95", "500", "donation", " ")).find("donor"),
            std::string::npos);
  EXPECT_NE(ErrorOf(entry_.Receipt("sanyuan-wh", "mask.n95", "500", "gift", "x")).find("gift"),
            std::string::npos);
  EXPECT_NE(ErrorOf(entry_.Receipt("sanyuan-wh", "mask.n95", "0", "production", "")).find("zero"),
            std::string::npos);
}

TEST_F(EntryTest, DemandDailyUseDefaultsToHeadcountTimesPerHeadUse) {
  auto given = entry_.Demand("sm-first-hospital", "mask.n95", "800", "1200");
  ASSERT_TRUE(given.ok()) << given.status().message();
  EXPECT_EQ(given->demand().on_hand(), 800);
  EXPECT_EQ(given->demand().daily_use(), 1200);
  auto derived = entry_.Demand("sm-first-hospital", "mask.surgical", "10", "");
  ASSERT_TRUE(derived.ok()) << derived.status().message();
  const double expected = city_.FindSite("sm-first-hospital")->headcount *
                          city_.FindItem("mask.surgical")->per_head_daily;
  EXPECT_GT(expected, 0);
  EXPECT_DOUBLE_EQ(derived->demand().daily_use(), expected);
  EXPECT_NE(ErrorOf(entry_.Demand("sy-rail", "mask.n95", "1", "lots")).find("lots"), std::string::npos);
  EXPECT_NE(ErrorOf(entry_.Demand("sy-rail", "mask.n95", "1", "-2")).find("negative"),
            std::string::npos);
  EXPECT_NE(ErrorOf(entry_.Demand("ml-fever", "mask.n95", "1", "1")).find("ml-fever"),
            std::string::npos);
}

TEST(Implausible, FlagsFiguresOverAHundredTimesTheLastAndAtLeastAThousand) {
  EXPECT_TRUE(Implausible(40, 5000));
  EXPECT_FALSE(Implausible(50, 5000));   // exactly 100x is plausible
  EXPECT_FALSE(Implausible(500, 5000));
  EXPECT_FALSE(Implausible(0, 999));     // small figures never are
  EXPECT_TRUE(Implausible(0, 1000));     // from nothing, 1000 is a jump
  EXPECT_FALSE(Implausible(5000, 50));   // falling stock is normal
}

TEST(ImplausibleDailyUse, FlagsADailyUseOverTenTimesTheLast) {
  EXPECT_FALSE(ImplausibleDailyUse(300, 3000));     // exactly 10x is plausible
  EXPECT_TRUE(ImplausibleDailyUse(300, 3000.5));    // just over is not
  EXPECT_TRUE(ImplausibleDailyUse(300, 300000));
  EXPECT_FALSE(ImplausibleDailyUse(300, 3));        // falling use is normal
  EXPECT_FALSE(ImplausibleDailyUse(0, 1'000'000));  // nothing to compare with
  EXPECT_TRUE(ImplausibleDailyUse(0.5, 5.5));
}

TEST(ParseLocalTime, ReadsTheFormatsOperatorsWrite) {
  auto at = [](const std::string& text) {
    auto ms = ParseLocalTime(text);
    EXPECT_TRUE(ms.ok()) << text << ": " << ms.status().message();
    return ms.ok() ? FormatTime(*ms) : std::string();
  };
  EXPECT_EQ(at("2020-02-10 08:00"), "2020-02-10 08:00:00");
  EXPECT_EQ(at("2020-02-10 08:00:30"), "2020-02-10 08:00:30");
  EXPECT_EQ(at("2020-02-10T08:00"), "2020-02-10 08:00:00");
  EXPECT_EQ(at("2020-02-10"), "2020-02-10 00:00:00");
  EXPECT_EQ(at(" 2020-02-10 08:00\r"), "2020-02-10 08:00:00");  // a CSV cell's spaces and CR
  EXPECT_EQ(at("2020-02-29 23:59"), "2020-02-29 23:59:00");        // a leap day
  EXPECT_EQ(*ParseLocalTime("2020-02-10 08:01") - *ParseLocalTime("2020-02-10 08:00"), 60'000);
  EXPECT_EQ(*ParseLocalTime("2020-02-11") - *ParseLocalTime("2020-02-10"), 24 * 3600 * 1000);
}

TEST(ParseLocalTime, RefusesAnythingElseSayingHowToWriteIt) {
  const auto typo = ParseLocalTime("2020-02-3O 08:00");
  ASSERT_FALSE(typo.ok());
  EXPECT_EQ(typo.status().message(), "'2020-02-3O 08:00' is not a time; write it like 2020-02-10 08:00");
  for (const char* bad : {"", "2020-13-01 08:00", "2020-00-10 08:00", "2020-02-30 08:00", "2021-02-29",
                          "2020-02-10 24:00", "2020-02-10 08:60", "2020-02-10 08:00:60", "2020-02-10 08:00 pm",
                          "2020-02-10 08:00:00.5", "2020-2-10 08:00", "2020-02-10 8:00", "10/02/2020 08:00",
                          "2020/02/10", "2020-02-10  08:00", "2020-02-10_08:00", "+020-02-10", "today",
                          "1960-01-01 00:00"}) {
    const auto parsed = ParseLocalTime(bad);
    ASSERT_FALSE(parsed.ok()) << bad << " read as " << FormatTime(*parsed);
    EXPECT_NE(parsed.status().message().find("write it like 2020-02-10 08:00"), std::string::npos) << bad;
    EXPECT_NE(parsed.status().message().find(std::string("'") + bad + "'"), std::string::npos)
        << parsed.status().message();
  }
  // Echoed escaped: what an operator pasted never drives the terminal.
  EXPECT_EQ(ParseLocalTime("2020\x1b[2J").status().message().find('\x1b'), std::string::npos);
}

TEST(ParseDate, ReadsYearMonthDayAsCalendarDays) {
  EXPECT_EQ(*ParseDate("1970-01-01"), 0);
  EXPECT_EQ(*ParseDate("1970-01-02"), 1);
  EXPECT_EQ(*ParseDate("1969-12-31"), -1);
  EXPECT_EQ(*ParseDate("2000-03-01") - *ParseDate("2000-02-28"), 2);  // 2000 is a leap year
  EXPECT_EQ(*ParseDate("2100-03-01") - *ParseDate("2100-02-28"), 1);  // 2100 is not
  EXPECT_EQ(*ParseDate("2021-01-01") - *ParseDate("2020-01-01"), 366);
  EXPECT_EQ(*ParseDate("2020-02-29") - *ParseDate("2020-01-31"), 29);
  EXPECT_EQ(*ParseDate(" 2020-06-30\r"), *ParseDate("2020-06-30"));  // a CSV cell's spaces and CR
  // The same day as the local calendar's: what FormatTime prints of a time that day.
  EXPECT_EQ(*ParseDate(FormatTime(*ParseLocalTime("2020-06-30 23:30")).substr(0, 10)), *ParseDate("2020-06-30"));
}

TEST(ParseDate, RefusesWhatIsNotADateSayingHowToWriteIt) {
  EXPECT_EQ(ParseDate("2020-2-3").status().message(),
            "'2020-2-3' is not a date; write it like 2020-06-30 (year-month-day, with the zeros)");
  EXPECT_EQ(ParseDate("2020-02-30").status().message(),
            "'2020-02-30' is not a date on the calendar (February 2020 has 29 days); write it like 2020-06-30 "
            "(year-month-day, with the zeros)");
  EXPECT_NE(ParseDate("2021-02-29").status().message().find("(February 2021 has 28 days)"), std::string::npos);
  EXPECT_NE(ParseDate("2020-13-01").status().message().find("(there is no month 13)"), std::string::npos);
  EXPECT_NE(ParseDate("2020-00-10").status().message().find("(there is no month 0)"), std::string::npos);
  for (const char* bad : {"", "2020-04-31", "2020-06-00", "2020-06-30 08:00", "30/06/2020", "2020/06/30",
                          "20200630", "2020-06-3O", "+020-06-30", "2020-06-30x", "June 2020", "2020-06", "exp"}) {
    const auto parsed = ParseDate(bad);
    ASSERT_FALSE(parsed.ok()) << bad << " read as day " << *parsed;
    EXPECT_NE(parsed.status().message().find("write it like 2020-06-30"), std::string::npos) << bad;
    EXPECT_NE(parsed.status().message().find(std::string("'") + bad + "'"), std::string::npos)
        << parsed.status().message();
  }
  // Echoed escaped and cut: what an operator pasted never drives the terminal or fills the screen.
  EXPECT_EQ(ParseDate("2020\x1b[2J").status().message().find('\x1b'), std::string::npos);
  EXPECT_LT(ParseDate(std::string(5000, '9')).status().message().size(), 200u);
}

TEST(CheckExpiryDate, TakesARealDateOfThisCenturyOrNone) {
  EXPECT_TRUE(CheckExpiryDate("").ok());  // undated
  EXPECT_TRUE(CheckExpiryDate("2000-01-01").ok());
  EXPECT_TRUE(CheckExpiryDate("2100-12-31").ok());
  EXPECT_EQ(CheckExpiryDate("1999-12-31").message(),
            "expiry date 1999-12-31 is in the year 1999, which no box of PPE carries (they are dated 2000 to "
            "2100); check the year printed on the box");
  EXPECT_NE(CheckExpiryDate("2101-01-01").message().find("in the year 2101"), std::string::npos);
  EXPECT_NE(CheckExpiryDate("0202-06-30").message().find("in the year 202,"), std::string::npos);
  EXPECT_EQ(CheckExpiryDate("2020-02-30").message().rfind("expiry date '2020-02-30' is not a date on the calendar", 0),
            0u);
  // On the wire just the date: the node trims what the operator typed around it.
  EXPECT_NE(CheckExpiryDate(" 2020-06-30").message().find("spaces around it"), std::string::npos);
}

// The broker's rules for the new receipt fields, through the validator both sides use.
TEST(ReportValidator, RefusesABadLotOrExpiryOnTheWire) {
  const City city = SmallCity();
  const ReportValidator validator(city);
  const Identity node{"sanyuan", Role::kNode, "sanyuan"};
  wire::Report r = ReceiptReport("sanyuan-wh", 10);
  r.set_seq(7);
  r.mutable_receipt()->set_lot("L2003");
  r.mutable_receipt()->set_expires("2020-06-30");
  EXPECT_FALSE(validator.Check(node, r).refused()) << validator.Check(node, r).text;
  r.mutable_receipt()->set_expires("2020-02-30");
  Refusal refusal = validator.Check(node, r);
  EXPECT_EQ(refusal.code, wire::MALFORMED);
  EXPECT_NE(refusal.text.find("report 7: expiry date '2020-02-30' is not a date on the calendar"), std::string::npos)
      << refusal.text;
  r.mutable_receipt()->set_expires("1920-06-30");
  EXPECT_NE(validator.Check(node, r).text.find("in the year 1920"), std::string::npos);
  // Expired is no wire rule: a receipt recorded offline may arrive after its batch expired.
  r.mutable_receipt()->set_expires("2000-01-31");
  EXPECT_FALSE(validator.Check(node, r).refused());
  r.mutable_receipt()->set_lot("L1\nforged line");
  refusal = validator.Check(node, r);
  EXPECT_EQ(refusal.code, wire::MALFORMED);
  EXPECT_NE(refusal.text.find("receipt lot holds a control character"), std::string::npos) << refusal.text;
  r.mutable_receipt()->set_lot(std::string(201, 'L'));
  EXPECT_NE(validator.Check(node, r).text.find("lot longer than 200 characters"), std::string::npos);
}

TEST_F(EntryTest, AReceiptCarriesItsLotAndExpiryDate) {
  auto r = entry_.Receipt("sanyuan-wh", "mask.n95", "500", "donation", "Fujian Red Cross", "WB-7", " L2003 ",
                          " 2030-06-30 ");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->receipt().lot(), "L2003");  // trimmed as a reference is
  EXPECT_EQ(r->receipt().expires(), "2030-06-30");
  EXPECT_EQ(r->receipt().reference(), "WB-7");
  auto undated = entry_.Receipt("sanyuan-wh", "mask.n95", "500", "", "");
  ASSERT_TRUE(undated.ok());
  EXPECT_EQ(undated->receipt().lot(), "");
  EXPECT_EQ(undated->receipt().expires(), "");
  // The lot is free text: decoded from GBK, refused with a line break or over 200 characters.
  auto gbk = entry_.Receipt("sanyuan-wh", "mask.n95", "1", "", "", "", "\xc5\xfa\xba\xc5" "7");  // 批号7
  ASSERT_TRUE(gbk.ok()) << gbk.status().message();
  EXPECT_EQ(gbk->receipt().lot(), "批号7");
  EXPECT_NE(ErrorOf(entry_.Receipt("sanyuan-wh", "mask.n95", "1", "", "", "", "L1\nL2")).find("lot"),
            std::string::npos);
  EXPECT_NE(ErrorOf(entry_.Receipt("sanyuan-wh", "mask.n95", "1", "", "", "", std::string(201, 'L')))
                .find("201 characters"),
            std::string::npos);
  // The expiry date is a real one, of a year PPE is dated in.
  EXPECT_EQ(ErrorOf(entry_.Receipt("sanyuan-wh", "mask.n95", "1", "", "", "", "", "20-2-3")),
            "expiry date '20-2-3' is not a date; write it like 2020-06-30 (year-month-day, with the zeros)");
  // Year first, the zeros left out, is not in doubt: 2020-2-3 is 2020-02-03.
  EXPECT_EQ(entry_.Receipt("sanyuan-wh", "mask.n95", "1", "", "", "", "", "2020-2-3")->receipt().expires(), "2020-02-03");
  EXPECT_NE(ErrorOf(entry_.Receipt("sanyuan-wh", "mask.n95", "1", "", "", "", "", "2020-02-30"))
                .find("February 2020 has 29 days"),
            std::string::npos);
  EXPECT_NE(ErrorOf(entry_.Receipt("sanyuan-wh", "mask.n95", "1", "", "", "", "", "2020-13-01")).find("no month 13"),
            std::string::npos);
  EXPECT_NE(ErrorOf(entry_.Receipt("sanyuan-wh", "mask.n95", "1", "", "", "", "", "1999-12-31"))
                .find("check the year printed on the box"),
            std::string::npos);
  EXPECT_NE(ErrorOf(entry_.Receipt("sanyuan-wh", "mask.n95", "1", "", "", "", "", "soon")).find("'soon' is not a date"),
            std::string::npos);
}

TEST_F(EntryTest, ABatchPastItsExpiryDateNeedsConfirmation) {
  auto receipt = [&](const std::string& expires) {
    auto r = entry_.Receipt("sanyuan-wh", "mask.n95", "500", "", "", "", "L1", expires);
    EXPECT_TRUE(r.ok()) << r.status().message();
    return *r;
  };
  const std::string how = "repeat with --confirm";
  const int64_t feb_1 = *ParseLocalTime("2020-02-01 08:00");
  const Status expired = CheckExpired(receipt("2020-01-31"), false, how, feb_1);
  ASSERT_FALSE(expired.ok());
  EXPECT_EQ(expired.message(),
            "the batch expired on 2020-01-31; if that is right (expired stock is recorded but never shipped), "
            "repeat with --confirm");
  EXPECT_TRUE(CheckExpired(receipt("2020-01-31"), true, how, feb_1).ok());  // confirmed
  // It expires at the end of its day: on that day it is still good, local time.
  EXPECT_TRUE(CheckExpired(receipt("2020-02-01"), false, how, feb_1).ok());
  EXPECT_TRUE(CheckExpired(receipt("2020-01-31"), false, how, *ParseLocalTime("2020-01-31 23:59")).ok());
  EXPECT_FALSE(CheckExpired(receipt("2020-01-31"), false, how, *ParseLocalTime("2020-02-01 00:00")).ok());
  EXPECT_TRUE(CheckExpired(receipt(""), false, how, feb_1).ok());  // undated
  // Now, by default: long expired, and far off.
  EXPECT_FALSE(CheckExpired(receipt("2001-01-01"), false, how).ok());
  EXPECT_TRUE(CheckExpired(receipt("2099-12-31"), false, how).ok());
  auto stock = entry_.Stock("sanyuan-wh", "mask.n95", "10");
  ASSERT_TRUE(stock.ok());
  EXPECT_TRUE(CheckExpired(*stock, false, how).ok());
}

TEST_F(EntryTest, AsOfDatesTheCountAndATimeToComeIsRefused) {
  const int64_t yesterday = *ParseLocalTime(FormatTime(NowMs() - 24 * 3600 * 1000).substr(0, 16));
  const std::string yesterday_text = FormatTime(yesterday).substr(0, 16);
  auto stock = entry_.Stock("sanyuan-wh", "mask.n95", "10", yesterday_text);
  ASSERT_TRUE(stock.ok()) << stock.status().message();
  EXPECT_EQ(stock->stock().as_of_ms(), yesterday);
  auto demand = entry_.Demand("sy-rail", "mask.n95", "10", "5", yesterday_text);
  ASSERT_TRUE(demand.ok()) << demand.status().message();
  EXPECT_EQ(demand->demand().as_of_ms(), yesterday);
  EXPECT_EQ(entry_.Stock("sanyuan-wh", "mask.n95", "10")->stock().as_of_ms(), 0);  // now: none given
  // Typed with a Chinese input method's full-width digits, the same time; an expiry date too.
  EXPECT_EQ(entry_.Stock("sanyuan-wh", "mask.n95", "10", "２０２０－０２－１０\u3000１４：００")->stock().as_of_ms(),
            *ParseLocalTime("2020-02-10 14:00"));
  EXPECT_EQ(entry_.Receipt("sanyuan-wh", "mask.n95", "10", "production", "", "", "", "２０３０－０６－３０")
                ->receipt().expires(),
            "2030-06-30");
  // As a Chinese spreadsheet writes a date cell, or an operator a date: year first, read as ISO.
  EXPECT_EQ(entry_.Stock("sanyuan-wh", "mask.n95", "10", "2020/2/10 14:00")->stock().as_of_ms(),
            *ParseLocalTime("2020-02-10 14:00"));
  for (const char* date : {"2030/6/30", "2030.6.30", "2030年6月30日", "2030-6-30"}) {
    auto dated = entry_.Receipt("sanyuan-wh", "mask.n95", "10", "production", "", "", "", date);
    ASSERT_TRUE(dated.ok()) << date << ": " << dated.status().message();
    EXPECT_EQ(dated->receipt().expires(), "2030-06-30") << date;
  }
  for (const char* not_year_first : {"30/6/2030", "6/30/2030", "2030/13/1", "2030/2/30"}) {
    EXPECT_FALSE(entry_.Receipt("sanyuan-wh", "mask.n95", "10", "production", "", "", "", not_year_first).ok())
        << not_year_first;
  }
  // A watch a little ahead of the node's clock is forgiven; an hour ahead is a typo.
  EXPECT_TRUE(entry_.Stock("sanyuan-wh", "mask.n95", "10", FormatTime(NowMs() + 20'000)).ok());
  const std::string later = ErrorOf(entry_.Stock("sanyuan-wh", "mask.n95", "10", FormatTime(NowMs() + 3600'000)));
  EXPECT_NE(later.find("is in the future; a count can only be recorded for a time that has passed"),
            std::string::npos) << later;
  EXPECT_NE(later.find("this node's clock says"), std::string::npos) << later;
  EXPECT_NE(ErrorOf(entry_.Demand("sy-rail", "mask.n95", "1", "1", FormatTime(NowMs() + 120'000))).find("in the future"),
            std::string::npos);
  EXPECT_EQ(ErrorOf(entry_.Stock("sanyuan-wh", "mask.n95", "10", "2020-02-3O 08:00")),
            "as-of '2020-02-3O 08:00' is not a time; write it like 2020-02-10 08:00");
}

TEST_F(EntryTest, ACountBeforeTheLastOfItsPlaceAndItemIsRefusedAnEqualOneIsNot) {
  const int64_t taken = *ParseLocalTime("2020-02-10 08:00");
  const LastFigure last{500, taken, std::nullopt};
  auto dated = [&](const std::string& as_of) {
    auto r = entry_.Stock("sanyuan-wh", "mask.n95", "480", as_of);
    EXPECT_TRUE(r.ok()) << r.status().message();
    return *r;
  };
  const Status before = CheckCountOrder(dated("2020-02-10 07:59"), last);
  ASSERT_FALSE(before.ok());
  EXPECT_EQ(before.message(),
            "a count taken 2020-02-10 07:59:00 is before the last count of sanyuan-wh mask.n95 (taken "
            "2020-02-10 08:00:00); counts must be entered oldest first");
  EXPECT_TRUE(CheckCountOrder(dated("2020-02-10 08:00"), last).ok());
  EXPECT_TRUE(CheckCountOrder(dated("2020-02-10 08:01"), last).ok());
  EXPECT_TRUE(CheckCountOrder(dated(""), last).ok());  // taken now
  EXPECT_TRUE(CheckCountOrder(dated("2020-02-10 07:59"), std::nullopt).ok());
  // The same for a site's demand; a confirmation has no say in it.
  auto demand = entry_.Demand("sy-rail", "mask.n95", "10", "5", "2020-02-09");
  ASSERT_TRUE(demand.ok());
  EXPECT_NE(CheckCountOrder(*demand, last).message().find("last count of sy-rail mask.n95"), std::string::npos);
}

TEST_F(EntryTest, ADailyUseOverTenTimesTheLastNeedsConfirmation) {
  const LastFigure last{800, 0, 300.0};
  auto demand = [&](const std::string& on_hand, const std::string& use) {
    auto r = entry_.Demand("sy-rail", "mask.n95", on_hand, use);
    EXPECT_TRUE(r.ok()) << r.status().message();
    return *r;
  };
  const std::string how = "repeat the command with --confirm";
  EXPECT_TRUE(CheckPlausible(demand("800", "3000"), last, false, how).ok());
  const Status over = CheckPlausible(demand("800", "300000"), last, false, how);
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.message(),
            "daily use 300000 for sy-rail mask.n95 is over 10 times the last one recorded (300); check it, "
            "and if it is right, repeat the command with --confirm");
  EXPECT_NE(CheckPlausible(demand("800", "3000.5"), last, false, how).message().find("daily use 3000.5"),
            std::string::npos);
  EXPECT_TRUE(CheckPlausible(demand("800", "300000"), last, true, how).ok());
  // Both slips at once are named together, as one confirmation accepts both.
  const Status both = CheckPlausible(demand("800000", "300000"), last, false, how);
  EXPECT_NE(both.message().find("800000 for sy-rail mask.n95 is over 100 times the last figure recorded (800), "
                                "and daily use 300000"),
            std::string::npos) << both.message();
  // No daily use to compare with: a stock count's, an old store's, or 0.
  EXPECT_TRUE(CheckPlausible(demand("800", "300000"), LastFigure{800, 0, std::nullopt}, false, how).ok());
  EXPECT_TRUE(CheckPlausible(demand("800", "300000"), LastFigure{800, 0, 0.0}, false, how).ok());
  // The count guard, as before.
  auto stock = entry_.Stock("sanyuan-wh", "mask.n95", "500000");
  ASSERT_TRUE(stock.ok());
  EXPECT_EQ(CheckPlausible(*stock, LastFigure{500, 0, std::nullopt}, false, how).message(),
            "500000 for sanyuan-wh mask.n95 is over 100 times the last figure recorded (500); check it, and if "
            "it is right, repeat the command with --confirm");
  EXPECT_TRUE(CheckPlausible(*stock, std::nullopt, false, how).ok());
}

TEST(HalfWidth, AnInputMethodsFullWidthFormsBecomeAsciiAndNothingElseChanges) {
  EXPECT_EQ(HalfWidth("１２０"), "120");
  EXPECT_EQ(HalfWidth("５，０００．５"), "5,000.5");
  EXPECT_EQ(HalfWidth("\u3000２０２０－０２－１０ １４：００\u3000"), " 2020-02-10 14:00 ");
  EXPECT_EQ(HalfWidth("福建省红十字会 No.3"), "福建省红十字会 No.3");
  EXPECT_EQ(HalfWidth("ｦ"), "ｦ");            // U+FF66, half-width katakana: not a full-width form
  EXPECT_EQ(HalfWidth("\xef\xbc"), "\xef\xbc");  // cut short: left as it is
}

TEST(ParseQuantity, AcceptsWholeNonNegativeNumbers) {
  EXPECT_EQ(*ParseQuantity("q", "0"), 0);
  EXPECT_EQ(*ParseQuantity("q", "\t5000\r"), 5000);
  // A spreadsheet's thousands separators, as a quoted cell keeps them.
  EXPECT_EQ(*ParseQuantity("q", "5,000"), 5000);
  EXPECT_EQ(*ParseQuantity("q", "12,000,000"), 12000000);
  // A Chinese input method's full-width digits, comma and space are the same figure.
  EXPECT_EQ(*ParseQuantity("q", "１２０"), 120);
  EXPECT_EQ(*ParseQuantity("q", "５，０００\u3000"), 5000);
  for (const char* bad_text : {"5,00", ",500", "5,0000", "1,000,00", "0x10", "+5", "1e3", "5.0", "５０ａ", "５，００"}) {
    const auto bad = ParseQuantity("on-hand", bad_text);
    ASSERT_FALSE(bad.ok()) << bad_text;
    EXPECT_NE(bad.status().message().find("on-hand"), std::string::npos);
  }
  EXPECT_NE(ParseQuantity("q", "-5").status().message().find("negative"), std::string::npos);
  // A control character in the figure is echoed escaped, never raw to the terminal.
  EXPECT_EQ(ParseQuantity("q", "5\x1b[2J").status().message().find('\x1b'), std::string::npos);
}

TEST_F(EntryTest, DailyUseIsAPlainDecimal) {
  EXPECT_DOUBLE_EQ(entry_.Demand("sm-first-hospital", "mask.n95", "0", "12.5")->demand().daily_use(), 12.5);
  // Written as a quantity may be: thousands separators, full-width digits.
  EXPECT_DOUBLE_EQ(entry_.Demand("sm-first-hospital", "mask.n95", "0", "1,200")->demand().daily_use(), 1200);
  EXPECT_DOUBLE_EQ(entry_.Demand("sm-first-hospital", "mask.n95", "0", "1,200.5")->demand().daily_use(), 1200.5);
  EXPECT_DOUBLE_EQ(entry_.Demand("sm-first-hospital", "mask.n95", "0", "１２．５")->demand().daily_use(), 12.5);
  for (const char* bad : {"0x10", "1e3", "inf", "nan", "12,00", "1,2000", "12.", ".5", "-", "1.2,5"}) {
    EXPECT_NE(ErrorOf(entry_.Demand("sm-first-hospital", "mask.n95", "0", bad)).find("daily use"), std::string::npos)
        << bad;
  }
  EXPECT_NE(ErrorOf(entry_.Demand("sm-first-hospital", "mask.n95", "0", "-3")).find("negative"), std::string::npos);
}

TEST_F(EntryTest, TextIsDecodedToUtf8OrRefusedNeverPassedThrough) {
  // "福建省红十字会" as Excel on Chinese Windows saves it (GBK).
  const std::string gbk = "\xb8\xa3\xbd\xa8\xca\xa1\xba\xec\xca\xae\xd7\xd6\xbb\xe1";
  auto receipt = entry_.Receipt("sanyuan-wh", "mask.n95", "10", "donation", gbk);
  ASSERT_TRUE(receipt.ok()) << receipt.status().message();
  EXPECT_EQ(receipt->receipt().from(), "福建省红十字会");
  std::string bytes;
  ASSERT_TRUE(receipt->SerializeToString(&bytes));
  wire::Report back;
  EXPECT_TRUE(back.ParseFromString(bytes));
  // Bytes that are neither UTF-8 nor GB18030 are refused, naming the field.
  EXPECT_NE(ErrorOf(entry_.Receipt("sanyuan-wh", "mask.n95", "10", "donation", "\xff\xff\xff")).find("'from'"),
            std::string::npos);
  // A line break or an escape code in a name would forge lines in logs and tables.
  EXPECT_NE(ErrorOf(entry_.Receipt("sanyuan-wh", "mask.n95", "10", "donation", "Red\nCross")).find("line break"),
            std::string::npos);
  EXPECT_NE(ErrorOf(entry_.Receipt("sanyuan-wh", "mask.n95", "10", "donation", "A\x1b[31mB")).find("control"),
            std::string::npos);
  // The limit counts characters: 200 Chinese characters (600 bytes) pass, 201 do not.
  std::string name;
  for (int i = 0; i < 200; ++i) name += "红";
  EXPECT_TRUE(entry_.Receipt("sanyuan-wh", "mask.n95", "10", "donation", name).ok());
  EXPECT_NE(ErrorOf(entry_.Receipt("sanyuan-wh", "mask.n95", "10", "donation", name + "红")).find("201 characters"),
            std::string::npos);
}

TEST_F(EntryTest, AnUnknownSiteSaysTheCityFileMayBeOutOfDate) {
  EXPECT_NE(ErrorOf(entry_.Demand("sy-new-fever-clinic", "mask.n95", "0", "10")).find("city file is out of date"),
            std::string::npos);
}

// =============================== CSV import ===============================

class CsvTest : public EntryTest {
 protected:
  CsvImportResult Import(const std::string& text, bool confirm_all = false) {
    WriteText(dir_.File("in.csv"), text);
    return ImportCsv(dir_.File("in.csv"), entry_, Lookup(), confirm_all);
  }
  // What the node's store holds: store_last_.
  LastFigureLookup Lookup() {
    return [this](const std::string& place, const std::string& item) -> std::optional<LastFigure> {
      auto it = store_last_.find({place, item});
      if (it == store_last_.end()) return std::nullopt;
      return it->second;
    };
  }
  // Every error must be present, in some message; and nothing may be imported.
  void ExpectErrors(const std::string& text, std::initializer_list<std::string> fragments, bool confirm_all = false) {
    const CsvImportResult result = Import(text, confirm_all);
    EXPECT_FALSE(result.errors.empty());
    EXPECT_TRUE(result.reports.empty()) << result.reports.size() << " reports despite errors";
    std::string all;
    for (const std::string& e : result.errors) all += e + "\n";
    for (const std::string& f : fragments) {
      EXPECT_NE(all.find(f), std::string::npos) << "errors lack '" << f << "':\n" << all;
    }
  }

  TempDir dir_;
  std::map<std::pair<std::string, std::string>, LastFigure> store_last_;
};

const std::string kHeader = "type,place,item,quantity,daily_use,source,from\n";

TEST_F(CsvTest, ImportsTheSpecExample) {
  const CsvImportResult result = Import(kHeader +
                                        "stock,sanyuan-wh,mask.n95,12000,,,\n"
                                        "receipt,sanyuan-wh,mask.n95,5000,,donation,Fujian Red Cross\n"
                                        "demand,sm-first-hospital,mask.n95,800,1200,,\n");
  ASSERT_TRUE(result.errors.empty()) << result.errors[0];
  ASSERT_EQ(result.reports.size(), 3u);
  EXPECT_EQ(result.reports[0].stock().quantity(), 12000);
  EXPECT_EQ(result.reports[1].receipt().source(), wire::DONATION);
  EXPECT_EQ(result.reports[1].receipt().from(), "Fujian Red Cross");
  EXPECT_EQ(result.reports[1].receipt().quantity(), 5000);
  EXPECT_EQ(result.reports[2].demand().site(), "sm-first-hospital");
  EXPECT_EQ(result.reports[2].demand().on_hand(), 800);
  EXPECT_EQ(result.reports[2].demand().daily_use(), 1200);
}

TEST_F(CsvTest, HeaderColumnsMayComeInAnyOrderWithABomAndCrlf) {
  const CsvImportResult result = Import(
      "\xEF\xBB\xBFitem,quantity,place,type\r\nmask.n95,70,sanyuan-wh,stock\r\n\r\n"
      "sanitizer,3,sanyuan-wh,receipt\r\n");
  ASSERT_TRUE(result.errors.empty()) << result.errors[0];
  ASSERT_EQ(result.reports.size(), 2u);
  EXPECT_EQ(result.reports[0].stock().quantity(), 70);
  EXPECT_EQ(result.reports[1].receipt().item(), "sanitizer");
  EXPECT_EQ(result.reports[1].receipt().source(), wire::PRODUCTION);
  // A header typed by hand with capitals names the same columns.
  const CsvImportResult capitals = Import("Type,Place,ITEM,Quantity\r\nstock,sanyuan-wh,mask.n95,71\r\n");
  ASSERT_TRUE(capitals.errors.empty()) << capitals.errors[0];
  EXPECT_EQ(capitals.reports[0].stock().quantity(), 71);
}

TEST_F(CsvTest, QuotedFieldsKeepCommasAndDoubledQuotes) {
  const CsvImportResult result = Import(
      kHeader + "receipt,sanyuan-wh,mask.n95,100,,donation,\"Red Cross, Fujian \"\"Branch\"\"\"\n");
  ASSERT_TRUE(result.errors.empty()) << result.errors[0];
  ASSERT_EQ(result.reports.size(), 1u);
  EXPECT_EQ(result.reports[0].receipt().from(), "Red Cross, Fujian \"Branch\"");
  auto records = ParseCsv("a,\"b,c\",,\"\"\r\nx,\"two\nlines\",y\n");
  ASSERT_TRUE(records.ok());
  ASSERT_EQ(records->size(), 2u);
  EXPECT_EQ((*records)[0].fields, (std::vector<std::string>{"a", "b,c", "", ""}));
  EXPECT_EQ((*records)[1].fields, (std::vector<std::string>{"x", "two\nlines", "y"}));
  EXPECT_EQ((*records)[1].line, 2u);
}

TEST_F(CsvTest, AnUnquotedThousandsCommaIsARowTooWideNotAOne) {
  ExpectErrors(kHeader + "stock,sanyuan-wh,mask.n95,12000,,,\nreceipt,sanyuan-wh,mask.n95,1,000,,production,\n",
               {"line 3:", "8 fields", "header has 7", "\"1,000\""});
  ExpectErrors(kHeader + "stock,sanyuan-wh,mask.n95\n", {"line 2:", "3 fields"});
  // Too few is said as too few: the page's words are not the thousands comma's.
  const CsvImportResult short_row = Import(kHeader + "stock,sanyuan-wh,mask.n95\n");
  ASSERT_EQ(short_row.problems.size(), 1u);
  EXPECT_EQ(short_row.problems[0].problem, EntryProblem::kCsvFieldsMissing);
  // Quoted, as Excel writes a formatted number, it is a thousand.
  const CsvImportResult quoted = Import(kHeader + "stock,sanyuan-wh,mask.n95,\"1,000\",,,\n");
  ASSERT_TRUE(quoted.errors.empty()) << quoted.errors[0];
  EXPECT_EQ(quoted.reports[0].stock().quantity(), 1000);
}

TEST_F(CsvTest, AGbkFileIsConvertedAndUtf16IsReadOrNamed) {
  // Excel on Chinese Windows: GBK, CRLF, a Chinese donor.
  const CsvImportResult gbk = Import(
      kHeader + "receipt,sanyuan-wh,mask.n95,5000,,donation,\xb8\xa3\xbd\xa8\xba\xec\xca\xae\xd7\xd6\xbb\xe1\r\n");
  ASSERT_TRUE(gbk.errors.empty()) << gbk.errors[0];
  EXPECT_EQ(gbk.encoding, "GBK/GB18030");
  EXPECT_EQ(gbk.reports[0].receipt().from(), "福建红十字会");
  // "Unicode text": UTF-16LE with a byte-order mark.
  std::string utf16 = "\xff\xfe";
  for (char c : kHeader + "stock,sanyuan-wh,mask.n95,7,,,\n") utf16 += std::string{c, '\0'};
  const CsvImportResult wide = Import(utf16);
  ASSERT_TRUE(wide.errors.empty()) << wide.errors[0];
  EXPECT_EQ(wide.reports[0].stock().quantity(), 7);
  // UTF-16 without its mark is named, not taken for a header without 'type'.
  ExpectErrors(utf16.substr(2), {"UTF-16", "CSV UTF-8"});
  // Bytes no encoding explains are refused naming the file and how to save it.
  ExpectErrors(kHeader + "stock,sanyuan-wh,mask.n95,7,,,\xff\xfe\xfd\n", {"in.csv", "neither UTF-8 nor GBK"});
}

TEST_F(CsvTest, AMultiLineCellIsNamedAndAnOpenQuoteToo) {
  ExpectErrors(kHeader + "receipt,sanyuan-wh,mask.n95,5,,donation,\"Red\nCross\"\nstock,sanyuan-wh,mask.n95,1,,,\n",
               {"line 2:", "line break"});
  ExpectErrors(kHeader + "receipt,sanyuan-wh,mask.n95,5,,donation,\"Red Cross\nstock,sanyuan-wh,mask.n95,1,,,\n",
               {"line 2:", "never closed"});
}

TEST_F(CsvTest, ABadRowAnywhereImportsNothingAndNamesEveryBadLine) {
  ExpectErrors(kHeader +
                   "stock,sanyuan-wh,mask.n95,12000,,,\n"
                   "stock,sanyuan-wh,mask.kn95,1,,,\n"
                   "\n"
                   "demand,sm-first-hospital,mask.n95,-5,10,,\n"
                   "delivery,sanyuan-wh,mask.n95,1,,,\n"
                   "stock,sanyuan-wh,mask.n95,13000,,,\n",
               {"line 3:", "mask.kn95", "line 5:", "negative", "line 6:", "delivery"});
}

TEST_F(CsvTest, DonationWithoutDonorIsRefused) {
  ExpectErrors(kHeader + "receipt,sanyuan-wh,mask.n95,5000,,donation,\n", {"line 2:", "donor"});
}

TEST_F(CsvTest, MissingHeaderColumnIsNamed) {
  ExpectErrors("type,place,quantity\nstock,sanyuan-wh,1\n", {"line 1", "'item'"});
  ExpectErrors("", {"header"});
  const CsvImportResult missing = ImportCsv(dir_.File("absent.csv"), entry_, Lookup(), false);
  ASSERT_EQ(missing.errors.size(), 1u);
  EXPECT_NE(missing.errors[0].find("absent.csv"), std::string::npos);
}

TEST_F(CsvTest, DemandDailyUseDefaultsWhenTheColumnIsEmptyOrAbsent) {
  const CsvImportResult result = Import("type,place,item,quantity\ndemand,sy-rail,mask.n95,5\n");
  ASSERT_TRUE(result.errors.empty()) << result.errors[0];
  ASSERT_EQ(result.reports.size(), 1u);
  EXPECT_DOUBLE_EQ(result.reports[0].demand().daily_use(),
                   city_.FindSite("sy-rail")->headcount * city_.FindItem("mask.n95")->per_head_daily);
}

TEST_F(CsvTest, TheHeaderErrorNamesTheOptionalColumns) {
  ExpectErrors("type,place,quantity\nstock,sanyuan-wh,1\n", {"optional: reference, as_of, confirm"});
}

TEST_F(CsvTest, EachRowIsCheckedAgainstTheLastFigureNamingItsLine) {
  store_last_[{"sanyuan-wh", "mask.n95"}] = LastFigure{500, 0, std::nullopt};
  // Against the store's last figure.
  ExpectErrors(kHeader + "receipt,sanyuan-wh,mask.n95,5,,production,\nstock,sanyuan-wh,mask.n95,500000,,,\n",
               {"line 3: 500000 for sanyuan-wh mask.n95 is over 100 times the last figure recorded (500); "
                "check it, and if it is right, import again with --confirm"});
  // Against the file's own earlier row, which comes before the store's.
  ExpectErrors(kHeader + "demand,sy-rail,mask.n95,80,300,,\nstock,sanyuan-wh,mask.n95,499,,,\n"
                         "demand,sy-rail,mask.n95,80,300000,,\n",
               {"line 4: daily use 300000 for sy-rail mask.n95 is over 10 times the last one recorded (300)",
                "confirm column"});
  ExpectErrors(kHeader + "stock,sanyuan-wh,mask.n95,5,,,\nstock,sanyuan-wh,mask.n95,5000,,,\n",
               {"line 3: 5000 for sanyuan-wh mask.n95 is over 100 times the last figure recorded (5)"});
  // Exactly 100x and exactly 10x pass, each against the row before it in the file (4000000 is
  // over 100x the store's 500, not the 50000 above it).
  const CsvImportResult ok = Import(kHeader +
                                    "stock,sanyuan-wh,mask.n95,50000,,,\nstock,sanyuan-wh,mask.n95,4000000,,,\n"
                                    "demand,sy-rail,mask.n95,80,300,,\ndemand,sy-rail,mask.n95,80,3000,,\n");
  ASSERT_TRUE(ok.errors.empty()) << ok.errors[0];
  EXPECT_EQ(ok.reports.size(), 4u);
  for (const auto& r : ok.reports) EXPECT_FALSE(r.confirmed());
}

TEST_F(CsvTest, AsOfDatesARowAndRowsGoInOldestFirst) {
  const CsvImportResult dated = Import("type,place,item,quantity,daily_use,as_of\n"
                                       "stock,sanyuan-wh,mask.n95,500,,2020-02-10 08:00\n"
                                       "stock,sanyuan-wh,mask.n95,510,,2020-02-10 08:00\n"
                                       "demand,sy-rail,mask.n95,80,300,2020-02-09\n"
                                       "stock,sanyuan-wh,mask.n95,520,,\n");
  ASSERT_TRUE(dated.errors.empty()) << dated.errors[0];
  ASSERT_EQ(dated.reports.size(), 4u);
  EXPECT_EQ(dated.reports[0].stock().as_of_ms(), *ParseLocalTime("2020-02-10 08:00"));
  EXPECT_EQ(dated.reports[2].demand().as_of_ms(), *ParseLocalTime("2020-02-09 00:00"));
  EXPECT_EQ(dated.reports[3].stock().as_of_ms(), 0);  // empty: now
  // Date cells as Excel and WPS in China write them: 2020/2/10 8:00, 2030/6/30.
  const CsvImportResult excel = Import("type,place,item,quantity,daily_use,source,from,expires,as_of\r\n"
                                       "stock,sanyuan-wh,mask.surgical,500,,,,,2020/2/10 8:00\r\n"
                                       "receipt,sanyuan-wh,mask.n95,100,,production,,2030/6/30,\r\n");
  ASSERT_TRUE(excel.errors.empty()) << excel.errors[0];
  EXPECT_EQ(excel.reports[0].stock().as_of_ms(), *ParseLocalTime("2020-02-10 08:00"));
  EXPECT_EQ(excel.reports[1].receipt().expires(), "2030-06-30");
  // Out of order within the file, and against the store's last count.
  ExpectErrors("type,place,item,quantity,as_of\n"
               "stock,sanyuan-wh,mask.n95,500,2020-02-10 08:00\n"
               "stock,sanyuan-wh,mask.n95,510,2020-02-10 07:00\n"
               "stock,sanyuan-wh,mask.n95,520,2020-02-10 07:30\n",
               {"line 3: a count taken 2020-02-10 07:00:00 is before the last count of sanyuan-wh mask.n95 "
                "(taken 2020-02-10 08:00:00); counts must be entered oldest first",
                "line 4: a count taken 2020-02-10 07:30:00 is before"});
  store_last_[{"sy-rail", "mask.n95"}] = LastFigure{80, *ParseLocalTime("2020-02-10 12:00"), 300.0};
  ExpectErrors("type,place,item,quantity,daily_use,as_of\ndemand,sy-rail,mask.n95,80,300,2020-02-10 11:00\n",
               {"line 2: a count taken 2020-02-10 11:00:00 is before the last count of sy-rail mask.n95"});
  // A row without as_of is taken now: a dated row after it is older.
  ExpectErrors("type,place,item,quantity,as_of\nstock,sanyuan-wh,sanitizer,5,\n"
               "stock,sanyuan-wh,sanitizer,5,2020-02-10 08:00\n",
               {"line 3: a count taken 2020-02-10 08:00:00 is before the last count of sanyuan-wh sanitizer"});
  // --confirm has no say in the order.
  ExpectErrors("type,place,item,quantity,as_of\nstock,sanyuan-wh,sanitizer,5,2020-02-10 08:00\n"
               "stock,sanyuan-wh,sanitizer,5,2020-02-09 08:00\n",
               {"line 3:", "oldest first"}, true);
  ExpectErrors("type,place,item,quantity,as_of\nstock,sanyuan-wh,sanitizer,5," + FormatTime(NowMs() + 3600'000) +
                   "\nstock,sanyuan-wh,sanitizer,5,10/02/2020\n",
               {"line 2: as-of", "is in the future", "line 3: as-of '10/02/2020' is not a time"});
  ExpectErrors("type,place,item,quantity,source,as_of\nreceipt,sanyuan-wh,sanitizer,5,production,2020-02-10\n",
               {"line 2: as_of is for stock and demand rows"});
}

TEST_F(CsvTest, ConfirmAllOrAConfirmColumnAcceptsFlaggedRows) {
  store_last_[{"sanyuan-wh", "mask.n95"}] = LastFigure{500, 0, std::nullopt};
  store_last_[{"sy-rail", "mask.n95"}] = LastFigure{80, 0, 300.0};
  const std::string rows = "stock,sanyuan-wh,mask.n95,500000,,,\n"
                           "stock,sanyuan-wh,sanitizer,10,,,\n"
                           "demand,sy-rail,mask.n95,80,300000,,\n";
  ExpectErrors(kHeader + rows, {"line 2: 500000", "line 4: daily use 300000"});
  // --confirm: every flagged row, and only those, is confirmed.
  const CsvImportResult all = Import(kHeader + rows, true);
  ASSERT_TRUE(all.errors.empty()) << all.errors[0];
  ASSERT_EQ(all.reports.size(), 3u);
  EXPECT_TRUE(all.reports[0].confirmed());
  EXPECT_FALSE(all.reports[1].confirmed());
  EXPECT_TRUE(all.reports[2].confirmed());
  // The confirm column: one row at a time, in the spellings spreadsheets give.
  const std::string header = "type,place,item,quantity,daily_use,confirm\n";
  ExpectErrors(header + "stock,sanyuan-wh,mask.n95,500000,,Yes\ndemand,sy-rail,mask.n95,80,300000,\n",
               {"line 3: daily use 300000"});
  for (const char* yes : {"yes", "Y", "1", "TRUE", " true "}) {
    const CsvImportResult one = Import(header + "stock,sanyuan-wh,mask.n95,500000,," + yes +
                                       "\ndemand,sy-rail,mask.n95,80,300000," + yes + "\n");
    ASSERT_TRUE(one.errors.empty()) << yes << ": " << one.errors[0];
    EXPECT_TRUE(one.reports[0].confirmed()) << yes;
    EXPECT_TRUE(one.reports[1].confirmed()) << yes;
  }
  const CsvImportResult no = Import(header + "stock,sanyuan-wh,mask.n95,600,,no\n");
  ASSERT_TRUE(no.errors.empty()) << no.errors[0];
  EXPECT_FALSE(no.reports[0].confirmed());
  ExpectErrors(header + "stock,sanyuan-wh,mask.n95,600,,maybe\n",
               {"line 2: confirm 'maybe' is neither yes nor no"});
  // A confirmed row is the previous figure for the rows after it.
  const CsvImportResult chain = Import(header + "stock,sanyuan-wh,mask.n95,500000,,yes\n"
                                                "stock,sanyuan-wh,mask.n95,600000,,\n");
  ASSERT_TRUE(chain.errors.empty()) << chain.errors[0];
  EXPECT_FALSE(chain.reports[1].confirmed());
}

TEST_F(CsvTest, LotAndExpiresColumnsTraceAReceiptAndAnExpiredBatchNeedsConfirmation) {
  const std::string header = "type,place,item,quantity,source,from,reference,lot,expires,confirm\n";
  const CsvImportResult traced = Import(header +
                                        "receipt,sanyuan-wh,mask.n95,500,donation,Fujian Red Cross,WB-7, L2003 ,"
                                        "2099-06-30 ,\n"
                                        "receipt,sanyuan-wh,mask.n95,200,production,,,,,\n"
                                        "stock,sanyuan-wh,mask.n95,700,,,,,,\n");
  ASSERT_TRUE(traced.errors.empty()) << traced.errors[0];
  ASSERT_EQ(traced.reports.size(), 3u);
  EXPECT_EQ(traced.reports[0].receipt().lot(), "L2003");
  EXPECT_EQ(traced.reports[0].receipt().expires(), "2099-06-30");
  EXPECT_EQ(traced.reports[0].receipt().reference(), "WB-7");
  EXPECT_FALSE(traced.reports[0].confirmed());
  EXPECT_EQ(traced.reports[1].receipt().lot(), "");  // undated, no lot
  EXPECT_EQ(traced.reports[1].receipt().expires(), "");
  // A batch already past its date: refused naming its line, unless its row or the import confirms.
  const std::string expired = "receipt,sanyuan-wh,mask.n95,500,donation,Fujian Red Cross,,L1999,2020-01-31,";
  ExpectErrors(header + expired + "\n",
               {"line 2: the batch expired on 2020-01-31; if that is right (expired stock is recorded but never "
                "shipped), import again with --confirm (it confirms every flagged row), or write yes in this "
                "row's confirm column"});
  const CsvImportResult row = Import(header + expired + "yes\n");
  ASSERT_TRUE(row.errors.empty()) << row.errors[0];
  EXPECT_TRUE(row.reports[0].confirmed());
  EXPECT_EQ(row.reports[0].receipt().expires(), "2020-01-31");
  const CsvImportResult all =
      Import(header + expired + "\nreceipt,sanyuan-wh,mask.n95,5,production,,,L2,2099-01-01,\n", true);
  ASSERT_TRUE(all.errors.empty()) << all.errors[0];
  EXPECT_TRUE(all.reports[0].confirmed());
  EXPECT_FALSE(all.reports[1].confirmed());  // only the flagged row
  // Dates that do not exist, or cannot be PPE's, are refused whatever the confirmation.
  ExpectErrors(header + "receipt,sanyuan-wh,mask.n95,5,production,,,L1,2020-02-30,yes\n"
                        "receipt,sanyuan-wh,mask.n95,5,production,,,L1,1999-12-31,yes\n"
                        "receipt,sanyuan-wh,mask.n95,5,production,,,L1,31.12.2020,\n",
               {"line 2: expiry date '2020-02-30' is not a date on the calendar (February 2020 has 29 days)",
                "line 3: expiry date 1999-12-31 is in the year 1999", "line 4: expiry date '31.12.2020' is not a date"},
               true);
  // A lot or expiry in a count is refused, not dropped.
  ExpectErrors(header + "stock,sanyuan-wh,mask.n95,700,,,,L1,,\n" + "demand,sy-rail,mask.n95,7,,,,,2099-01-01,\n",
               {"line 2: lot and expires are for receipt rows", "line 3: lot and expires are for receipt rows"});
}

}  // namespace
}  // namespace ppe::test
