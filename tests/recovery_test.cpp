// Nothing blocks a county, through real processes: Chinese spreadsheets (GBK) and GBK arguments,
// an outbox row the daemon cannot read, a broker store put back to an older copy (every report
// comes back exactly once), and reports no node holds any more (an alert, never a stall).
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <thread>

#include "tests/cluster.h"

namespace ppe::testing {
namespace {

namespace fs = std::filesystem;

const std::string kHeader = "type,place,item,quantity,daily_use,source,from\r\n";
// "福建省红十字会" (Fujian Red Cross) as Excel on Chinese Windows saves it.
const std::string kGbkRedCross = "\xb8\xa3\xbd\xa8\xca\xa1\xba\xec\xca\xae\xd7\xd6\xbb\xe1";

std::string WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
  return path;
}

// `rows` receipts of one unit each into sanyuan-wh, as one CSV.
std::string ReceiptCsv(const Cluster& cluster, const std::string& name, int rows) {
  std::string text = kHeader;
  for (int i = 0; i < rows; ++i) text += "receipt,sanyuan-wh,mask.n95,1,,production,\r\n";
  return WriteFile(cluster.dir() + "/" + name + ".csv", text);
}

bool HasAlert(const nlohmann::json& status, const std::string& kind, const std::string& fragment) {
  for (const auto& alert : status["alerts"]) {
    if (alert.value("kind", "") == kind && alert.value("text", "").find(fragment) != std::string::npos) return true;
  }
  return false;
}

void ExecSql(const std::string& db_path, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(db_path.c_str(), &db), SQLITE_OK);
  char* error = nullptr;
  EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error), SQLITE_OK) << (error ? error : "");
  sqlite3_free(error);
  sqlite3_close(db);
}

// The broker's store files, copied aside or put back (the broker is stopped).
void CopyStore(const std::string& from_prefix, const std::string& to_prefix) {
  for (const char* suffix : {"", "-wal", "-shm"}) {
    std::error_code ec;
    fs::remove(to_prefix + suffix, ec);
    if (fs::exists(from_prefix + suffix)) fs::copy_file(from_prefix + suffix, to_prefix + suffix);
  }
}

TEST(NodeRecovery, AGbkSpreadsheetAndGbkArgumentsAreConvertedAndLaterReportsFlow) {
  Cluster cluster;
  cluster.StartBroker();
  cluster.StartNode("sanyuan");
  const std::string csv = WriteFile(cluster.dir() + "/gbk.csv",
                                    kHeader + "receipt,sanyuan-wh,mask.n95,5000,,donation," + kGbkRedCross + "\r\n" +
                                        "stock,sanyuan-wh,sanitizer,40,,,\r\n");
  const CommandResult import = cluster.Node("sanyuan", {"import", csv});
  ASSERT_EQ(import.exit_code, 0) << import.err;
  EXPECT_NE(import.out.find("GBK"), std::string::npos) << import.out;
  const CommandResult donor = cluster.Node(
      "sanyuan", {"receipt", "sanyuan-wh", "mask.n95", "700", "--source", "donation", "--from", kGbkRedCross});
  ASSERT_EQ(donor.exit_code, 0) << donor.err;
  EXPECT_NE(donor.out.find("福建省红十字会"), std::string::npos) << donor.out;
  const CommandResult reason_gbk =
      cluster.Node("sanyuan", {"reject", "1", "--reason", kGbkRedCross});  // no such order: refused at once
  EXPECT_NE(reason_gbk.exit_code, 0);
  ASSERT_EQ(cluster.Node("sanyuan", {"stock", "sanyuan-wh", "disinfectant", "12"}).exit_code, 0);

  ASSERT_TRUE(cluster.WaitDrained("sanyuan"));
  EXPECT_EQ(cluster.BrokerStock("sanyuan-wh", "mask.n95"), 5700);
  EXPECT_EQ(cluster.BrokerStock("sanyuan-wh", "disinfectant"), 12);
  EXPECT_EQ(cluster.NodeStatus("sanyuan")["refused"], 0);
}

TEST(NodeRecovery, AnUnreadableOutboxRowIsSetAsideAndTheCountyKeepsReporting) {
  Cluster cluster;
  cluster.StartBroker();
  // Recorded with no daemon running; then row 2 is made what an older release wrote for a GBK
  // donor: a receipt whose text is not UTF-8, which does not parse back.
  ASSERT_EQ(cluster.Node("sanyuan", {"stock", "sanyuan-wh", "mask.n95", "100"}).exit_code, 0);
  ASSERT_EQ(cluster.Node("sanyuan", {"receipt", "sanyuan-wh", "mask.n95", "5"}).exit_code, 0);
  ASSERT_EQ(cluster.Node("sanyuan", {"stock", "sanyuan-wh", "sanitizer", "30"}).exit_code, 0);
  ExecSql(cluster.dir() + "/data/sanyuan.db", "UPDATE outbox SET payload = X'5a041202b8a3' WHERE seq = 2");
  cluster.StartNode("sanyuan");
  ASSERT_TRUE(cluster.WaitDrained("sanyuan")) << cluster.NodeStatus("sanyuan").dump();
  ASSERT_EQ(cluster.Node("sanyuan", {"stock", "sanyuan-wh", "disinfectant", "9"}).exit_code, 0);
  ASSERT_TRUE(cluster.WaitDrained("sanyuan"));
  EXPECT_EQ(cluster.BrokerStock("sanyuan-wh", "mask.n95"), 100);  // the unreadable receipt is not applied
  EXPECT_EQ(cluster.BrokerStock("sanyuan-wh", "sanitizer"), 30);
  EXPECT_EQ(cluster.BrokerStock("sanyuan-wh", "disinfectant"), 9);

  const nlohmann::json node = cluster.NodeStatus("sanyuan");
  ASSERT_EQ(node["set_aside"].size(), 1u) << node.dump();
  EXPECT_EQ(node["set_aside"][0]["seq"], 2);
  EXPECT_FALSE(node["alerts"].empty());
  const CommandResult text = cluster.Node("sanyuan", {"status"});
  EXPECT_NE(text.out.find("set aside"), std::string::npos) << text.out;
  const nlohmann::json city = cluster.CtlJson({"status"});
  EXPECT_TRUE(HasAlert(city, "unreadable", "report 2 of node sanyuan")) << city.dump(1);
  EXPECT_EQ(cluster.Ctl({"check"}).exit_code, 0);
}

TEST(NodeRecovery, ABrokerStorePutBackToAnOlderCopyGetsEveryReportBackExactlyOnce) {
  Cluster cluster;
  cluster.StartBroker();
  cluster.StartNode("sanyuan");
  cluster.StartNode("meilie");
  ASSERT_EQ(cluster.Node("sanyuan", {"import", ReceiptCsv(cluster, "a", 300)}).exit_code, 0);
  ASSERT_EQ(cluster.Node("meilie", {"stock", "meilie-wh", "mask.n95", "50"}).exit_code, 0);
  ASSERT_TRUE(cluster.WaitDrained("sanyuan"));
  ASSERT_TRUE(cluster.WaitDrained("meilie"));
  cluster.StopBroker();
  const std::string store = cluster.dir() + "/data/broker.db";
  CopyStore(store, cluster.dir() + "/backup.db");  // the backup: 300 receipts
  cluster.StartBroker();

  ASSERT_EQ(cluster.Node("sanyuan", {"import", ReceiptCsv(cluster, "b", 200)}).exit_code, 0);
  ASSERT_EQ(cluster.Node("sanyuan", {"stock", "sanyuan-wh", "sanitizer", "77"}).exit_code, 0);
  ASSERT_EQ(cluster.Node("meilie", {"receipt", "meilie-wh", "mask.n95", "25"}).exit_code, 0);
  ASSERT_TRUE(cluster.WaitDrained("sanyuan"));
  ASSERT_TRUE(cluster.WaitDrained("meilie"));
  EXPECT_EQ(cluster.BrokerStock("sanyuan-wh", "mask.n95"), 500);

  // The disk is lost; the city restores last night's backup and starts the broker again.
  cluster.StopBroker();
  CopyStore(cluster.dir() + "/backup.db", store);
  cluster.StartBroker();
  EXPECT_TRUE(WaitFor([&] { return cluster.BrokerStock("sanyuan-wh", "mask.n95") == 500; }, 30000))
      << cluster.BrokerStock("sanyuan-wh", "mask.n95");
  EXPECT_TRUE(WaitFor([&] { return cluster.BrokerStock("meilie-wh", "mask.n95") == 75; }, 30000));
  EXPECT_TRUE(WaitFor([&] { return cluster.BrokerStock("sanyuan-wh", "sanitizer") == 77; }, 30000));
  // And what comes after flows as before, applied once.
  ASSERT_EQ(cluster.Node("sanyuan", {"receipt", "sanyuan-wh", "mask.n95", "9"}).exit_code, 0);
  ASSERT_TRUE(cluster.WaitDrained("sanyuan"));
  EXPECT_TRUE(WaitFor([&] { return cluster.BrokerStock("sanyuan-wh", "mask.n95") == 509; }, 10000));
  EXPECT_EQ(cluster.NodeStatus("sanyuan")["last_ack"], 502);
  EXPECT_EQ(cluster.NodeStatus("sanyuan")["refused"], 0);
  const CommandResult check = cluster.Ctl({"check"});
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
}

TEST(NodeRecovery, OrdersMadeByARestoredBrokerReachTheNodesThatHeldLaterOnes) {
  Cluster cluster;
  cluster.StartBroker();
  cluster.StartNode("sanyuan");
  ASSERT_EQ(cluster.Node("sanyuan", {"stock", "sanyuan-wh", "mask.n95", "6000"}).exit_code, 0);
  ASSERT_EQ(cluster.Node("sanyuan", {"demand", "sy-integrated-hospital", "mask.n95", "--on-hand", "0",
                                     "--daily-use", "100"}).exit_code, 0);
  ASSERT_TRUE(cluster.WaitDrained("sanyuan"));
  cluster.StopBroker();
  CopyStore(cluster.dir() + "/data/broker.db", cluster.dir() + "/backup.db");  // before any order
  cluster.StartBroker();
  ASSERT_FALSE(cluster.CtlJson({"allocate"})["orders"].empty());
  auto node_orders = [&] {
    const CommandResult r = cluster.Node("sanyuan", {"orders", "--json"});
    return r.exit_code == 0 ? nlohmann::json::parse(r.out) : nlohmann::json::array();
  };
  ASSERT_TRUE(WaitFor([&] { return !node_orders().empty(); }, 10000));

  // Restored to before the round: the same ids are made again, for other sites this time.
  cluster.StopBroker();
  CopyStore(cluster.dir() + "/backup.db", cluster.dir() + "/data/broker.db");
  cluster.StartBroker();
  ASSERT_EQ(cluster.Node("sanyuan", {"demand", "sy-integrated-hospital", "mask.n95", "--on-hand", "5000",
                                     "--daily-use", "100", "--confirm"}).exit_code, 0);
  ASSERT_EQ(cluster.Node("sanyuan", {"demand", "sy-chengguan-fever", "mask.n95", "--on-hand", "0", "--daily-use", "50"})
                .exit_code, 0);
  ASSERT_TRUE(cluster.WaitDrained("sanyuan"));
  // The node's heartbeat tells the restored broker which deliveries it holds (docs/operations.md:
  // after a restore, the next round waits until the counties are back in contact).
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  const nlohmann::json round = cluster.CtlJson({"allocate"});
  ASSERT_FALSE(round["orders"].empty());
  const nlohmann::json first = round["orders"][0];
  EXPECT_TRUE(WaitFor([&] {
    for (const auto& o : node_orders()) {
      if (o["id"] == first["id"] && o["to_site"] == first["to_site"] && o["qty"] == first["qty"]) return true;
    }
    return false;
  }, 15000)) << node_orders().dump() << "\nexpected " << first.dump();
}

TEST(NodeRecovery, ReportsNoNodeHoldsAnyMoreAreAnAlertNotAStall) {
  Cluster cluster;
  // This county keeps nothing once acknowledged.
  const std::string config = cluster.NodeConfig("sanyuan");
  std::ifstream in(config);
  std::string yaml((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  yaml = std::regex_replace(yaml, std::regex("keep_acked_days: 30"), "keep_acked_days: 0");
  WriteFile(config, yaml);
  cluster.StartBroker();
  cluster.StartNode("sanyuan");
  ASSERT_EQ(cluster.Node("sanyuan", {"stock", "sanyuan-wh", "mask.n95", "10"}).exit_code, 0);
  ASSERT_TRUE(cluster.WaitDrained("sanyuan"));
  cluster.StopBroker();
  const std::string store = cluster.dir() + "/data/broker.db";
  CopyStore(store, cluster.dir() + "/backup.db");
  cluster.StartBroker();
  ASSERT_EQ(cluster.Node("sanyuan", {"import", ReceiptCsv(cluster, "c", 40)}).exit_code, 0);
  ASSERT_TRUE(cluster.WaitDrained("sanyuan"));
  cluster.KillNode("sanyuan");
  cluster.StartNode("sanyuan");  // prunes what was acknowledged: reports 1 to 41
  cluster.StopBroker();
  CopyStore(cluster.dir() + "/backup.db", store);
  cluster.StartBroker();

  // Reports 2 to 41 are gone for good: said, not waited for; the next report flows.
  ASSERT_EQ(cluster.Node("sanyuan", {"stock", "sanyuan-wh", "sanitizer", "5"}).exit_code, 0);
  EXPECT_TRUE(WaitFor([&] { return cluster.BrokerStock("sanyuan-wh", "sanitizer") == 5; }, 30000));
  const nlohmann::json status = cluster.CtlJson({"status"});
  EXPECT_TRUE(HasAlert(status, "lost_reports", "reports 2 to 41 of node sanyuan are lost")) << status.dump(1);
  EXPECT_EQ(cluster.BrokerStock("sanyuan-wh", "mask.n95"), 10);
}

}  // namespace
}  // namespace ppe::testing
