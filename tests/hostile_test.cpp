// A real broker against hostile clients holding valid keys: garbage, wrong frame counts, oversized
// frames, replayed and far-future sequence numbers, a flood; and the roles: unknown and revoked
// keys, a viewer allocating, a node acting for another county. The broker answers or drops the
// connection, applies nothing it should not, keeps serving the others and stays small.
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>
#include <thread>

#include "common/wire.h"
#include "common/clock.h"
#include "tests/cluster.h"
#include "tests/raw_client.h"

namespace ppe::testing {
namespace {

// VmRSS (now) or VmHWM (peak) of a process, in MB, from /proc.
int64_t MemoryMb(pid_t pid, const std::string& field) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind(field + ":", 0) == 0) return std::stoll(line.substr(field.size() + 1)) / 1024;
  }
  return -1;
}

// The next message of the kind `has` picks, within timeout_ms, skipping others (acks, resumes).
template <typename Pick>
std::optional<wire::Envelope> NextWhere(RawClient& client, Pick has, int timeout_ms = 5000) {
  const int64_t deadline = MonotonicMs() + timeout_ms;
  while (MonotonicMs() < deadline) {
    auto envelope = client.Receive(static_cast<int>(std::max<int64_t>(1, deadline - MonotonicMs())));
    if (envelope && has(*envelope)) return envelope;
  }
  return std::nullopt;
}

std::optional<wire::Error> NextError(RawClient& client, int timeout_ms = 5000) {
  auto e = NextWhere(client, [](const wire::Envelope& m) { return m.has_error(); }, timeout_ms);
  return e ? std::optional<wire::Error>(e->error()) : std::nullopt;
}

void ExpectRefused(RawClient& client, wire::ErrorCode code, const std::string& words) {
  const auto error = NextError(client);
  ASSERT_TRUE(error) << "no error for: " << words;
  EXPECT_EQ(error->code(), code) << error->text();
  EXPECT_NE(error->text().find(words), std::string::npos) << error->text() << " (expected: " << words << ")";
}

void ExpectLedgerClean(Cluster& cluster) {
  const CommandResult check = cluster.Ctl({"check"});
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
}

// A DEALER of its own for what RawClient cannot send: several frames in one message.
void SendMultipart(const std::string& node_config, const std::vector<std::string>& frames,
                   std::string* first_reply) {
  auto config = NodeConfig::Load(node_config);
  ASSERT_TRUE(config.ok());
  zmq::context_t context(1);
  zmq::socket_t dealer(context, zmq::socket_type::dealer);
  ASSERT_TRUE(SecureClientSocket(dealer, config->endpoint).ok());
  dealer.connect(config->endpoint.address);
  for (size_t i = 0; i < frames.size(); ++i) {
    dealer.send(zmq::buffer(frames[i]), i + 1 < frames.size() ? zmq::send_flags::sndmore : zmq::send_flags::none);
  }
  zmq::pollitem_t items[] = {{dealer.handle(), 0, ZMQ_POLLIN, 0}};
  zmq::poll(items, 1, std::chrono::milliseconds(5000));
  zmq::message_t reply;
  if ((items[0].revents & ZMQ_POLLIN) && dealer.recv(reply, zmq::recv_flags::dontwait)) {
    wire::Envelope envelope;
    if (Decode(reply, &envelope).ok() && envelope.has_error()) *first_reply = envelope.error().text();
  }
}

TEST(Hostile, MalformedFramesAreRefusedAndTheBrokerServesOn) {
  Cluster cluster;
  cluster.StartBroker();
  RawClient sanyuan(cluster.NodeConfig("sanyuan"));
  sanyuan.Send(StockBatch(1, 1, "sanyuan-wh", 100));
  ASSERT_TRUE(sanyuan.WaitAck(1, nullptr));

  sanyuan.SendRaw("");
  ExpectRefused(sanyuan, wire::MALFORMED, "empty frame");
  const std::string batch = StockBatch(2, 3, "sanyuan-wh", 5).SerializeAsString();
  sanyuan.SendRaw(batch.substr(0, batch.size() - 7));
  ExpectRefused(sanyuan, wire::MALFORMED, "not a valid message");
  sanyuan.SendRaw(std::string(64, '\xff'));
  ExpectRefused(sanyuan, wire::MALFORMED, "not a valid message");
  sanyuan.SendRaw("\x9a\x06\x03" "abc");  // only a field no release knows
  ExpectRefused(sanyuan, wire::MALFORMED, "unknown type");
  wire::Envelope welcome;  // a message only the broker sends
  welcome.mutable_welcome()->set_last_applied_seq(9);
  sanyuan.Send(welcome);
  ExpectRefused(sanyuan, wire::MALFORMED, "cannot send this message type");
  sanyuan.SendRaw(std::string(3 << 20, '\xff'));  // large, but within max_message_bytes
  ExpectRefused(sanyuan, wire::MALFORMED, "not a valid message");

  std::mt19937 rng(5);
  for (int i = 0; i < 500; ++i) {
    std::string noise(rng() % 300 + 1, '\0');
    for (char& c : noise) c = static_cast<char>(rng());
    sanyuan.SendRaw(noise);
  }
  std::string reply;
  SendMultipart(cluster.NodeConfig("sanyuan"), {batch, batch}, &reply);
  EXPECT_NE(reply.find("expected one frame per message, got 2"), std::string::npos) << reply;

  // Over max_message_bytes (4 MiB): libzmq drops the connection before the broker sees a byte.
  RawClient oversized(cluster.NodeConfig("sanyuan"));
  oversized.SendRaw(std::string(6 << 20, 'x'));
  EXPECT_FALSE(oversized.Receive(1500));

  RawClient again(cluster.NodeConfig("sanyuan"));
  again.Send(StockBatch(2, 1, "sanyuan-wh", 250));
  EXPECT_TRUE(again.WaitAck(2, nullptr));
  EXPECT_EQ(cluster.BrokerStock("sanyuan-wh", "mask.n95"), 250);
  EXPECT_TRUE(cluster.BrokerRunning());
  ExpectLedgerClean(cluster);
}

TEST(Hostile, ReplayedAndFarFutureSequenceNumbersApplyNothing) {
  Cluster cluster;
  cluster.StartBroker();
  RawClient sanyuan(cluster.NodeConfig("sanyuan"));
  sanyuan.Send(StockBatch(1, 3, "sanyuan-wh", 300));
  ASSERT_TRUE(sanyuan.WaitAck(3, nullptr));

  sanyuan.Send(StockBatch(2, 2, "sanyuan-wh", 999999));  // replayed: acknowledged, not applied
  EXPECT_TRUE(sanyuan.WaitAck(3, nullptr));
  for (uint64_t future : {uint64_t{1'000'000}, std::numeric_limits<uint64_t>::max()}) {
    sanyuan.Send(StockBatch(future, 1, "sanyuan-wh", 777));
    const auto resume = NextWhere(sanyuan, [](const wire::Envelope& m) { return m.has_resume(); });
    ASSERT_TRUE(resume) << "no Resume for seq " << future;
    EXPECT_EQ(resume->resume().expected_seq(), 4u);
  }
  EXPECT_EQ(cluster.BrokerStock("sanyuan-wh", "mask.n95"), 300);

  sanyuan.Send(StockBatch(4, 1, "sanyuan-wh", 40));  // the stream goes on from the gap
  EXPECT_TRUE(sanyuan.WaitAck(4, nullptr));
  EXPECT_EQ(cluster.BrokerStock("sanyuan-wh", "mask.n95"), 40);
  ExpectLedgerClean(cluster);
}

TEST(Hostile, OversizedBatchesAndFieldsAreRefused) {
  Cluster cluster;
  cluster.StartBroker();
  RawClient sanyuan(cluster.NodeConfig("sanyuan"));
  sanyuan.Send(StockBatch(1, 4097, "sanyuan-wh", 12));
  ExpectRefused(sanyuan, wire::MALFORMED, "at most 4096 a frame");
  EXPECT_EQ(cluster.BrokerStock("sanyuan-wh", "mask.n95"), -1);

  wire::Envelope batch = StockBatch(1, 2, "sanyuan-wh", 12);
  batch.mutable_reports()->mutable_reports(0)->mutable_stock()->set_warehouse(std::string(200000, 'w'));
  sanyuan.Send(batch);
  std::vector<wire::ReportError> errors;
  ASSERT_TRUE(sanyuan.WaitAck(2, &errors));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].code(), wire::MALFORMED);
  EXPECT_LT(errors[0].text().size(), 200u);  // the refusal does not echo the field
  EXPECT_EQ(cluster.BrokerStock("sanyuan-wh", "mask.n95"), 12);
  ExpectLedgerClean(cluster);
}

// Three connections of one key queue 3,000 messages while the broker is stopped; on resume the
// key gets its budget and RATE_LIMITED for the rest, and another node is served in that cycle.
TEST(Hostile, AKeyOverItsBudgetIsRateLimitedAndAnotherNodeServedAlongside) {
  Cluster cluster;
  cluster.StartBroker();
  std::vector<std::unique_ptr<RawClient>> flooders;
  for (int i = 0; i < 3; ++i) flooders.push_back(std::make_unique<RawClient>(cluster.NodeConfig("sanyuan")));
  RawClient meilie(cluster.NodeConfig("meilie"));
  for (auto& f : flooders) {  // connected and greeted before the pause
    f->Send(StockBatch(1, 1, "sanyuan-wh", 1));
    ASSERT_TRUE(f->WaitAck(1, nullptr));
  }
  wire::Envelope heartbeat;
  heartbeat.mutable_heartbeat()->set_recorded_head(1);
  ASSERT_EQ(kill(cluster.broker_pid(), SIGSTOP), 0);
  for (int n = 0; n < 1000; ++n) {
    for (auto& f : flooders) f->Send(heartbeat);
  }
  meilie.Send(StockBatch(1, 1, "meilie-wh", 64));
  const int64_t resumed = MonotonicMs();
  ASSERT_EQ(kill(cluster.broker_pid(), SIGCONT), 0);
  EXPECT_TRUE(meilie.WaitAck(1, nullptr, 10000));
  std::cout << "another node's ack " << MonotonicMs() - resumed << " ms after the broker resumed\n";

  int rate_limited = 0;
  for (auto& f : flooders) {
    while (auto e = NextWhere(*f, [](const wire::Envelope& m) { return m.has_error(); }, 1500)) {
      rate_limited += e->error().code() == wire::RATE_LIMITED;
    }
  }
  EXPECT_GE(rate_limited, 1);
  EXPECT_EQ(cluster.BrokerStock("meilie-wh", "mask.n95"), 64);
}

// Tens of thousands of hostile frames from one key, while the meilie node daemon reports: its
// reports keep arriving, the broker's memory stays under 300 MB and the ledger stays clean.
TEST(Hostile, AFloodLeavesAnotherNodeServedAndTheBrokerSmall) {
  Cluster cluster;
  cluster.StartBroker();
  cluster.StartNode("meilie");
  ASSERT_EQ(cluster.Node("meilie", {"stock", "meilie-wh", "sanitizer", "10"}).exit_code, 0);
  ASSERT_TRUE(cluster.WaitDrained("meilie"));

  constexpr int kFrames = 60000;
  std::atomic<bool> flooding{true};
  std::atomic<int> sent{0};
  int64_t flood_ms = 0;
  std::thread flood([&] {
    RawClient sanyuan(cluster.NodeConfig("sanyuan"));
    sanyuan.Send(StockBatch(1, 512, "sanyuan-wh", 5));  // applied once; replayed below
    sanyuan.WaitAck(512, nullptr, 10000);
    const std::string replayed = StockBatch(1, 512, "sanyuan-wh", 999).SerializeAsString();
    const std::string future = StockBatch(1'000'000, 64, "sanyuan-wh", 999).SerializeAsString();
    wire::Envelope heartbeat;
    heartbeat.mutable_heartbeat()->set_recorded_head(512);
    std::mt19937 rng(11);
    const int64_t start = MonotonicMs();
    for (int i = 0; i < kFrames; ++i) {
      switch (i % 5) {
        case 0: sanyuan.SendRaw(""); break;
        case 1: sanyuan.SendRaw(std::string(rng() % 2048 + 1, static_cast<char>(rng() | 0x80))); break;
        case 2: sanyuan.Send(heartbeat); break;
        case 3: sanyuan.SendRaw(replayed); break;
        case 4: sanyuan.SendRaw(future); break;
      }
      sent = i + 1;
    }
    flood_ms = MonotonicMs() - start;
    sanyuan.Receive(2000);  // let the last frames leave before the socket closes
    flooding = false;
  });

  // Meilie's counts during the flood: each must reach the broker.
  int64_t worst_ms = 0;
  int counted_during_flood = 0;
  for (int count = 11; flooding && count < 200; ++count) {
    const int64_t start = MonotonicMs();
    ASSERT_EQ(cluster.Node("meilie", {"stock", "meilie-wh", "sanitizer", std::to_string(count)}).exit_code, 0);
    ASSERT_TRUE(WaitFor([&] { return cluster.BrokerStock("meilie-wh", "sanitizer") == count; }, 15000))
        << "meilie's count " << count << " did not arrive during the flood";
    worst_ms = std::max(worst_ms, MonotonicMs() - start);
    counted_during_flood += flooding ? 1 : 0;
  }
  flood.join();
  const int64_t peak_mb = MemoryMb(cluster.broker_pid(), "VmHWM");
  std::cout << "flood: " << sent << " frames in " << flood_ms << " ms; " << counted_during_flood
            << " of meilie's counts arrived during it, the slowest in " << worst_ms
            << " ms (record to visible in ppe-ctl); broker peak RSS " << peak_mb << " MB, now "
            << MemoryMb(cluster.broker_pid(), "VmRSS") << " MB\n";
  EXPECT_EQ(sent, kFrames);
  EXPECT_GE(counted_during_flood, 1);
  EXPECT_GT(peak_mb, 0);
  EXPECT_LT(peak_mb, 300);
  EXPECT_EQ(cluster.BrokerStock("sanyuan-wh", "mask.n95"), 5);  // replays applied nothing
  ExpectLedgerClean(cluster);
}

// `ppe-ctl keys add` on a running deployment: unknown to the broker until SIGHUP; removed from the
// key folder and SIGHUP: refused at once, on a new connection and on one already open.
TEST(Roles, AddedKeysNeedAReloadAndRemovedKeysAreCutOff) {
  Cluster cluster;
  cluster.StartBroker();
  auto keys = [&](const std::vector<std::string>& args) {
    std::vector<std::string> argv = {PPE_CTL, "keys"};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.insert(argv.end(), {"--dir", cluster.dir()});
    return RunCommand(argv);
  };
  const CommandResult added = keys({"add", "lab", "--role", "viewer"});
  ASSERT_EQ(added.exit_code, 0) << added.err;
  EXPECT_NE(added.out.find("kill -HUP"), std::string::npos) << added.out;
  ASSERT_EQ(keys({"add", "sanyuan-2", "--role", "node", "--county", "sanyuan"}).exit_code, 0);
  const CommandResult taken = keys({"add", "lab", "--role", "coordinator"});
  EXPECT_NE(taken.exit_code, 0);
  EXPECT_NE(taken.err.find("is taken"), std::string::npos) << taken.err;
  const CommandResult listed = keys({"list", "--json"});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_NE(listed.out.find("\"sanyuan-2\""), std::string::npos);

  // Unknown to the running broker: refused.
  const CommandResult unknown = cluster.Ctl({"stock"}, "lab");
  EXPECT_NE(unknown.exit_code, 0);
  EXPECT_NE(unknown.err.find("refused this key"), std::string::npos) << unknown.err;

  ASSERT_EQ(kill(cluster.broker_pid(), SIGHUP), 0);
  EXPECT_TRUE(WaitFor([&] { return cluster.Ctl({"stock"}, "lab").exit_code == 0; }, 10000));
  RawClient open(cluster.NodeConfig("sanyuan-2"));
  open.Send(StockBatch(1, 1, "sanyuan-wh", 70));
  ASSERT_TRUE(open.WaitAck(1, nullptr));
  EXPECT_EQ(cluster.BrokerStock("sanyuan-wh", "mask.n95"), 70);

  std::filesystem::remove(cluster.dir() + "/keys/sanyuan-2.key");
  std::filesystem::remove(cluster.dir() + "/keys/lab.key");
  ASSERT_EQ(kill(cluster.broker_pid(), SIGHUP), 0);
  wire::Envelope heartbeat;
  heartbeat.mutable_heartbeat()->set_recorded_head(1);
  std::optional<wire::Error> cut_off;
  EXPECT_TRUE(WaitFor([&] {
    open.Send(heartbeat);
    cut_off = NextError(open, 200);
    return cut_off.has_value();
  }, 10000));
  ASSERT_TRUE(cut_off);
  EXPECT_EQ(cut_off->code(), wire::FORBIDDEN);
  EXPECT_NE(cut_off->text().find("no longer admitted"), std::string::npos) << cut_off->text();
  open.Send(StockBatch(2, 1, "sanyuan-wh", 9999));  // the open connection applies nothing more

  RawClient fresh(cluster.NodeConfig("sanyuan-2"));
  fresh.Send(StockBatch(2, 1, "sanyuan-wh", 8888));
  EXPECT_FALSE(fresh.Receive(1500));  // refused at the handshake: no answer at all
  EXPECT_EQ(cluster.BrokerStock("sanyuan-wh", "mask.n95"), 70);
  const CommandResult revoked = cluster.Ctl({"stock"}, "lab");
  EXPECT_NE(revoked.exit_code, 0);
  EXPECT_NE(revoked.err.find("refused this key"), std::string::npos) << revoked.err;
}

TEST(Roles, AViewerCannotAllocateOrCancel) {
  Cluster cluster;
  cluster.StartBroker();
  const CommandResult allocate = cluster.Ctl({"allocate"}, "viewer");
  EXPECT_NE(allocate.exit_code, 0);
  EXPECT_NE(allocate.err.find("a viewer key cannot run an allocation round"), std::string::npos) << allocate.err;
  EXPECT_EQ(cluster.Ctl({"allocate", "--dry-run"}, "viewer").exit_code, 0);  // a preview is reading
  const CommandResult cancel = cluster.Ctl({"cancel", "1", "--reason", "x"}, "viewer");
  EXPECT_NE(cancel.exit_code, 0);
  EXPECT_NE(cancel.err.find("cannot cancel"), std::string::npos) << cancel.err;
}

// A client that skips the node's questions gains nothing: the broker asks them again. A daily use
// over 10x the last needs the confirmation flag; a count dated before the last one is refused.
TEST(Hostile, TheBrokerChecksTheDailyUseGuardAndCountOrderItself) {
  Cluster cluster;
  cluster.StartBroker();
  RawClient meilie(cluster.NodeConfig("meilie"));
  const auto send = [&](wire::Envelope batch, uint64_t seq) {
    meilie.Send(batch);
    std::vector<wire::ReportError> refused;
    EXPECT_TRUE(meilie.WaitAck(seq, &refused));
    return refused;
  };
  EXPECT_TRUE(send(DemandBatch(1, "sm-first-hospital", 300), 1).empty());
  const auto slip = send(DemandBatch(2, "sm-first-hospital", 300000), 2);
  ASSERT_EQ(slip.size(), 1u);
  EXPECT_EQ(slip[0].code(), wire::BAD_QUANTITY);
  EXPECT_NE(slip[0].text().find("over 10 times the last one (300)"), std::string::npos) << slip[0].text();
  wire::Envelope confirmed = DemandBatch(3, "sm-first-hospital", 300000);
  confirmed.mutable_reports()->mutable_reports(0)->set_confirmed(true);
  EXPECT_TRUE(send(confirmed, 3).empty());

  const int64_t now = NowMs();
  wire::Envelope dated = DemandBatch(4, "sm-first-hospital", 300000);
  dated.mutable_reports()->mutable_reports(0)->mutable_demand()->set_as_of_ms(now - 3600 * 1000);
  EXPECT_TRUE(send(dated, 4).empty());
  wire::Envelope older = DemandBatch(5, "sm-first-hospital", 300000);
  older.mutable_reports()->mutable_reports(0)->mutable_demand()->set_as_of_ms(now - 7200 * 1000);
  const auto out_of_order = send(older, 5);
  ASSERT_EQ(out_of_order.size(), 1u);
  EXPECT_EQ(out_of_order[0].code(), wire::OUT_OF_ORDER);
  EXPECT_NE(out_of_order[0].text().find("oldest first"), std::string::npos) << out_of_order[0].text();
  for (const nlohmann::json& row : cluster.CtlJson({"demand"})) {
    if (row["site"] == "sm-first-hospital") {
      EXPECT_EQ(row["reported_daily_use"], 300000) << row.dump();
    }
  }
}

// Sanyuan's warehouse ships to Meilie's hospital: neither Youxi nor Meilie may ship it, no node may
// report for another county's site, and a node key cannot use ctl commands.
TEST(Roles, ANodeCannotActForAnotherCounty) {
  Cluster cluster;
  cluster.StartBroker();
  RawClient sanyuan(cluster.NodeConfig("sanyuan"));
  RawClient meilie(cluster.NodeConfig("meilie"));
  RawClient youxi(cluster.NodeConfig("youxi"));
  sanyuan.Send(StockBatch(1, 1, "sanyuan-wh", 100000));
  ASSERT_TRUE(sanyuan.WaitAck(1, nullptr));
  meilie.Send(DemandBatch(1, "sm-first-hospital", 1000));
  ASSERT_TRUE(meilie.WaitAck(1, nullptr));

  sanyuan.Send(DemandBatch(2, "sm-first-hospital", 1000));  // the same site's demand from Sanyuan's key
  std::vector<wire::ReportError> errors;
  ASSERT_TRUE(sanyuan.WaitAck(2, &errors));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].code(), wire::NOT_YOUR_COUNTY);
  EXPECT_NE(errors[0].text().find("belongs to meilie"), std::string::npos) << errors[0].text();

  const nlohmann::json round = cluster.CtlJson({"allocate"});
  ASSERT_FALSE(round["orders"].empty()) << round.dump();
  const nlohmann::json& order = round["orders"][0];
  ASSERT_EQ(order["from_warehouse"], "sanyuan-wh") << order.dump();
  auto ship = [&](RawClient& node, uint64_t seq) {
    wire::Envelope step;
    wire::Report* r = step.mutable_reports()->add_reports();
    r->set_seq(seq);
    r->mutable_order_step()->set_order_id(order["id"].get<uint64_t>());
    r->mutable_order_step()->set_step(wire::SHIP);
    node.Send(step);
    std::vector<wire::ReportError> refused;
    EXPECT_TRUE(node.WaitAck(seq, &refused));
    return refused;
  };
  for (auto* other : {&youxi, &meilie}) {
    const auto refused = ship(*other, other == &youxi ? 1 : 2);
    ASSERT_EQ(refused.size(), 1u);
    EXPECT_EQ(refused[0].code(), wire::NOT_YOUR_COUNTY);
    EXPECT_NE(refused[0].text().find("ships from sanyuan"), std::string::npos) << refused[0].text();
  }
  EXPECT_TRUE(ship(sanyuan, 3).empty());

  wire::Envelope request;
  request.mutable_request()->set_id(1);
  request.mutable_request()->set_command("stock");
  sanyuan.Send(request);
  const auto reply = NextWhere(sanyuan, [](const wire::Envelope& m) { return m.has_reply(); });
  ASSERT_TRUE(reply);
  EXPECT_FALSE(reply->reply().ok());
  EXPECT_EQ(reply->reply().code(), wire::FORBIDDEN);
  ExpectLedgerClean(cluster);
}

}  // namespace
}  // namespace ppe::testing
