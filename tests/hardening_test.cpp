// Issue 10, "No county can take the city down", through the real programs: a node key in hostile
// hands cannot forge lines in the broker's log or drive an operator's terminal; everything the
// programs write is the owner's alone; --insecure says so, loudly; one node store has one daemon;
// a node store older than the broker's record of it never reuses a sequence number.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/wire.h"
#include "tests/cluster.h"
#include "tests/raw_client.h"

namespace ppe::testing {
namespace {

namespace fs = std::filesystem;

const std::string kForged = "[2026-01-01] [broker] [info] forged";

// Whether any line of `text` starts with `prefix`.
bool ALineStartsWith(const std::string& text, const std::string& prefix) {
  for (const std::string& line : Lines(text)) {
    if (line.rfind(prefix, 0) == 0) return true;
  }
  return false;
}

wire::Report* AddStock(wire::Envelope* envelope, uint64_t seq, const std::string& warehouse,
                       const std::string& item, int64_t quantity) {
  wire::Report* r = envelope->mutable_reports()->add_reports();
  r->set_seq(seq);
  r->mutable_stock()->set_warehouse(warehouse);
  r->mutable_stock()->set_item(item);
  r->mutable_stock()->set_quantity(quantity);
  return r;
}

// What an operator's terminal would receive from `ppe-ctl ARGS` (stdout and stderr), checked
// for ESC and, when given, for a line starting with `forged`.
void ExpectCtlOutputClean(Cluster& cluster, const std::vector<std::string>& args, const std::string& config,
                          const std::string& forged = "") {
  const CommandResult r = cluster.Ctl(args, config);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  const std::string all = r.out + r.err;
  EXPECT_EQ(all.find('\x1b'), std::string::npos) << "ESC in the output of ppe-ctl " << args[0] << ":\n" << all;
  if (!forged.empty()) {
    EXPECT_FALSE(ALineStartsWith(all, forged)) << all;
  }
}

// A raw client with sanyuan's real key sends a warehouse id that holds a forged log line and an
// item id that clears the screen; then rejects an order with a reason holding a forged row of
// 'ppe-ctl log'. Each is refused MALFORMED, naming the field and showing it escaped; broker.log
// gains no forged line; nothing ppe-ctl prints holds ESC, even a coordinator's own cancel reason.
TEST(Hardening, ControlCharactersForgeNoLogLineAndReachNoTerminal) {
  Cluster cluster;
  cluster.StartBroker();
  RawClient sanyuan(cluster.NodeConfig("sanyuan"));
  wire::Envelope batch;
  AddStock(&batch, 1, "x\n" + kForged, "mask.n95", 5);
  AddStock(&batch, 2, "sanyuan-wh", "\x1b[2J", 5);
  AddStock(&batch, 3, "sanyuan-wh", "mask.n95", 100000);
  sanyuan.Send(batch);
  std::vector<wire::ReportError> errors;
  ASSERT_TRUE(sanyuan.WaitAck(3, &errors));
  ASSERT_EQ(errors.size(), 2u);
  for (const auto& e : errors) {
    EXPECT_EQ(e.code(), wire::MALFORMED) << e.text();
    EXPECT_NE(e.text().find("control character"), std::string::npos) << e.text();
    EXPECT_EQ(e.text().find('\n'), std::string::npos) << e.text();
    EXPECT_EQ(e.text().find('\x1b'), std::string::npos) << e.text();
  }
  EXPECT_NE(errors[0].text().find("warehouse id"), std::string::npos) << errors[0].text();
  EXPECT_NE(errors[0].text().find("'x\\n" + kForged + "'"), std::string::npos) << errors[0].text();
  EXPECT_NE(errors[1].text().find("item id"), std::string::npos) << errors[1].text();
  EXPECT_NE(errors[1].text().find("\\x1b[2J"), std::string::npos) << errors[1].text();
  EXPECT_EQ(cluster.BrokerStock("sanyuan-wh", "mask.n95"), 100000);

  // An order from sanyuan-wh to Meilie's hospital, which sanyuan then rejects with a forged row.
  RawClient meilie(cluster.NodeConfig("meilie"));
  meilie.Send(DemandBatch(1, "sm-first-hospital", 1000));
  ASSERT_TRUE(meilie.WaitAck(1, nullptr));
  const nlohmann::json round = cluster.CtlJson({"allocate"});
  ASSERT_TRUE(round.is_object() && !round["orders"].empty()) << round.dump();
  const nlohmann::json order = round["orders"][0];
  ASSERT_EQ(order["from_warehouse"], "sanyuan-wh") << order.dump();
  const std::string forged_row = "2026-02-03 09:00:00  " + order["id"].dump() + "  received";
  wire::Envelope step;
  wire::Report* r = step.mutable_reports()->add_reports();
  r->set_seq(4);
  r->mutable_order_step()->set_order_id(order["id"].get<uint64_t>());
  r->mutable_order_step()->set_step(wire::REJECT);
  r->mutable_order_step()->set_reason("flooded road\n" + forged_row);
  sanyuan.Send(step);
  errors.clear();
  ASSERT_TRUE(sanyuan.WaitAck(4, &errors));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].code(), wire::MALFORMED) << errors[0].text();
  EXPECT_NE(errors[0].text().find("rejection reason"), std::string::npos) << errors[0].text();
  EXPECT_NE(errors[0].text().find("flooded road\\n2026-02-03"), std::string::npos) << errors[0].text();

  // The coordinator's own cancel reason is not checked (the coordinator is trusted), but it too
  // reaches the terminal escaped: in the table, the explanation and the CSV.
  const CommandResult cancel =
      cluster.Ctl({"cancel", order["id"].dump(), "--reason", "storm\x1b[2J\n" + forged_row});
  ASSERT_EQ(cancel.exit_code, 0) << cancel.err;
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"log"}, {"orders"}, {"explain", order["id"].dump()}, {"stock"}, {"status"}}) {
    ExpectCtlOutputClean(cluster, args, "viewer", forged_row);
  }
  const CommandResult table = cluster.Ctl({"log"}, "viewer");
  EXPECT_NE(table.out.find("storm\\x1b[2J\\n2026-02-03"), std::string::npos) << table.out;
  // In CSV a line break stays inside the cell's quotes (RFC 4180); ESC is escaped.
  ExpectCtlOutputClean(cluster, {"log", "--csv"}, "viewer");
  const CommandResult csv = cluster.Ctl({"log", "--csv"}, "viewer");
  EXPECT_NE(csv.out.find("\"storm\\x1b[2J\n" + forged_row + "\""), std::string::npos) << csv.out;

  // The broker's log: the refusals are there, escaped; no line is forged.
  const std::string log_path = cluster.dir() + "/logs/broker.log";
  EXPECT_TRUE(WaitFor([&] { return ReadFile(log_path).find("flooded road\\n2026-02-03") != std::string::npos; },
                      10000))
      << ReadFile(log_path);
  const std::string log = ReadFile(log_path);
  EXPECT_NE(log.find("x\\n" + kForged), std::string::npos) << log;
  EXPECT_FALSE(ALineStartsWith(log, kForged)) << log;
  EXPECT_FALSE(ALineStartsWith(log, forged_row)) << log;
  EXPECT_EQ(log.find('\x1b'), std::string::npos) << log;
}

// Every file and folder under data/, logs/ and keys/ after a deployment ran (stores with their
// -wal and -shm, the node's lock, the logs, the dispatch log, the keys): no group or other bits,
// though the test itself runs with a permissive umask. And 'init' tightens folders it finds.
TEST(Hardening, EverythingTheProgramsWriteIsTheOwnersAlone) {
  const mode_t old_umask = umask(022);
  Cluster cluster;
  cluster.StartBroker();
  cluster.StartNode("sanyuan");
  ASSERT_EQ(cluster.Node("sanyuan", {"stock", "sanyuan-wh", "mask.n95", "900"}).exit_code, 0);
  ASSERT_TRUE(cluster.WaitDrained("sanyuan"));
  const nlohmann::json round = cluster.CtlJson({"allocate"});  // writes the dispatch log, if anything
  ASSERT_TRUE(round.is_object());
  for (const char* must : {"data/broker.db", "data/broker.db-wal", "data/broker.db-shm", "data/sanyuan.db",
                           "data/sanyuan.db-wal", "data/sanyuan.db-shm", "data/sanyuan.db.lock",
                           "logs/broker.log", "logs/sanyuan.log", "keys/broker.key", "keys/broker.key_secret"}) {
    EXPECT_TRUE(fs::exists(cluster.dir() + "/" + must)) << must;
  }
  int checked = 0;
  for (const char* folder : {"data", "logs", "keys"}) {
    const fs::path root = fs::path(cluster.dir()) / folder;
    struct stat st {};
    ASSERT_EQ(stat(root.c_str(), &st), 0) << root;
    EXPECT_EQ(st.st_mode & 0777, 0700u) << root;
    for (const auto& entry : fs::recursive_directory_iterator(root)) {
      ASSERT_EQ(lstat(entry.path().c_str(), &st), 0) << entry.path();
      EXPECT_EQ(st.st_mode & 077, 0u) << entry.path() << " is " << std::oct << (st.st_mode & 0777);
      ++checked;
    }
  }
  EXPECT_GT(checked, 30);

  // Folders that were there before 'init', open to all, are the owner's after it.
  char tmpl[] = "/tmp/ppe-perm-XXXXXX";
  const fs::path out = fs::path(mkdtemp(tmpl)) / "deploy";
  fs::create_directories(out / "keys");
  fs::permissions(out / "keys", fs::perms::all);
  const CommandResult init = RunCommand({PPE_CTL, "init", "--city", PPE_SOURCE_DIR "/config/sanming.yaml", "--out",
                                         out.string(), "--port-base", "7700"});
  EXPECT_EQ(init.exit_code, 0) << init.err;
  for (const char* folder : {"keys", "nodes", "data", "logs"}) {
    struct stat st {};
    ASSERT_EQ(stat((out / folder).c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0700u) << folder;
  }
  for (const auto& entry : fs::recursive_directory_iterator(out)) {
    struct stat st {};
    ASSERT_EQ(lstat(entry.path().c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 077, 0u) << entry.path() << " is " << std::oct << (st.st_mode & 0777);
  }
  fs::remove_all(out.parent_path());
  umask(old_umask);
}

// 'ppe-ctl init --insecure' warns on stderr, a line of its own, and once more when the broker
// would listen beyond loopback; the broker warns in its log at every start.
TEST(Hardening, InsecureIsLoud) {
  char tmpl[] = "/tmp/ppe-insecure-XXXXXX";
  const fs::path base = mkdtemp(tmpl);
  auto init = [&](const std::string& name, const std::vector<std::string>& extra) {
    std::vector<std::string> argv = {PPE_CTL, "init", "--city", PPE_SOURCE_DIR "/config/sanming.yaml",
                                     "--out", (base / name).string(), "--port-base", "7700"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return RunCommand(argv);
  };
  const CommandResult wide = init("wide", {"--insecure", "--bind", "0.0.0.0"});
  ASSERT_EQ(wide.exit_code, 0) << wide.err;
  EXPECT_TRUE(ALineStartsWith(wide.err, "ppe-ctl: WARNING: --insecure: no encryption")) << wide.err;
  EXPECT_TRUE(ALineStartsWith(wide.err, "ppe-ctl: WARNING: the broker will listen on 0.0.0.0")) << wide.err;
  EXPECT_NE(wide.err.find("anyone on that network can"), std::string::npos) << wide.err;
  EXPECT_EQ(Lines(wide.err).size(), 2u) << wide.err;

  const CommandResult local = init("local", {"--insecure"});
  ASSERT_EQ(local.exit_code, 0) << local.err;
  EXPECT_TRUE(ALineStartsWith(local.err, "ppe-ctl: WARNING: --insecure")) << local.err;
  EXPECT_EQ(local.err.find("anyone on that network"), std::string::npos) << local.err;
  EXPECT_EQ(Lines(local.err).size(), 1u) << local.err;

  const CommandResult secure = init("secure", {});
  ASSERT_EQ(secure.exit_code, 0) << secure.err;
  EXPECT_EQ(secure.err.find("WARNING"), std::string::npos) << secure.err;
  fs::remove_all(base);

  auto insecure_lines = [](const Cluster& cluster) {
    int n = 0;
    for (const std::string& line : Lines(ReadFile(cluster.dir() + "/logs/broker.log"))) {
      n += line.find("[warning] INSECURE: secure is false") != std::string::npos;
    }
    return n;
  };
  Cluster lab("", {"--insecure"});
  lab.StartBroker();
  EXPECT_TRUE(WaitFor([&] { return insecure_lines(lab) == 1; }, 5000)) << ReadFile(lab.dir() + "/logs/broker.log");
  lab.StopBroker();
  lab.StartBroker();
  EXPECT_TRUE(WaitFor([&] { return insecure_lines(lab) == 2; }, 5000)) << ReadFile(lab.dir() + "/logs/broker.log");
  // It works all the same (PLAIN): a node's count arrives.
  lab.StartNode("sanyuan");
  ASSERT_EQ(lab.Node("sanyuan", {"stock", "sanyuan-wh", "mask.n95", "40"}).exit_code, 0);
  EXPECT_TRUE(lab.WaitDrained("sanyuan"));

  Cluster safe;
  safe.StartBroker();
  lab.StopBroker();
  safe.StopBroker();
  EXPECT_EQ(insecure_lines(safe), 0);
}

// A second 'ppe-node run' on a store a daemon serves is refused at once; recording commands run
// alongside; once the daemon is gone (even by SIGKILL) a new one starts.
TEST(Hardening, OneNodeStoreHasOneDaemon) {
  Cluster cluster;
  cluster.StartBroker();
  cluster.StartNode("sanyuan");
  ASSERT_TRUE(WaitFor([&] { return cluster.NodeStatus("sanyuan").value("connected", false); }, 15000));
  const int64_t start = MonotonicMs();
  const CommandResult second = RunCommand({PPE_NODE, "--config", cluster.NodeConfig("sanyuan"), "run"}, 15);
  EXPECT_NE(second.exit_code, 0);
  EXPECT_LT(MonotonicMs() - start, 5000);
  EXPECT_NE(second.err.find("another 'ppe-node run' is already serving"), std::string::npos) << second.err;
  EXPECT_NE(second.err.find("sanyuan.db.lock"), std::string::npos) << second.err;

  ASSERT_EQ(cluster.Node("sanyuan", {"stock", "sanyuan-wh", "mask.n95", "300"}).exit_code, 0);
  ASSERT_TRUE(cluster.WaitDrained("sanyuan"));
  EXPECT_EQ(cluster.BrokerStock("sanyuan-wh", "mask.n95"), 300);

  cluster.KillNode("sanyuan");  // SIGKILL: the kernel drops the lock with the process
  cluster.StartNode("sanyuan");
  ASSERT_EQ(cluster.Node("sanyuan", {"stock", "sanyuan-wh", "mask.n95", "310"}).exit_code, 0);
  ASSERT_TRUE(cluster.WaitDrained("sanyuan"));
  EXPECT_EQ(cluster.BrokerStock("sanyuan-wh", "mask.n95"), 310);
}

// Five counts drain; the node store is put back to a copy taken after the second. On restart the
// broker's welcome says 5 were applied: the node numbers new reports from 6 (were it to reuse 3,
// the broker would acknowledge the count and never apply it), says so in its status, and its
// outbox_pending stays sane.
TEST(Hardening, ANodeStoreOlderThanTheBrokersRecordReusesNoSequenceNumber) {
  Cluster cluster;
  cluster.StartBroker();
  cluster.StartNode("sanyuan");
  const std::string store = cluster.dir() + "/data/sanyuan.db";
  const std::string copy = cluster.dir() + "/sanyuan-copy.db";
  auto count = [&](int qty) {
    ASSERT_EQ(cluster.Node("sanyuan", {"stock", "sanyuan-wh", "mask.n95", std::to_string(qty)}).exit_code, 0);
  };
  count(101);
  count(102);
  ASSERT_TRUE(cluster.WaitDrained("sanyuan"));
  cluster.KillNode("sanyuan");
  fs::copy_file(store, copy);
  const bool had_wal = fs::exists(store + "-wal");
  if (had_wal) fs::copy_file(store + "-wal", copy + "-wal");
  cluster.StartNode("sanyuan");
  count(103);
  count(104);
  count(105);
  ASSERT_TRUE(cluster.WaitDrained("sanyuan"));
  EXPECT_EQ(cluster.BrokerStock("sanyuan-wh", "mask.n95"), 105);
  cluster.KillNode("sanyuan");

  // The store as it was after report 2.
  fs::remove(store + "-shm");
  fs::remove(store + "-wal");
  fs::copy_file(copy, store, fs::copy_options::overwrite_existing);
  if (had_wal) fs::copy_file(copy + "-wal", store + "-wal");
  const nlohmann::json restored = cluster.NodeStatus("sanyuan");
  ASSERT_EQ(restored.value("recorded", 0), 2) << restored.dump(2);

  cluster.StartNode("sanyuan");
  ASSERT_TRUE(WaitFor([&] { return cluster.NodeStatus("sanyuan").value("recorded", 0) >= 5; }, 15000))
      << cluster.NodeStatus("sanyuan").dump(2);
  count(777);
  EXPECT_TRUE(WaitFor([&] { return cluster.BrokerStock("sanyuan-wh", "mask.n95") == 777; }, 15000))
      << "the new count was not applied: " << cluster.BrokerStock("sanyuan-wh", "mask.n95");
  ASSERT_TRUE(cluster.WaitDrained("sanyuan"));
  const nlohmann::json status = cluster.NodeStatus("sanyuan");
  EXPECT_EQ(status.value("recorded", 0), 6) << status.dump(2);
  EXPECT_EQ(status.value("last_ack", 0), 6) << status.dump(2);
  EXPECT_EQ(status.value("outbox_pending", 1), 0) << status.dump(2);
  ASSERT_TRUE(status["alerts"].is_array());
  bool alerted = false;
  for (const auto& a : status["alerts"]) {
    const std::string text = a.get<std::string>();
    alerted |= text.find("applied reports up to 5") != std::string::npos &&
               text.find("only up to 2") != std::string::npos && text.find("older copy") != std::string::npos;
  }
  EXPECT_TRUE(alerted) << status.dump(2);
  const CommandResult human = cluster.Node("sanyuan", {"status"});
  EXPECT_NE(human.out.find("ALERT           the broker had applied reports up to 5"), std::string::npos) << human.out;
  EXPECT_NE(human.out.find("outbox_pending  0\n"), std::string::npos) << human.out;
  EXPECT_NE(ReadFile(cluster.dir() + "/logs/sanyuan.log").find("[error] the broker has applied reports"),
            std::string::npos);
  const CommandResult check = cluster.Ctl({"check"});
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
}

}  // namespace
}  // namespace ppe::testing
