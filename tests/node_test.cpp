// Unit tests of the node side: the node store (outbox, acks, refusals), CSV import, report entry.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/city.h"
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

TEST_F(NodeStoreTest, LastQuantityIsTheLatestCountOrDemandAndIgnoresReceipts) {
  EXPECT_FALSE(store_->LastQuantity("sanyuan-wh", "mask.n95").ok());
  Append({StockReport("sanyuan-wh", 100), StockReport("sanyuan-wh", 120),
          ReceiptReport("sanyuan-wh", 9000), StockReport("sanyuan-wh", 7, "sanitizer"),
          DemandReport("sy-rail", 40, 10)});
  auto stock = store_->LastQuantity("sanyuan-wh", "mask.n95");
  ASSERT_TRUE(stock.ok());
  EXPECT_EQ(*stock, 120);
  EXPECT_EQ(*store_->LastQuantity("sanyuan-wh", "sanitizer"), 7);
  EXPECT_EQ(*store_->LastQuantity("sy-rail", "mask.n95"), 40);
  EXPECT_FALSE(store_->LastQuantity("sy-rail", "sanitizer").ok());
}

TEST(Summarize, SaysWhatEachReportIs) {
  EXPECT_EQ(Summarize(StockReport("sanyuan-wh", 12000)), "stock sanyuan-wh mask.n95 12000");
  EXPECT_EQ(Summarize(ReceiptReport("sanyuan-wh", 5000)),
            "receipt sanyuan-wh mask.n95 5000 (donation from Fujian Red Cross)");
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

TEST(ParseQuantity, AcceptsWholeNonNegativeNumbers) {
  EXPECT_EQ(*ParseQuantity("q", "0"), 0);
  EXPECT_EQ(*ParseQuantity("q", "\t5000\r"), 5000);
  // A spreadsheet's thousands separators, as a quoted cell keeps them.
  EXPECT_EQ(*ParseQuantity("q", "5,000"), 5000);
  EXPECT_EQ(*ParseQuantity("q", "12,000,000"), 12000000);
  for (const char* bad_text : {"5,00", ",500", "5,0000", "1,000,00", "0x10", "+5", "1e3", "5.0", "５０"}) {
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
  for (const char* bad : {"0x10", "1e3", "inf", "nan", "1,200", "12.", ".5", "-"}) {
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
  CsvImportResult Import(const std::string& text) {
    WriteText(dir_.File("in.csv"), text);
    return ImportCsv(dir_.File("in.csv"), entry_);
  }
  // Every error must be present, in some message; and nothing may be imported.
  void ExpectErrors(const std::string& text, std::initializer_list<std::string> fragments) {
    const CsvImportResult result = Import(text);
    EXPECT_FALSE(result.errors.empty());
    EXPECT_TRUE(result.reports.empty()) << result.reports.size() << " reports despite errors";
    std::string all;
    for (const std::string& e : result.errors) all += e + "\n";
    for (const std::string& f : fragments) {
      EXPECT_NE(all.find(f), std::string::npos) << "errors lack '" << f << "':\n" << all;
    }
  }

  TempDir dir_;
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
  const CsvImportResult missing = ImportCsv(dir_.File("absent.csv"), entry_);
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

}  // namespace
}  // namespace ppe::test
