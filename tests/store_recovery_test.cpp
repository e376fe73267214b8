// Recovery with real processes (issue 9): the dispatch log file is the ledger's order events after
// a SIGKILL between commit and write (and a torn last line); a damaged store is refused at start;
// `ppe-ctl backup` copies the live store while reports flow; orders to a site or from a warehouse
// taken out of the city file are cancelled at start.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "tests/cluster.h"
#include "tests/raw_client.h"

namespace ppe::testing {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

// Two counties; lots of 50 masks and 10 bottles; target 7 days. `with_b_hosp` and `with_beta_wh`
// leave out a site and a warehouse, as a coordinator editing the file would.
std::string CityText(bool with_b_hosp = true, bool with_beta_wh = true) {
  std::string text = R"(city: recoveryville
location: [26.50, 117.50]
items:
  - {id: mask.surgical, name: Surgical mask, unit: piece, lot: 50, substitutes_for: []}
  - {id: sanitizer, name: Hand sanitizer, unit: bottle, lot: 10, substitutes_for: []}
tiers: {1: [designated_hospital], 2: [rail_station]}
policy: {target_days: 7, min_order_days: 1, road_factor: 1.3, city_reserve: {warehouse: city-reserve, release_to_tiers: [1]}}
counties:
  - {id: alpha, name: Alpha, location: [26.00, 117.00]}
  - {id: beta, name: Beta, location: [26.10, 117.10]}
warehouses:
  - {id: city-reserve, county: city, name: City reserve}
  - {id: alpha-wh, county: alpha, name: Alpha warehouse}
)";
  if (with_beta_wh) text += "  - {id: beta-wh, county: beta, name: Beta warehouse}\n";
  text += "sites:\n  - {id: a-hosp, county: alpha, name: Alpha hospital, kind: designated_hospital, headcount: 100}\n";
  if (with_b_hosp) text += "  - {id: b-hosp, county: beta, name: Beta hospital, kind: designated_hospital, headcount: 100}\n";
  return text;
}

bool Contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// Column 0 of every row of `sql`, read straight from a SQLite file.
std::vector<int64_t> SqlInts(const std::string& db_path, const std::string& sql) {
  std::vector<int64_t> values;
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr), SQLITE_OK) << db_path;
  sqlite3_busy_timeout(db, 5000);
  sqlite3_stmt* q = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &q, nullptr), SQLITE_OK) << sqlite3_errmsg(db) << ": " << sql;
  while (q && sqlite3_step(q) == SQLITE_ROW) values.push_back(sqlite3_column_int64(q, 0));
  sqlite3_finalize(q);
  sqlite3_close(db);
  return values;
}

int64_t SqlInt(const std::string& db_path, const std::string& sql) {
  const std::vector<int64_t> v = SqlInts(db_path, sql);
  return v.empty() ? -1 : v[0];
}

std::vector<std::string> SqlTexts(const std::string& db_path, const std::string& sql) {
  std::vector<std::string> values;
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK) << db_path;
  sqlite3_stmt* q = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &q, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
  while (q && sqlite3_step(q) == SQLITE_ROW) {
    const unsigned char* text = sqlite3_column_text(q, 0);
    values.push_back(text ? reinterpret_cast<const char*>(text) : "");
  }
  sqlite3_finalize(q);
  sqlite3_close(db);
  return values;
}

// Every line of the dispatch log file and its rotations, oldest first, parsed; a line that does
// not parse is kept as a string so a comparison shows it.
json FileEvents(const std::string& path) {
  json events = json::array();
  std::vector<std::string> files;
  for (int i = 9; i >= 1; --i) {
    if (fs::exists(path + "." + std::to_string(i))) files.push_back(path + "." + std::to_string(i));
  }
  files.push_back(path);
  for (const std::string& file : files) {
    std::ifstream in(file);
    for (std::string line; std::getline(in, line);) {
      const json event = json::parse(line, nullptr, false);
      events.push_back(event.is_discarded() ? json(line) : event);
    }
  }
  return events;
}

json Find(const json& rows, const json& match) {
  for (const json& row : rows) {
    bool all = true;
    for (const auto& [key, value] : match.items()) all = all && row.value(key, json()) == value;
    if (all) return row;
  }
  return nullptr;
}

// Receipts of one unit each into `warehouse`, as a CSV one `ppe-node import` records at once.
std::string ReceiptCsv(const std::string& dir, const std::string& warehouse, int chunk, int rows) {
  const std::string path = dir + "/receipts-" + std::to_string(chunk) + ".csv";
  std::ofstream out(path);
  out << "type,place,item,quantity,daily_use,source,from\n";
  for (int i = 0; i < rows; ++i) out << "receipt," << warehouse << ",mask.n95,1,,donation,Donor " << chunk << "\n";
  return path;
}

class StoreRecovery : public ::testing::Test {
 protected:
  void StartNodes() {
    for (const char* node : {"alpha", "beta"}) {
      cluster_.NodeStatus(node);  // the store exists before the daemon opens it
      cluster_.StartNode(node);
    }
  }
  void Record(const std::string& node, const std::vector<std::string>& args) {
    const CommandResult r = cluster_.Node(node, args);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    ASSERT_TRUE(cluster_.WaitDrained(node)) << cluster_.NodeStatus(node).dump();
  }
  json NodeOrders(const std::string& node) {
    const CommandResult r = cluster_.Node(node, {"orders", "--json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.exit_code == 0 ? json::parse(r.out) : json::array();
  }
  bool WaitHolds(const std::string& node, int64_t id, const std::string& status) {
    return WaitFor([&] { return !Find(NodeOrders(node), {{"id", id}, {"status", status}}).is_null(); }, 10000);
  }
  std::string DispatchFile() const { return cluster_.dir() + "/logs/dispatch.jsonl"; }
  std::string BrokerDb() const { return cluster_.dir() + "/data/broker.db"; }

  TempFile city_{"recoveryville.yaml", CityText()};
  Cluster cluster_{city_.path()};
};

// The broker is killed (PPE_FAULT) right after the commit of a receipt step, before the file has
// its event; a crash mid-write is simulated by a torn line. After a restart the file holds every
// event of `ppe-ctl log --json`, once, in order, line for line the same; and again when the file
// is deleted outright.
TEST_F(StoreRecovery, DispatchLogFileEqualsTheLedgerAfterAKillBetweenCommitAndWrite) {
  // Commits with order events, in order: 1 the round, 2 accepted (alpha holds it), 3 shipped,
  // 4 received: the broker dies right after that one.
  cluster_.StartBroker({"PPE_FAULT=kill-after-commit:4"});
  StartNodes();
  Record("alpha", {"stock", "alpha-wh", "mask.surgical", "600"});
  Record("beta", {"demand", "b-hosp", "mask.surgical", "--on-hand", "100", "--daily-use", "100"});
  const json orders = cluster_.CtlJson({"allocate"})["orders"];
  ASSERT_EQ(orders.size(), 1u) << orders.dump(2);
  const int64_t id = orders[0]["id"].get<int64_t>();
  const std::string order = std::to_string(id);
  ASSERT_TRUE(WaitHolds("alpha", id, "accepted"));
  Record("alpha", {"ship", order});
  ASSERT_TRUE(WaitHolds("beta", id, "shipped"));
  ASSERT_EQ(cluster_.Node("beta", {"receive", order, "--qty", "550"}).exit_code, 0);

  const int status = cluster_.WaitBrokerExit(15000);
  ASSERT_NE(status, -1) << "the armed broker did not die:\n" << ReadFile(cluster_.dir() + "/broker.out");
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << status;
  EXPECT_TRUE(Contains(ReadFile(cluster_.dir() + "/broker.out"), "PPE_FAULT: SIGKILL after commit 4"));
  // Committed, not written: the store has the receipt, the file stops at the shipment.
  EXPECT_EQ(SqlTexts(BrokerDb(), "SELECT status FROM order_events ORDER BY id"),
            (std::vector<std::string>{"created", "accepted", "shipped", "received"}));
  json before = FileEvents(DispatchFile());
  ASSERT_EQ(before.size(), 3u) << before.dump(2);
  EXPECT_EQ(before[2]["status"], "shipped");
  // And a crash in the middle of a write leaves half a line.
  std::ofstream(DispatchFile(), std::ios::app) << R"({"at_ms":1,"event":4,"fr)";

  cluster_.StartBroker();  // no fault
  ASSERT_TRUE(cluster_.WaitDrained("beta"));  // the receipt step, resent and acknowledged again
  const json log = cluster_.CtlJson({"log"}, "viewer");
  ASSERT_EQ(log.size(), 4u) << log.dump(2);
  EXPECT_EQ(log[3]["status"], "received");
  EXPECT_EQ(log[3]["event"], 4);
  EXPECT_EQ(FileEvents(DispatchFile()), log);
  // Line for line the very text of each event.
  std::vector<std::string> lines;
  std::istringstream in(ReadFile(DispatchFile()));
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  ASSERT_EQ(lines.size(), log.size());
  for (size_t i = 0; i < lines.size(); ++i) EXPECT_EQ(lines[i], log[i].dump());
  EXPECT_TRUE(Contains(ReadFile(cluster_.dir() + "/broker.out"), "a line cut short"));

  // One more event after the restart lands once, after the others.
  ASSERT_EQ(cluster_.Ctl({"check"}).exit_code, 0);
  cluster_.StopBroker();
  fs::remove(DispatchFile());
  cluster_.StartBroker();
  EXPECT_EQ(FileEvents(DispatchFile()), cluster_.CtlJson({"log"}, "viewer"));
}

// A page in the middle of a store of a few thousand receipts overwritten: the broker will not start
// on it, says what it found and what to do, on stderr and in its log, and exits non-zero.
TEST(StoreRecoveryDamaged, BrokerRefusesToStartAndSaysToRestoreTheLastBackup) {
  Cluster cluster;
  cluster.StartBroker();
  cluster.StartNode("sanyuan");
  const CommandResult import = cluster.Node("sanyuan", {"import", ReceiptCsv(cluster.dir(), "sanyuan-wh", 0, 4000)});
  ASSERT_EQ(import.exit_code, 0) << import.err;
  ASSERT_TRUE(cluster.WaitDrained("sanyuan", 60000));
  ASSERT_EQ(cluster.BrokerStock("sanyuan-wh", "mask.n95"), 4000);
  cluster.KillNode("sanyuan");
  const CommandResult clean = cluster.Ctl({"check"});
  EXPECT_EQ(clean.exit_code, 0) << clean.out;
  EXPECT_TRUE(Contains(clean.out, "checked 4000 ledger events, 1 warehouse figures, 0 site figures, 0 orders, "))
      << clean.out;

  // The disk goes bad under the running broker: the page is overwritten in the file, and a write
  // from another connection makes the broker drop its cached pages and read the file again.
  const std::string db = cluster.dir() + "/data/broker.db";
  ASSERT_EQ(SqlInt(db, "PRAGMA wal_checkpoint(TRUNCATE)"), 0) << "checkpoint busy";
  ASSERT_EQ(SqlInt(db, "PRAGMA page_size"), 4096);
  const int64_t pages = SqlInt(db, "PRAGMA page_count");
  ASSERT_GT(pages, 50) << "too small a store to damage in the middle";
  ASSERT_EQ(SqlTexts(db, "PRAGMA quick_check"), std::vector<std::string>{"ok"});
  {
    std::string garbage(4096, '\0');
    for (size_t i = 0; i < garbage.size(); ++i) garbage[i] = static_cast<char>((i * 7919 + 13) % 251);
    std::fstream file(db, std::ios::in | std::ios::out | std::ios::binary);
    file.seekp((pages / 2) * 4096);
    file.write(garbage.data(), garbage.size());
    ASSERT_TRUE(file.good());
  }
  SqlInts(db, "PRAGMA user_version = 9");
  // ppe-ctl check lists what it found, with what it checked, and says what to do.
  const CommandResult damaged = cluster.Ctl({"check"});
  EXPECT_EQ(damaged.exit_code, 1) << damaged.out << damaged.err;
  for (const std::string& text : {std::string("  DAMAGED  "), ", " + std::to_string(pages) + " store pages\n",
                                  std::string("the store is damaged ("),
                                  std::string("restore the last backup (docs/operations.md)")}) {
    EXPECT_TRUE(Contains(damaged.out, text)) << text << "\nnot in:\n" << damaged.out;
  }
  EXPECT_FALSE(Contains(damaged.out, "checked 0 ledger events")) << damaged.out;
  const json report = nlohmann::json::parse(cluster.Ctl({"check", "--json"}).out, nullptr, false);
  ASSERT_TRUE(report.is_object());
  EXPECT_FALSE(report["ok"].get<bool>());
  EXPECT_FALSE(report["integrity"].empty()) << report.dump(2);
  EXPECT_EQ(report["checked"]["pages"], pages);
  cluster.StopBroker();

  const CommandResult broker = RunCommand({PPE_BROKER, "--config", cluster.dir() + "/broker.yaml"}, 30);
  EXPECT_NE(broker.exit_code, 0);
  EXPECT_NE(broker.exit_code, -1) << "it did not exit by itself";
  for (const std::string& text : {std::string("data/broker.db' is damaged: PRAGMA quick_check over its ") +
                                      std::to_string(pages) + " pages found",
                                  std::string("The broker will not run on it: restore the last backup "
                                              "(docs/operations.md); the nodes resend what they still hold.")}) {
    EXPECT_TRUE(Contains(broker.err, text)) << text << "\nnot in stderr:\n" << broker.err;
    EXPECT_TRUE(Contains(ReadFile(cluster.dir() + "/logs/broker.log"), text)) << text << "\nnot in the log";
  }
}

// A backup taken while a node streams thousands of receipts: the copy is sound, holds a prefix of
// the ledger with the node's progress to match, is 0600, and the reply names the absolute path,
// pages and bytes. A viewer key is refused with FORBIDDEN.
TEST(StoreRecoveryBackup, CopyOfTheLiveStoreWhileReportsFlowIsSoundAndConsistent) {
  Cluster cluster;
  cluster.StartBroker();
  cluster.StartNode("sanyuan");
  ASSERT_EQ(cluster.Node("sanyuan", {"import", ReceiptCsv(cluster.dir(), "sanyuan-wh", 0, 2000)}).exit_code, 0);
  ASSERT_TRUE(cluster.WaitDrained("sanyuan", 60000));
  const int64_t before = cluster.CtlJson({"status"})["events"].get<int64_t>();

  constexpr int kChunks = 8, kRows = 2000;
  std::atomic<int> recorded{0};
  std::thread flow([&] {
    for (int chunk = 1; chunk <= kChunks; ++chunk) {
      if (cluster.Node("sanyuan", {"import", ReceiptCsv(cluster.dir(), "sanyuan-wh", chunk, kRows)}).exit_code == 0) {
        ++recorded;
      }
    }
  });
  ASSERT_TRUE(WaitFor([&] { return recorded.load() >= 1; }, 30000));
  const std::string path = cluster.dir() + "/backups/broker-copy.db";
  fs::create_directories(cluster.dir() + "/backups");
  const json reply = cluster.CtlJson({"backup", path});
  flow.join();
  ASSERT_EQ(recorded.load(), kChunks);
  ASSERT_TRUE(cluster.WaitDrained("sanyuan", 60000));

  ASSERT_TRUE(reply.is_object());
  EXPECT_EQ(reply["path"], path);
  struct stat st {};
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(reply["bytes"].get<int64_t>(), st.st_size);
  EXPECT_EQ(reply["pages"].get<int64_t>() * 4096, st.st_size);
  EXPECT_FALSE(fs::exists(path + ".tmp"));

  EXPECT_EQ(SqlTexts(path, "PRAGMA quick_check"), std::vector<std::string>{"ok"});
  // A prefix of the ledger, no gap, at least what was there before the backup began, and the
  // node's progress in the copy is exactly what its events in the copy say (one event a report).
  const int64_t copied = SqlInt(path, "SELECT COUNT(*) FROM events");
  EXPECT_EQ(SqlInt(path, "SELECT MAX(id) FROM events"), copied);
  EXPECT_GE(copied, before);
  const int64_t total = cluster.CtlJson({"status"})["events"].get<int64_t>();
  EXPECT_EQ(total, before + kChunks * kRows);
  EXPECT_LE(copied, total);
  EXPECT_EQ(SqlInt(path, "SELECT last_seq FROM nodes WHERE node = 'sanyuan'"),
            SqlInt(path, "SELECT COUNT(*) FROM events WHERE node = 'sanyuan'"));
  EXPECT_EQ(SqlInt(path, "SELECT on_hand FROM stock WHERE warehouse = 'sanyuan-wh' AND item = 'mask.n95'"),
            SqlInt(path, "SELECT COUNT(*) FROM events WHERE kind = 'receipt'"));
  std::cout << "backup held " << copied << " of " << total << " events (" << before << " before it began)\n";

  // A relative FILE is the ctl's current folder's, sent as an absolute path; the text names it.
  const std::string second = cluster.dir() + "/backups/second.db";
  const CommandResult relative = cluster.Ctl({"backup", fs::relative(second, fs::current_path()).string()});
  EXPECT_EQ(relative.exit_code, 0) << relative.err;
  EXPECT_TRUE(Contains(relative.out, "backup written to " + second + " on the broker's machine: ")) << relative.out;
  EXPECT_EQ(SqlTexts(second, "PRAGMA quick_check"), std::vector<std::string>{"ok"});

  // Viewer: refused, nothing written.
  const std::string denied = cluster.dir() + "/backups/viewer.db";
  const CommandResult viewer = cluster.Ctl({"backup", denied}, "viewer");
  EXPECT_NE(viewer.exit_code, 0);
  EXPECT_TRUE(Contains(viewer.err, "a viewer key cannot take backups")) << viewer.err;
  // The viewer's own key, spoken raw (RawClient reads a node-style config: the same fields and
  // three it does not use), to see the reply's code.
  const std::string raw_config = cluster.dir() + "/viewer-raw.yaml";
  std::ofstream(raw_config) << ReadFile(cluster.dir() + "/viewer.yaml") << "node: viewer\ncounty: none\nstore: none\n";
  RawClient raw(raw_config);
  wire::Envelope request;
  request.mutable_request()->set_id(7);
  request.mutable_request()->set_command("backup");
  request.mutable_request()->set_args_json(json{{"file", denied}}.dump());
  raw.Send(request);
  std::optional<wire::Envelope> answer;
  for (int i = 0; i < 5 && !(answer && answer->has_reply()); ++i) answer = raw.Receive(3000);
  ASSERT_TRUE(answer && answer->has_reply());
  EXPECT_FALSE(answer->reply().ok());
  EXPECT_EQ(answer->reply().code(), wire::FORBIDDEN);
  EXPECT_FALSE(fs::exists(denied));
  EXPECT_FALSE(fs::exists(denied + ".tmp"));
}

// A coordinator takes a site and a warehouse out of the city file while they have open orders:
// at start the broker cancels those, saying why, stock returns, the nodes learn it, and the
// books still agree with the ledger. Another open order is left as it was.
TEST_F(StoreRecovery, OrdersOfASiteAndAWarehouseNoLongerInTheCityFileAreCancelledAtStart) {
  cluster_.StartBroker();
  StartNodes();
  Record("alpha", {"stock", "alpha-wh", "mask.surgical", "1200"});
  Record("beta", {"stock", "beta-wh", "sanitizer", "300"});
  Record("beta", {"demand", "b-hosp", "mask.surgical", "--on-hand", "100", "--daily-use", "100"});
  Record("alpha", {"demand", "a-hosp", "mask.surgical", "--on-hand", "0", "--daily-use", "50"});
  Record("alpha", {"demand", "a-hosp", "sanitizer", "--on-hand", "0", "--daily-use", "10"});
  const json orders = cluster_.CtlJson({"allocate"})["orders"];
  const json to_b = Find(orders, {{"to_site", "b-hosp"}});
  const json from_beta = Find(orders, {{"from_warehouse", "beta-wh"}});
  const json stays = Find(orders, {{"to_site", "a-hosp"}, {"from_warehouse", "alpha-wh"}});
  ASSERT_TRUE(!to_b.is_null() && !from_beta.is_null() && !stays.is_null()) << orders.dump(2);
  ASSERT_EQ(orders.size(), 3u) << orders.dump(2);
  ASSERT_TRUE(WaitHolds("alpha", to_b["id"].get<int64_t>(), "accepted"));
  ASSERT_TRUE(WaitHolds("beta", from_beta["id"].get<int64_t>(), "accepted"));

  cluster_.StopBroker();
  // The broker reads the deployment's copy of the city file (broker.yaml: city: recoveryville.yaml).
  const std::string city_copy = cluster_.dir() + "/recoveryville.yaml";
  ASSERT_TRUE(Contains(ReadFile(cluster_.dir() + "/broker.yaml"), "city: recoveryville.yaml"));
  std::ofstream(city_copy, std::ios::trunc) << CityText(false, false);
  cluster_.StartBroker();

  auto explain = [&](const json& o) { return cluster_.CtlJson({"explain", std::to_string(o["id"].get<int64_t>())}); };
  const json cancelled_site = explain(to_b), cancelled_wh = explain(from_beta), open = explain(stays);
  EXPECT_EQ(cancelled_site["status"], "cancelled");
  EXPECT_EQ(cancelled_site["note"], "site b-hosp is no longer in the city file");
  EXPECT_EQ(cancelled_wh["status"], "cancelled");
  EXPECT_EQ(cancelled_wh["note"], "warehouse beta-wh is no longer in the city file");
  EXPECT_EQ(open["status"], "accepted");
  const json last = cancelled_site["history"].back();
  EXPECT_EQ(last["status"], "cancelled");
  EXPECT_EQ(last["who"], "broker");
  // Only the order that stays holds stock.
  const json stock = Find(cluster_.CtlJson({"stock"}), {{"warehouse", "alpha-wh"}, {"item", "mask.surgical"}});
  EXPECT_EQ(stock["reserved"], stays["qty"]);
  EXPECT_EQ(Find(cluster_.CtlJson({"stock"}), {{"warehouse", "beta-wh"}, {"item", "sanitizer"}})["reserved"], 0);
  EXPECT_TRUE(Contains(ReadFile(cluster_.dir() + "/broker.out"),
                       "cancelled 2 open order(s) whose site or warehouse is no longer in the city file"));
  // Both source nodes hold the new state.
  EXPECT_TRUE(WaitHolds("alpha", to_b["id"].get<int64_t>(), "cancelled"));
  EXPECT_TRUE(WaitHolds("beta", from_beta["id"].get<int64_t>(), "cancelled"));
  const CommandResult check = cluster_.Ctl({"check"});
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
  EXPECT_TRUE(Contains(check.out, "ledger and books agree")) << check.out;
  // The dispatch log has the cancellations too, and a second start cancels nothing more.
  EXPECT_EQ(FileEvents(DispatchFile()), cluster_.CtlJson({"log"}, "viewer"));
  cluster_.StopBroker();
  cluster_.StartBroker();
  EXPECT_EQ(cluster_.CtlJson({"log", "--status", "cancelled"}).size(), 2u);
}

}  // namespace
}  // namespace ppe::testing
