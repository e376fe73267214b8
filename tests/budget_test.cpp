// What one county key can cost the broker, through real processes: a connection that never reads
// while it floods hellos (memory), floods of refused reports and of hellos (store and log growth),
// over a thousand connections with one key, a revoked node's deliveries and a revoked viewer's
// feed, and a figure 150x the last one sent without the operator's confirmation.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>

#include <filesystem>
#include <limits>
#include <fstream>
#include <thread>

#include "common/clock.h"
#include "common/wire.h"
#include "tests/cluster.h"
#include "tests/raw_client.h"

namespace ppe::testing {
namespace {

int64_t RssMb(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoll(line.substr(6)) / 1024;
  }
  return -1;
}

int64_t FileBytes(const std::string& path) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  return ec ? 0 : static_cast<int64_t>(size);
}

// One county with many hospitals: one round gives it a delivery queue of 400 entries.
std::string WideCity() {
  std::string yaml = R"(city: wideville
location: [26.30, 117.30]
items:
  - {id: mask.n95, name: N95, unit: piece, lot: 1, substitutes_for: [], per_head_daily: 1}
tiers: {1: [designated_hospital]}
policy: {target_days: 7, min_order_days: 0, city_reserve: {warehouse: city-reserve, release_to_tiers: [1]}}
counties:
  - {id: alpha, name: Alpha, location: [26.00, 117.00]}
  - {id: beta, name: Beta, location: [26.10, 117.10]}
warehouses:
  - {id: city-reserve, county: city, name: City reserve}
  - {id: alpha-wh, county: alpha, name: Alpha warehouse}
  - {id: beta-wh, county: beta, name: Beta warehouse}
sites:
)";
  for (int i = 0; i < 400; ++i) {
    yaml += "  - {id: h" + std::to_string(i) + ", county: alpha, name: Hospital " + std::to_string(i) +
            ", kind: designated_hospital, headcount: 10}\n";
  }
  return yaml;
}

wire::Envelope Hello(uint64_t orders_held) {
  wire::Envelope hello;
  hello.mutable_hello()->set_software_version("hostile");
  hello.mutable_hello()->set_orders_held(orders_held);
  return hello;
}

class WideCityTest : public ::testing::Test {
 protected:
  // Alpha's warehouse holds enough for every hospital; every hospital reports; one round.
  void SetUp() override {
    cluster_.StartBroker();
    std::string csv = "type,place,item,quantity,daily_use,source,from\n";
    csv += "stock,alpha-wh,mask.n95,100000,,,\n";
    for (int i = 0; i < 400; ++i) csv += "demand,h" + std::to_string(i) + ",mask.n95,0,10,,\n";
    std::ofstream(cluster_.dir() + "/alpha.csv") << csv;
    ASSERT_EQ(cluster_.Node("alpha", {"import", cluster_.dir() + "/alpha.csv"}).exit_code, 0);
    cluster_.StartNode("alpha");
    ASSERT_TRUE(cluster_.WaitDrained("alpha"));
    cluster_.KillNode("alpha");
    const nlohmann::json round = cluster_.CtlJson({"allocate"});
    ASSERT_EQ(round["orders"].size(), 400u);
  }

  TempFile city_{"wideville.yaml", WideCity()};
  Cluster cluster_{city_.path()};
};

TEST_F(WideCityTest, ASlowReaderFloodingHellosHoldsNoMemory) {
  const int64_t before = RssMb(cluster_.broker_pid());
  {
    // Two connections with alpha's key that never read, each asking for the whole queue again
    // every 2 ms for 8 s.
    RawClient first(cluster_.NodeConfig("alpha"));
    RawClient second(cluster_.NodeConfig("alpha"));
    const int64_t end = MonotonicMs() + 8000;
    while (MonotonicMs() < end) {
      first.Send(Hello(0));
      second.Send(Hello(0));
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  }
  const int64_t during = RssMb(cluster_.broker_pid());
  std::cout << "broker RSS " << before << " MB before, " << during << " MB after 8 s of hello replays\n";
  EXPECT_LT(during - before, 100) << "the replays are held in the broker's memory";
  // The county still gets every order when it reads again.
  cluster_.StartNode("alpha");
  EXPECT_TRUE(WaitFor([&] {
    const CommandResult r = cluster_.Node("alpha", {"orders", "--json"});
    return r.exit_code == 0 && nlohmann::json::parse(r.out).size() == 400;
  }, 20000));
}

// Receives until nothing has come for quiet_ms (bounded by timeout_ms); true if an order
// delivery came.
bool DrainDeliveries(RawClient& client, int quiet_ms, int timeout_ms) {
  bool delivered = false;
  const int64_t end = MonotonicMs() + timeout_ms;
  while (MonotonicMs() < end) {
    auto message = client.Receive(quiet_ms);
    if (!message) break;
    delivered |= message->has_orders();
  }
  return delivered;
}

TEST_F(WideCityTest, ARevokedNodeGetsNoMoreDeliveriesDownItsOpenConnection) {
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));  // replays are at most one a second
  RawClient alpha(cluster_.NodeConfig("alpha"));
  alpha.Send(Hello(0));
  ASSERT_TRUE(DrainDeliveries(alpha, 1000, 10000));  // the round's orders
  // While admitted, a cancel reaches it.
  ASSERT_EQ(cluster_.Ctl({"cancel", "1", "--reason", "wrong site"}).exit_code, 0);
  EXPECT_TRUE(DrainDeliveries(alpha, 1000, 5000));
  // Revoked: the next change is not pushed down the connection it still has open.
  std::filesystem::remove(cluster_.dir() + "/keys/alpha.key");
  ASSERT_EQ(kill(cluster_.broker_pid(), SIGHUP), 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  ASSERT_EQ(cluster_.Ctl({"cancel", "2", "--reason", "wrong site"}).exit_code, 0);
  EXPECT_FALSE(DrainDeliveries(alpha, 3000, 4000)) << "an order state was pushed to a revoked key";
}

TEST(Budgets, ARevokedViewerLosesTheLiveFeed) {
  Cluster cluster;
  cluster.StartBroker();
  const std::string feed_out = cluster.dir() + "/follow.out";
  const pid_t follower = fork();
  if (follower == 0) {
    const int fd = open(feed_out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(fd, 1);
    execl(PPE_CTL, PPE_CTL, "--config", (cluster.dir() + "/viewer.yaml").c_str(), "log", "--follow",
          static_cast<char*>(nullptr));
    _exit(127);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  std::filesystem::remove(cluster.dir() + "/keys/viewer.key");
  ASSERT_EQ(kill(cluster.broker_pid(), SIGHUP), 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  // A round after the revocation: its events must not reach the revoked viewer.
  ASSERT_EQ(cluster.Node("sanyuan", {"stock", "sanyuan-wh", "mask.n95", "5000"}).exit_code, 0);
  ASSERT_EQ(cluster.Node("sanyuan", {"demand", "sy-integrated-hospital", "mask.n95", "--on-hand", "0",
                                     "--daily-use", "100"}).exit_code, 0);
  cluster.StartNode("sanyuan");
  ASSERT_TRUE(cluster.WaitDrained("sanyuan"));
  const nlohmann::json round = cluster.CtlJson({"allocate"});
  ASSERT_FALSE(round["orders"].empty());
  std::this_thread::sleep_for(std::chrono::milliseconds(2000));
  kill(follower, SIGKILL);
  waitpid(follower, nullptr, 0);
  std::ifstream in(feed_out);
  const std::string seen((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(seen.find("sy-integrated-hospital"), std::string::npos) << seen;
}

TEST(Budgets, AFigureFarOverTheLastNeedsTheOperatorsConfirmationAtTheBrokerToo) {
  Cluster cluster;
  cluster.StartBroker();
  RawClient sanyuan(cluster.NodeConfig("sanyuan"));
  sanyuan.Send(StockBatch(1, 1, "sanyuan-wh", 10));
  ASSERT_TRUE(sanyuan.WaitAck(1, nullptr));
  // 150x, not confirmed: a client that is not ppe-node skipped the question; the broker asks it.
  std::vector<wire::ReportError> errors;
  sanyuan.Send(StockBatch(2, 1, "sanyuan-wh", 1500));
  ASSERT_TRUE(sanyuan.WaitAck(2, &errors));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].code(), wire::BAD_QUANTITY);
  EXPECT_NE(errors[0].text().find("over 100 times the last figure (10)"), std::string::npos) << errors[0].text();
  EXPECT_EQ(cluster.BrokerStock("sanyuan-wh", "mask.n95"), 10);
  wire::Envelope confirmed = StockBatch(3, 1, "sanyuan-wh", 1500);
  confirmed.mutable_reports()->mutable_reports(0)->set_confirmed(true);
  sanyuan.Send(confirmed);
  ASSERT_TRUE(sanyuan.WaitAck(3, nullptr));
  EXPECT_EQ(cluster.BrokerStock("sanyuan-wh", "mask.n95"), 1500);
  // The same for a site's on-hand figure.
  wire::Envelope demand;
  for (const int64_t on_hand : {20, 3000}) {
    wire::Report* r = demand.mutable_reports()->add_reports();
    r->set_seq(demand.reports().reports_size() + 3);
    r->mutable_demand()->set_site("sy-integrated-hospital");
    r->mutable_demand()->set_item("mask.n95");
    r->mutable_demand()->set_on_hand(on_hand);
    r->mutable_demand()->set_daily_use(100);
  }
  errors.clear();
  sanyuan.Send(demand);
  ASSERT_TRUE(sanyuan.WaitAck(5, &errors));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].seq(), 5u);
  EXPECT_NE(errors[0].text().find("over 100 times the last figure (20)"), std::string::npos) << errors[0].text();
}

TEST(Budgets, ElevenHundredConnectionsWithOneKeyDoNotLockOutTheCity) {
  rlimit limit{};
  getrlimit(RLIMIT_NOFILE, &limit);
  if (limit.rlim_max < 4096) GTEST_SKIP() << "this machine allows only " << limit.rlim_max << " descriptors";
  limit.rlim_cur = limit.rlim_max;
  setrlimit(RLIMIT_NOFILE, &limit);
  Cluster cluster;
  cluster.StartBroker();
  auto config = NodeConfig::Load(cluster.NodeConfig("sanyuan"));
  ASSERT_TRUE(config.ok());
  zmq::context_t context(1);
  context.set(zmq::ctxopt::max_sockets, 4096);
  std::vector<zmq::socket_t> sockets;
  wire::Envelope heartbeat;
  heartbeat.mutable_heartbeat()->set_recorded_head(0);
  for (int i = 0; i < 1100; ++i) {
    sockets.emplace_back(context, zmq::socket_type::dealer);
    ASSERT_TRUE(SecureClientSocket(sockets.back(), config->endpoint).ok());
    sockets.back().set(zmq::sockopt::linger, 0);
    sockets.back().connect(config->endpoint.address);
    zmq::message_t frame = Encode(heartbeat);
    sockets.back().send(frame, zmq::send_flags::dontwait);
  }
  // Past the key's limit (connections_per_key, 32) each connection is refused, saying why.
  // 1,100 CURVE handshakes take a while on a busy machine: each socket's first answer, within 30 s.
  int refused = 0, served = 0;
  std::vector<bool> answered(sockets.size(), false);
  const int64_t deadline = MonotonicMs() + 30000;
  while (refused + served < static_cast<int>(sockets.size()) && MonotonicMs() < deadline) {
    for (size_t i = 0; i < sockets.size(); ++i) {
      zmq::message_t frame;
      if (answered[i] || !sockets[i].recv(frame, zmq::recv_flags::dontwait)) continue;
      wire::Envelope reply;
      if (!Decode(frame, &reply).ok()) continue;
      answered[i] = true;
      if (reply.has_error() && reply.error().code() == wire::FORBIDDEN &&
          reply.error().text().find("connections with this key") != std::string::npos) {
        ++refused;
      } else if (reply.has_ack()) {
        ++served;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  std::cout << "1100 connections with one key: " << served << " served, " << refused << " refused\n";
  EXPECT_EQ(served, 32);
  EXPECT_EQ(refused, 1100 - 32);
  const CommandResult status = cluster.Ctl({"status", "--json"});
  EXPECT_EQ(status.exit_code, 0) << status.err;
  ASSERT_EQ(cluster.Node("meilie", {"stock", "meilie-wh", "sanitizer", "3"}).exit_code, 0);
  cluster.StartNode("meilie");
  EXPECT_TRUE(cluster.WaitDrained("meilie", 15000));
  EXPECT_EQ(cluster.BrokerStock("meilie-wh", "sanitizer"), 3);
}

TEST(Budgets, LogRequestsWithEveryTimeDifferentLeaveNoMemoryBehind) {
  Cluster cluster;
  cluster.StartBroker();
  RawClient viewer(cluster.dir() + "/viewer.yaml");
  const int64_t before = RssMb(cluster.broker_pid());
  for (int i = 0; i < 20000; ++i) {
    wire::Envelope request;
    request.mutable_request()->set_id(i + 1);
    request.mutable_request()->set_command("log");
    request.mutable_request()->set_args_json("{\"since_ms\": " + std::to_string(1'600'000'000'000 + i) + "}");
    viewer.Send(request);
    if (i % 8 == 7) {
      while (auto reply = viewer.Receive(1000)) {
        if (reply->has_reply() && reply->reply().id() == static_cast<uint64_t>(i + 1)) break;
      }
    }
  }
  const int64_t after = RssMb(cluster.broker_pid());
  std::cout << "broker RSS " << before << " MB before, " << after << " MB after 20,000 distinct log requests\n";
  EXPECT_LT(after - before, 30) << "each distinct request left a statement behind";
}

TEST(Budgets, AbsurdHeldFiguresInAHelloOrHeartbeatFailNoCycle) {
  Cluster cluster;
  cluster.StartBroker();
  RawClient sanyuan(cluster.NodeConfig("sanyuan"));
  for (const uint64_t held : {std::numeric_limits<uint64_t>::max(), uint64_t{1} << 50, uint64_t{1} << 30}) {
    wire::Envelope hello = Hello(held);
    hello.mutable_hello()->set_oldest_held(held);
    sanyuan.Send(hello);
    wire::Envelope heartbeat;
    heartbeat.mutable_heartbeat()->set_orders_held(held);
    sanyuan.Send(heartbeat);
    sanyuan.Send(heartbeat);  // twice: a second marker at the same seq must not fail the cycle
  }
  sanyuan.Send(StockBatch(1, 1, "sanyuan-wh", 40));
  ASSERT_TRUE(sanyuan.WaitAck(1, nullptr));
  EXPECT_EQ(cluster.BrokerStock("sanyuan-wh", "mask.n95"), 40);
  // Meilie reports while sanyuan's absurd heartbeats keep coming, so they share cycles.
  std::atomic<bool> done{false};
  std::thread absurd([&] {
    wire::Envelope heartbeat;
    heartbeat.mutable_heartbeat()->set_orders_held(std::numeric_limits<uint64_t>::max());
    while (!done) {
      sanyuan.Send(heartbeat);
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  });
  ASSERT_EQ(cluster.Node("meilie", {"stock", "meilie-wh", "sanitizer", "3"}).exit_code, 0);
  cluster.StartNode("meilie");
  EXPECT_TRUE(cluster.WaitDrained("meilie", 10000));
  done = true;
  absurd.join();
  EXPECT_EQ(cluster.BrokerStock("meilie-wh", "sanitizer"), 3);
  EXPECT_EQ(cluster.Ctl({"check"}).exit_code, 0);
}

int64_t StoredRefusals(const std::string& store) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(store.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) return -1;
  sqlite3_stmt* stmt = nullptr;
  int64_t rows = -1;
  if (sqlite3_prepare_v2(db, "SELECT COUNT(*) FROM refusals", -1, &stmt, nullptr) == SQLITE_OK &&
      sqlite3_step(stmt) == SQLITE_ROW) {
    rows = sqlite3_column_int64(stmt, 0);
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return rows;
}

TEST(Budgets, RefusalAndHelloFloodsStayWithinTheirMinuteBudgets) {
  Cluster cluster;
  // A second key for meilie's county, spoken by the test itself, so its acks can be timed.
  ASSERT_EQ(RunCommand({PPE_CTL, "keys", "add", "meilie-raw", "--role", "node", "--county", "meilie", "--dir",
                        cluster.dir()}).exit_code, 0);
  cluster.StartBroker();
  const std::string log = cluster.dir() + "/logs/broker.log";
  const std::string store = cluster.dir() + "/data/broker.db";
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  const int64_t log_before = FileBytes(log);
  std::atomic<int64_t> refused_sent{0};
  std::atomic<bool> done{false};
  std::thread flood([&] {
    RawClient sanyuan(cluster.NodeConfig("sanyuan"));
    const std::string unknown(120, 'w');  // an unknown warehouse id of 120 characters
    uint64_t seq = 1;
    while (!done) {
      sanyuan.Send(StockBatch(seq, 512, unknown, 1));
      sanyuan.Send(Hello(0));
      seq += 512;
      refused_sent += 512;
      sanyuan.Receive(1);
    }
  });
  // Meilie is served throughout: its reports' acknowledgements, measured at the wire.
  RawClient meilie(cluster.NodeConfig("meilie-raw"));
  std::vector<int64_t> ack_ms;
  for (int i = 1; i <= 100; ++i) {
    const int64_t start = MonotonicMs();
    meilie.Send(StockBatch(i, 1, "meilie-wh", i));
    ASSERT_TRUE(meilie.WaitAck(i, nullptr, 5000)) << "meilie's report " << i << " was not acknowledged";
    ack_ms.push_back(MonotonicMs() - start);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  std::sort(ack_ms.begin(), ack_ms.end());
  const int64_t worst_ms = ack_ms.back(), p99_ms = ack_ms[98];
  done = true;
  flood.join();
  const int64_t log_growth = FileBytes(log) - log_before;
  const int64_t stored = StoredRefusals(store);
  std::cout << "flood: " << refused_sent << " refused reports sent; broker log +" << log_growth / 1024
            << " KB, " << stored << " refusal rows stored; another node's acks p99 " << p99_ms
            << " ms, worst " << worst_ms << " ms\n";
  EXPECT_GT(refused_sent, 10000);
  EXPECT_LT(log_growth, 100 * 1024) << "refusals or hellos are logged one line each";
  EXPECT_GT(stored, 0);
  EXPECT_LE(stored, 2 * 600) << "refusals stored one by one past the minute's budget";
  EXPECT_LE(p99_ms, 1000);
}

}  // namespace
}  // namespace ppe::testing
