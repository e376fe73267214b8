// Unit tests of the broker's recovery parts: the dispatch log's catch-up (torn lines, rotations, a
// store behind the file, lines from before ids), the store's check at open and `ppe-ctl check` on
// a damaged store, the online backup, and PPE_FAULT's parsing.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "broker/broker_store.h"
#include "broker/dispatch_log.h"
#include "broker/fault_injection.h"
#include "broker/ledger_check.h"
#include "broker/store_backup.h"
#include "tests/test_support.h"

namespace ppe::test {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

// =============================== DispatchLog ===============================

// The store's order events as a list; ids are positions + 1.
class FakeEvents : public OrderEventSource {
 public:
  void Add(int n, const std::string& status = "created") {
    for (int i = 0; i < n; ++i) {
      const int64_t id = static_cast<int64_t>(rows_.size()) + 1;
      rows_.push_back({{"event", id}, {"order", 100 + id}, {"status", status}, {"at_ms", 5000 + id},
                       {"note", "row " + std::to_string(id)}});
    }
  }
  void KeepFirst(size_t n) { rows_.resize(n); }
  const std::vector<json>& rows() const { return rows_; }

  Result<json> EventsAfter(int64_t after, int64_t limit) override {
    json out = json::array();
    for (const json& row : rows_) {
      if (row["event"].get<int64_t>() > after && static_cast<int64_t>(out.size()) < limit) out.push_back(row);
    }
    return out;
  }
  int64_t LastEventId() override { return static_cast<int64_t>(rows_.size()); }
  int64_t FindUnnumbered(const json& line) override {
    for (const json& row : rows_) {
      if (row["order"] == line["order"] && row["status"] == line["status"] && row["at_ms"] == line["at_ms"]) {
        return row["event"].get<int64_t>();
      }
    }
    return 0;
  }

 private:
  std::vector<json> rows_;
};

std::string ReadAll(const std::string& path) {
  std::stringstream s;
  s << std::ifstream(path, std::ios::binary).rdbuf();
  return s.str();
}

std::vector<std::string> LinesOf(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

class DispatchLogTest : public ::testing::Test {
 protected:
  std::string Path() const { return dir_.File("logs/dispatch.jsonl"); }
  // Opens a log over `events_` (as a broker start does) and lets it go (as a crash would).
  void StartAndStop(int64_t max_bytes = 16 << 20) {
    DispatchLog log(Path(), nullptr, events_, max_bytes, 20);
    ASSERT_TRUE(log.Open().ok());
    EXPECT_EQ(log.last_written(), events_.LastEventId());
  }
  // Every line of the file and its rotations, oldest first.
  std::vector<std::string> AllLines() {
    std::vector<std::string> lines;
    for (int i = 20; i >= 0; --i) {
      const std::string file = i == 0 ? Path() : Path() + "." + std::to_string(i);
      for (const std::string& line : LinesOf(ReadAll(file))) lines.push_back(line);
    }
    return lines;
  }
  std::vector<std::string> Expected() const {
    std::vector<std::string> lines;
    for (const json& row : events_.rows()) lines.push_back(row.dump());
    return lines;
  }

  TempDir dir_;
  FakeEvents events_;
};

TEST_F(DispatchLogTest, EveryEventOnceInOrderWithItsIdAcrossRestarts) {
  events_.Add(5);
  StartAndStop();
  EXPECT_EQ(AllLines(), Expected());
  events_.Add(2);
  {
    DispatchLog log(Path(), nullptr, events_);
    ASSERT_TRUE(log.Open().ok());
    events_.Add(3);
    ASSERT_TRUE(log.CatchUp().ok());
    ASSERT_TRUE(log.CatchUp().ok());  // nothing new: nothing written
  }
  EXPECT_EQ(AllLines(), Expected());
  EXPECT_EQ(json::parse(AllLines().back())["event"], 10);
}

TEST_F(DispatchLogTest, ATornLastLineAndZerosAfterItAreCutOffAndTheEventsWrittenAgain) {
  events_.Add(3);
  StartAndStop();
  std::ofstream(Path(), std::ios::app | std::ios::binary) << std::string(12, '\0') << "\n" << R"({"event":4,"ord)";
  events_.Add(2);
  StartAndStop();
  EXPECT_EQ(LinesOf(ReadAll(Path())), Expected());
}

TEST_F(DispatchLogTest, ACrashRightAfterARotationContinuesFromTheNewestRotatedFile) {
  events_.Add(30);
  StartAndStop(400);  // a few lines a file
  ASSERT_TRUE(fs::exists(Path() + ".3"));
  EXPECT_EQ(AllLines(), Expected());
  // The rotation's renames done, the new file not yet written (or not yet created).
  for (const bool create : {true, false}) {
    for (int i = 19; i >= 1; --i) {
      std::error_code ignored;
      fs::rename(Path() + "." + std::to_string(i), Path() + "." + std::to_string(i + 1), ignored);
    }
    fs::rename(Path(), Path() + ".1");
    if (create) std::ofstream(Path(), std::ios::trunc);
    events_.Add(4);
    StartAndStop(400);
    EXPECT_EQ(AllLines(), Expected()) << (create ? "empty new file" : "no new file");
  }
}

TEST_F(DispatchLogTest, AStoreRestoredToAnOlderCopyKeepsTheFileToWhatItHasAndSetsTheRestAside) {
  events_.Add(10);
  StartAndStop();
  const std::vector<std::string> old = Expected();
  events_.KeepFirst(6);              // the backup had events up to 6
  events_.Add(2, "cancelled");       // new events 7 and 8, not the old 7 and 8
  StartAndStop();
  EXPECT_EQ(LinesOf(ReadAll(Path())), Expected());
  std::vector<std::string> aside;
  for (const auto& entry : fs::directory_iterator(fs::path(Path()).parent_path())) {
    if (entry.path().filename().string().rfind("dispatch.jsonl.orphaned-", 0) == 0) {
      aside = LinesOf(ReadAll(entry.path().string()));
    }
  }
  EXPECT_EQ(aside, std::vector<std::string>(old.begin() + 6, old.end()));
}

TEST_F(DispatchLogTest, LinesWrittenBeforeLinesCarriedIdsAreMatchedAndFollowedByTheRest) {
  events_.Add(5);
  fs::create_directories(fs::path(Path()).parent_path());
  std::ofstream out(Path());
  for (size_t i = 0; i < 3; ++i) {
    json legacy = events_.rows()[i];
    legacy.erase("event");
    out << legacy.dump() << "\n";
  }
  out.close();
  StartAndStop();
  const std::vector<std::string> lines = LinesOf(ReadAll(Path()));
  ASSERT_EQ(lines.size(), 5u);
  EXPECT_EQ(lines[3], events_.rows()[3].dump());
  EXPECT_EQ(lines[4], events_.rows()[4].dump());
}

// =============================== Damaged store ===============================

class DamagedStoreTest : public ::testing::Test {
 protected:
  std::string Path() const { return dir_.File("broker.db"); }

  // A store of `receipts` receipts into sanyuan-wh, closed (its WAL folded in).
  void Fill(int receipts) {
    auto store = BrokerStore::Open(Path());
    ASSERT_TRUE(store.ok()) << store.status().message();
    ASSERT_TRUE((*store)->Begin().ok());
    for (int i = 1; i <= receipts; ++i) {
      wire::Receipt r;
      r.set_warehouse("sanyuan-wh");
      r.set_item("mask.n95");
      r.set_quantity(1);
      r.set_source(wire::DONATION);
      r.set_from("Donor " + std::to_string(i));
      ASSERT_TRUE((*store)->ApplyReceipt({"sanyuan", static_cast<uint64_t>(i), i, i}, r).ok());
      (*store)->Progress("sanyuan", "sanyuan").last_seq = i;
    }
    ASSERT_TRUE((*store)->Commit().ok());
  }
  // Overwrites a page (1-based; 0: the one in the middle of the file) with garbage; returns the
  // page count.
  int64_t Damage(int64_t page = 0) {
    const int64_t pages = static_cast<int64_t>(fs::file_size(Path())) / 4096;
    std::string garbage(4096, '\0');
    for (size_t i = 0; i < garbage.size(); ++i) garbage[i] = static_cast<char>((i * 131 + 7) % 253);
    std::fstream file(Path(), std::ios::in | std::ios::out | std::ios::binary);
    file.seekp((page > 0 ? page - 1 : pages / 2) * 4096);
    file.write(garbage.data(), garbage.size());
    return pages;
  }

  TempDir dir_;
};

TEST_F(DamagedStoreTest, OpenRefusesItSayingWhatWasFoundAndWhatToDo) {
  Fill(3000);
  auto sound = SqliteDb::QuickCheck(Path());
  ASSERT_TRUE(sound.ok());
  EXPECT_TRUE(sound->problems.empty());
  const int64_t pages = Damage();
  auto check = SqliteDb::QuickCheck(Path());
  ASSERT_TRUE(check.ok()) << check.status().message();
  EXPECT_EQ(check->pages, pages);
  EXPECT_FALSE(check->problems.empty());
  auto store = BrokerStore::Open(Path());
  ASSERT_FALSE(store.ok());
  const std::string message = store.status().message();
  EXPECT_NE(message.find("is damaged: PRAGMA quick_check over its " + std::to_string(pages) + " pages found"),
            std::string::npos) << message;
  EXPECT_NE(message.find(check->problems[0]), std::string::npos) << message;
  EXPECT_NE(message.find("restore the last backup (docs/operations.md); the nodes resend what they still hold"),
            std::string::npos) << message;
  // No file yet: a new store, no problem.
  auto fresh = SqliteDb::QuickCheck(dir_.File("new.db"));
  ASSERT_TRUE(fresh.ok());
  EXPECT_TRUE(fresh->problems.empty());
  EXPECT_FALSE(fs::exists(dir_.File("new.db")));
  // Not a database at all.
  WriteText(dir_.File("text.db"), std::string(8192, 'x'));
  auto text = SqliteDb::QuickCheck(dir_.File("text.db"));
  ASSERT_TRUE(text.ok());
  EXPECT_FALSE(text->problems.empty());
}

TEST_F(DamagedStoreTest, LedgerCheckListsTheDamageAndNeverCountsWhatItCouldNotRead) {
  Fill(3000);
  {
    auto db = SqliteDb::Open(Path(), BrokerMigrations());
    ASSERT_TRUE(db.ok());
    const json clean = CheckLedger(**db);
    EXPECT_TRUE(clean["ok"].get<bool>()) << clean.dump(2);
    EXPECT_EQ(clean["checked"]["events"], 3000);
    EXPECT_GT(clean["checked"]["pages"].get<int64_t>(), 50);
    EXPECT_EQ(clean["integrity"], json::array());
  }
  // The ledger's own root page: every read of it runs into the damage, wherever the other tables are.
  int64_t ledger_root = 0;
  {
    auto db = SqliteDb::Open(Path(), BrokerMigrations());
    ASSERT_TRUE(db.ok());
    ledger_root = (*db)->QueryInt("SELECT rootpage FROM sqlite_master WHERE name = 'events'");
  }
  ASSERT_GT(ledger_root, 1);
  Damage(ledger_root);
  auto db = SqliteDb::Open(Path(), BrokerMigrations());  // the migrations do not touch the page
  ASSERT_TRUE(db.ok()) << db.status().message();
  const json result = CheckLedger(**db);
  EXPECT_FALSE(result["ok"].get<bool>());
  ASSERT_FALSE(result["integrity"].empty()) << result.dump(2);
  EXPECT_EQ(result["problems"][0], "store integrity: " + result["integrity"][0].get<std::string>());
  EXPECT_GT(result["checked"]["pages"].get<int64_t>(), 50);
  // The ledger's count runs into the damaged page: unknown, and said, rather than a 0.
  EXPECT_TRUE(result["checked"]["events"].is_null()) << result.dump(2);
  EXPECT_NE(result["problems"].dump().find("cannot count ledger events"), std::string::npos) << result.dump(2);
}

// =============================== StoreBackup ===============================

TEST(StoreBackupTest, ACopyTakenInStepsWhileTheStoreIsWrittenHoldsEverythingAtItsEnd) {
  TempDir dir;
  auto opened = BrokerStore::Open(dir.File("broker.db"));
  ASSERT_TRUE(opened.ok());
  BrokerStore& store = **opened;
  uint64_t seq = 0;
  auto receipts = [&](int n) {
    ASSERT_TRUE(store.Begin().ok());
    for (int i = 0; i < n; ++i) {
      wire::Receipt r;
      r.set_warehouse("sanyuan-wh");
      r.set_item("mask.n95");
      r.set_quantity(1);
      r.set_source(wire::PRODUCTION);
      r.set_from("a donor with a long name " + std::to_string(seq));
      ++seq;
      ASSERT_TRUE(store.ApplyReceipt({"sanyuan", seq, 1, 1}, r).ok());
    }
    ASSERT_TRUE(store.Commit().ok());
  };
  receipts(3000);
  const std::string path = dir.File("copy.db");
  auto backup = StoreBackup::Begin(store.db().raw(), path);
  ASSERT_TRUE(backup.ok()) << backup.status().message();
  int steps = 0;
  while ((*backup)->Step(8) == StoreBackup::State::kCopying && steps < 10000) {
    ++steps;
    if (steps % 5 == 0) receipts(50);  // the broker's cycles between steps
  }
  ASSERT_EQ((*backup)->state(), StoreBackup::State::kDone) << (*backup)->status().message();
  EXPECT_GT(steps, 3);
  EXPECT_GT(seq, 3000u);
  EXPECT_FALSE(fs::exists(path + ".tmp"));
  struct stat st {};
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ((*backup)->bytes(), st.st_size);
  auto copy = SqliteDb::Open(path, BrokerMigrations());
  ASSERT_TRUE(copy.ok());
  EXPECT_EQ((*copy)->QueryInt("SELECT COUNT(*) FROM events"), static_cast<int64_t>(seq));
  auto check = SqliteDb::QuickCheck(path);
  ASSERT_TRUE(check.ok());
  EXPECT_TRUE(check->problems.empty());

  // Refused: a relative path, a missing folder, the live store itself, a file that exists (the
  // copy just made). Abandoned: no .tmp left.
  EXPECT_FALSE(StoreBackup::Begin(store.db().raw(), "copy.db").ok());
  auto again = StoreBackup::Begin(store.db().raw(), path);
  ASSERT_FALSE(again.ok());
  EXPECT_NE(again.status().message().find("a backup never replaces a file"), std::string::npos);
  EXPECT_FALSE(StoreBackup::Begin(store.db().raw(), dir.File("no/such/folder/copy.db")).ok());
  EXPECT_FALSE(StoreBackup::Begin(store.db().raw(), dir.File("broker.db")).ok());
  {
    auto abandoned = StoreBackup::Begin(store.db().raw(), dir.File("abandoned.db"));
    ASSERT_TRUE(abandoned.ok());
    (*abandoned)->Step(1);
  }
  EXPECT_FALSE(fs::exists(dir.File("abandoned.db.tmp")));
  EXPECT_FALSE(fs::exists(dir.File("abandoned.db")));
}

// =============================== PPE_FAULT ===============================

TEST(FaultInjectionTest, OnlyKillAfterCommitWithAPositiveCountIsUnderstood) {
  auto none = ParseFault(nullptr);
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->kind, FaultKind::kNone);
  EXPECT_EQ(ParseFault("")->kind, FaultKind::kNone);
  auto kill = ParseFault("kill-after-commit:3");
  ASSERT_TRUE(kill.ok());
  EXPECT_EQ(kill->kind, FaultKind::kKillAfterCommit);
  EXPECT_EQ(kill->count, 3);
  for (const char* wrong : {"kill-after-commit:0", "kill-after-commit:", "kill-after-commit:2x", "kill", "crash"}) {
    auto parsed = ParseFault(wrong);
    EXPECT_FALSE(parsed.ok()) << wrong;
    EXPECT_NE(parsed.status().message().find("kill-after-commit:N"), std::string::npos);
  }
}

}  // namespace
}  // namespace ppe::test
