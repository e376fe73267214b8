// The spine with real processes: reports reach the broker exactly once through SIGKILLs of the
// broker and of the node daemon; reports recorded while the broker is down arrive in order.
#include <gtest/gtest.h>

#include <fstream>

#include "tests/cluster.h"
#include "tests/raw_client.h"

namespace ppe::testing {
namespace {

// Writes `rows` receipts of one unit each, as a CSV the node imports in one go.
std::string ReceiptCsv(const std::string& dir, int chunk, int rows) {
  const std::string path = dir + "/receipts-" + std::to_string(chunk) + ".csv";
  std::ofstream out(path);
  out << "type,place,item,quantity,daily_use,source,from\n";
  for (int i = 0; i < rows; ++i) out << "receipt,sanyuan-wh,mask.n95,1,,donation,Donor " << chunk << "\n";
  return path;
}

TEST(Spine, FiveThousandReceiptsSurviveBrokerAndNodeKills) {
  Cluster cluster;
  cluster.StartBroker();
  cluster.StartNode("sanyuan");
  cluster.StartNode("meilie");
  ASSERT_EQ(cluster.Node("sanyuan", {"stock", "sanyuan-wh", "mask.n95", "1000"}).exit_code, 0);
  ASSERT_EQ(cluster.Node("meilie", {"stock", "meilie-wh", "mask.n95", "300"}).exit_code, 0);

  constexpr int kChunks = 50, kRows = 100;  // 5,000 receipts of one unit
  for (int chunk = 0; chunk < kChunks; ++chunk) {
    const CommandResult r = cluster.Node("sanyuan", {"import", ReceiptCsv(cluster.dir(), chunk, kRows)});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    if (chunk == 10 || chunk == 22 || chunk == 38) {  // the broker dies mid-stream, three times
      cluster.KillBroker();
      cluster.StartBroker();
    }
    if (chunk == 30) {  // and the node daemon once
      cluster.KillNode("sanyuan");
      cluster.StartNode("sanyuan");
    }
  }
  ASSERT_TRUE(cluster.WaitDrained("sanyuan", 60000)) << cluster.NodeStatus("sanyuan").dump();
  EXPECT_EQ(cluster.BrokerStock("sanyuan-wh", "mask.n95"), 1000 + kChunks * kRows);
  EXPECT_TRUE(cluster.WaitDrained("meilie"));
  EXPECT_EQ(cluster.BrokerStock("meilie-wh", "mask.n95"), 300);

  const nlohmann::json status = cluster.NodeStatus("sanyuan");
  EXPECT_EQ(status["last_ack"], 1 + kChunks * kRows);
  EXPECT_EQ(status["refused"], 0);
}

TEST(Spine, ReportsRecordedWhileBrokerIsDownArriveInOrder) {
  Cluster cluster;
  cluster.StartBroker();
  cluster.StartNode("youxi");
  cluster.StopBroker();
  // Counts replace each other: only their order decides the final figure.
  for (const char* count : {"700", "100", "400"}) {
    ASSERT_EQ(cluster.Node("youxi", {"stock", "youxi-wh", "sanitizer", count}).exit_code, 0);
  }
  ASSERT_EQ(cluster.Node("youxi", {"receipt", "youxi-wh", "sanitizer", "50", "--source", "production"}).exit_code, 0);
  ASSERT_EQ(cluster.NodeStatus("youxi")["outbox_pending"], 4);
  EXPECT_FALSE(cluster.NodeStatus("youxi")["connected"].get<bool>());

  cluster.StartBroker();
  ASSERT_TRUE(cluster.WaitDrained("youxi", 20000));
  EXPECT_EQ(cluster.BrokerStock("youxi-wh", "sanitizer"), 450);
  EXPECT_TRUE(WaitFor([&] { return cluster.NodeStatus("youxi")["connected"].get<bool>(); }, 5000));
}

TEST(Spine, AnotherCountysWarehouseIsRefusedAndTheReportsBehindGoThrough) {
  Cluster cluster;
  cluster.StartBroker();
  RawClient sanyuan(cluster.NodeConfig("sanyuan"));
  wire::Envelope batch;
  auto add = [&](uint64_t seq, const std::string& warehouse, int64_t qty) {
    wire::Report* r = batch.mutable_reports()->add_reports();
    r->set_seq(seq);
    r->mutable_receipt()->set_warehouse(warehouse);
    r->mutable_receipt()->set_item("mask.surgical");
    r->mutable_receipt()->set_quantity(qty);
    r->mutable_receipt()->set_source(wire::PRODUCTION);
  };
  add(1, "sanyuan-wh", 10);
  add(2, "meilie-wh", 999);  // not sanyuan's
  add(3, "sanyuan-wh", 5);
  sanyuan.Send(batch);
  std::vector<wire::ReportError> errors;
  ASSERT_TRUE(sanyuan.WaitAck(3, &errors));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].seq(), 2u);
  EXPECT_EQ(errors[0].code(), wire::NOT_YOUR_COUNTY);
  EXPECT_NE(errors[0].text().find("meilie-wh"), std::string::npos) << errors[0].text();
  EXPECT_EQ(cluster.BrokerStock("sanyuan-wh", "mask.surgical"), 15);
  EXPECT_EQ(cluster.BrokerStock("meilie-wh", "mask.surgical"), -1);

  // A resend of the same batch is acknowledged again and applied no second time.
  sanyuan.Send(batch);
  ASSERT_TRUE(sanyuan.WaitAck(3, nullptr));
  EXPECT_EQ(cluster.BrokerStock("sanyuan-wh", "mask.surgical"), 15);
}

TEST(Spine, NodeCommandRefusesAnotherCountysWarehouseWithAClearError) {
  Cluster cluster;
  const CommandResult r = cluster.Node("sanyuan", {"receipt", "meilie-wh", "mask.n95", "10"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("belongs to meilie"), std::string::npos) << r.err;
  EXPECT_EQ(cluster.NodeStatus("sanyuan")["recorded"], 0);
}

TEST(Spine, UnknownCertificateCannotConnect) {
  Cluster cluster;
  Cluster stranger;  // another deployment: its keys are unknown to the first broker
  cluster.StartBroker();
  // The stranger's coordinator key, pointed at our broker (with our broker's public key).
  const std::string config = stranger.dir() + "/intruder.yaml";
  std::ofstream(config) << "name: coordinator\nrole: coordinator\nbroker: tcp://127.0.0.1:"
                        << cluster.port() << "\nbroker_key: " << cluster.dir()
                        << "/keys/broker.key\nkey: " << stranger.dir() << "/keys/coordinator.key_secret\n";
  const CommandResult r = RunCommand({PPE_CTL, "--config", config, "status"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("refused this key"), std::string::npos) << r.err;

  // A node with an unknown key gets nothing applied and no answer.
  const std::string node_config = stranger.dir() + "/intruder-node.yaml";
  std::ofstream(node_config) << "node: sanyuan\ncounty: sanyuan\ncity: x\nstore: x\nbroker: tcp://127.0.0.1:"
                             << cluster.port() << "\nbroker_key: " << cluster.dir()
                             << "/keys/broker.key\nkey: " << stranger.dir() << "/keys/sanyuan.key_secret\n";
  RawClient intruder(node_config);
  wire::Envelope batch;
  wire::Report* report = batch.mutable_reports()->add_reports();
  report->set_seq(1);
  report->mutable_stock()->set_warehouse("sanyuan-wh");
  report->mutable_stock()->set_item("mask.n95");
  report->mutable_stock()->set_quantity(123);
  intruder.Send(batch);
  EXPECT_FALSE(intruder.WaitAck(1, nullptr, 1500));
  EXPECT_EQ(cluster.BrokerStock("sanyuan-wh", "mask.n95"), -1);
}

}  // namespace
}  // namespace ppe::testing
