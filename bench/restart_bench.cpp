// ppe-restartbench: fills a deployment's broker store to N events through the broker's own write
// path, then times ppe-broker from process start until it answers a `stock` request, R times.
#include <CLI/CLI.hpp>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <fstream>
#include <iostream>
#include <thread>
#include <zmq.hpp>

#include "bench/bench_util.h"
#include "broker/broker_store.h"
#include "common/city.h"
#include "common/deployment.h"
#include "common/wire.h"

extern char** environ;

namespace ppe::bench {
namespace {

struct Options {
  std::string deploy, broker;
  int64_t events = 1'000'000;
  int runs = 3;
  bool json = false;
};

// Receipts spread over the county nodes, each with its gap-free seq, applied as the broker applies
// them (BrokerStore::ApplyReceipt, progress written at commit), 20,000 a transaction.
Status Fill(const BrokerConfig& config, int64_t target) {
  auto city = City::Load(config.city);
  if (!city.ok()) return city.status();
  auto store = BrokerStore::Open(config.store);
  if (!store.ok()) return store.status();
  BrokerStore& s = **store;
  std::vector<const Warehouse*> own;
  for (const Warehouse& w : city->warehouses()) {
    if (w.county != kCityCounty) own.push_back(&w);
  }
  if (own.empty()) return Status::Error("the city has no county warehouse");
  const std::string item = city->items().front().id;
  const int64_t now = NowMs();
  for (int64_t have = s.EventCount(); have < target;) {
    PPE_RETURN_IF_ERROR(s.Begin());
    for (int i = 0; i < 20'000 && have < target; ++i, ++have) {
      const Warehouse& w = *own[have % own.size()];
      NodeProgress& p = s.Progress(w.county, w.county);
      wire::Receipt receipt;
      receipt.set_warehouse(w.id);
      receipt.set_item(item);
      receipt.set_quantity(1);
      receipt.set_source(wire::PRODUCTION);
      PPE_RETURN_IF_ERROR(s.ApplyReceipt({w.county, p.last_seq + 1, now, now}, receipt));
      p.last_seq++;
    }
    PPE_RETURN_IF_ERROR(s.Commit());
  }
  return Status::Ok();
}

// Asks `stock` as ppe-ctl does (ctl.yaml's key), reconnecting every 10 ms: the answer's arrival,
// in µs on NowUs()'s clock, or -1 after the deadline.
int64_t FirstAnswer(const ClientConfig& ctl, int64_t deadline_us) {
  zmq::context_t context(1);
  zmq::socket_t socket(context, zmq::socket_type::dealer);
  if (!SecureClientSocket(socket, ctl.endpoint).ok()) return -1;
  socket.set(zmq::sockopt::reconnect_ivl, 10);
  socket.connect(ctl.endpoint.address);
  uint64_t id = 0;
  int64_t next_ask = 0;
  while (NowUs() < deadline_us) {
    // A request queued before the broker listened may sit in a dead pipe: ask again now and then.
    if (NowUs() >= next_ask) {
      wire::Envelope request;
      request.mutable_request()->set_id(++id);
      request.mutable_request()->set_command("stock");
      request.mutable_request()->set_args_json("{}");
      socket.send(Encode(request), zmq::send_flags::dontwait);
      next_ask = NowUs() + 500'000;
    }
    zmq::pollitem_t item{socket.handle(), 0, ZMQ_POLLIN, 0};
    zmq::poll(&item, 1, std::chrono::milliseconds(5));
    zmq::message_t in;
    while (socket.recv(in, zmq::recv_flags::dontwait)) {
      wire::Envelope reply;
      if (Decode(in, &reply).ok() && reply.has_reply() && reply.reply().ok()) return NowUs();
    }
  }
  return -1;
}

int64_t PeakRssKb(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stoll(line.substr(6));
  }
  return -1;
}

void Stop(pid_t pid) {
  kill(pid, SIGTERM);
  for (int i = 0; i < 100; ++i) {  // 10 s, then no more patience
    if (waitpid(pid, nullptr, WNOHANG) == pid) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
}

}  // namespace
}  // namespace ppe::bench

int main(int argc, char** argv) {
  using namespace ppe;
  using namespace ppe::bench;
  CLI::App app{"ppe-restartbench: broker restart to serving with N events stored"};
  Options o;
  app.add_option("--deploy", o.deploy, "deployment folder written by 'ppe-ctl init'")->required();
  app.add_option("--broker", o.broker, "the ppe-broker binary")->required();
  app.add_option("--events", o.events, "events the store must hold (default 1,000,000)");
  app.add_option("--runs", o.runs, "restarts to time (default 3)");
  app.add_flag("--json", o.json, "one JSON object per run");
  CLI11_PARSE(app, argc, argv);

  const std::string broker_yaml = o.deploy + "/broker.yaml";
  auto config = BrokerConfig::Load(broker_yaml);
  auto ctl = ClientConfig::Load(o.deploy + "/ctl.yaml");
  if (!config.ok() || !ctl.ok()) {
    std::cerr << "ppe-restartbench: " << (config.ok() ? ctl.status() : config.status()).message() << "\n";
    return 2;
  }
  const int64_t fill_start = NowUs();
  if (Status s = Fill(*config, o.events); !s.ok()) {
    std::cerr << "ppe-restartbench: filling the store: " << s.message() << "\n";
    return 1;
  }
  const double fill_s = static_cast<double>(NowUs() - fill_start) / 1e6;
  int failures = 0;
  for (int run = 0; run < o.runs; ++run) {
    std::vector<std::string> args = {o.broker, "--config", broker_yaml};
    std::vector<char*> argv_c;
    for (std::string& a : args) argv_c.push_back(a.data());
    argv_c.push_back(nullptr);
    // The broker's console output goes beside its log, not into our table.
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    const std::string out = o.deploy + "/logs/restart-bench.out";
    posix_spawn_file_actions_addopen(&actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    pid_t pid = -1;
    const int64_t start = NowUs();
    const int spawned = posix_spawn(&pid, o.broker.c_str(), &actions, nullptr, argv_c.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (spawned != 0) {
      std::cerr << "ppe-restartbench: cannot start " << o.broker << "\n";
      return 1;
    }
    const int64_t answered = FirstAnswer(*ctl, start + 30'000'000);
    const int64_t rss_kb = PeakRssKb(pid);
    Stop(pid);
    if (answered < 0) {
      std::cerr << "ppe-restartbench: no answer within 30 s\n";
      ++failures;
      continue;
    }
    const double ms = static_cast<double>(answered - start) / 1000.0;
    JsonLine line;
    line.Str("bench", "restart").Num("events", static_cast<double>(o.events)).Num("fill_s", fill_s)
        .Num("restart_ms", ms).Num("peak_rss_mib", static_cast<double>(rss_kb) / 1024.0);
    if (o.json) {
      std::cout << line.str() << "\n";
    } else {
      std::printf("restart %d: serving after %.1f ms with %lld events (peak RSS %.1f MiB)\n", run + 1, ms,
                  static_cast<long long>(o.events), static_cast<double>(rss_kb) / 1024.0);
    }
  }
  return failures == 0 ? 0 : 1;
}
