// ppe-loadgen: simulates N county nodes (CURVE, the deployment's real node keys) against a running
// ppe-broker; measures durable reports/s (max mode) or ack latency at a fixed offered rate (paced).
#include <CLI/CLI.hpp>
#include <sys/resource.h>

#include <deque>
#include <filesystem>
#include <iostream>
#include <memory>
#include <zmq.hpp>

#include "bench/bench_util.h"
#include "common/city.h"
#include "common/deployment.h"
#include "common/wire.h"

namespace ppe::bench {
namespace {

struct Options {
  std::string deploy;
  int nodes = 0;          // 0: every county node of the deployment
  double seconds = 5;     // how long to send
  uint64_t reports = 0;   // stop sending after this many (0: time only)
  double rate = 0;        // reports/s offered; 0: as fast as acks allow
  size_t batch = 0;       // reports per frame; 0: 512 at max, rate/1000 (>= 1) when paced
  uint64_t window = 8192; // unacknowledged reports per node, as ppe-node keeps
  double drain_s = 15;    // after sending stops, wait this long at most for the last acks
  std::string trace;      // if set: one line per acknowledged frame written here
  bool json = false;
};

// A frame on the wire: its last seq, how many reports, when it left.
struct InFlight {
  uint64_t last_seq;
  uint32_t count;
  int64_t sent_us;
};

struct SimNode {
  std::string name;
  wire::Report proto;  // the receipt it repeats
  std::unique_ptr<zmq::socket_t> socket;
  bool welcomed = false;
  uint64_t next_seq = 1;
  uint64_t acked = 0;
  std::deque<InFlight> in_flight;
};

// An acknowledged frame, for --trace: when it left (steady clock), how long its ack took.
struct Traced {
  int64_t sent_us;
  int64_t latency_us;
  uint32_t count;
};

struct Totals {
  uint64_t sent = 0, acked = 0, frames = 0, refused = 0, resumes = 0, errors = 0;
  int64_t first_send_us = 0, last_ack_us = 0;
  Latencies latency;
  std::vector<Traced> trace;  // only with --trace
};

class LoadGenerator {
 public:
  explicit LoadGenerator(const Options& o) : o_(o) {}

  Status Setup() {
    namespace fs = std::filesystem;
    std::vector<std::string> configs;
    for (const auto& entry : fs::directory_iterator(fs::path(o_.deploy) / "nodes")) {
      // city.yaml is the reserve's node: it has no county warehouse of its own to receive at.
      if (entry.path().extension() == ".yaml" && entry.path().stem() != "city") {
        configs.push_back(entry.path().string());
      }
    }
    std::sort(configs.begin(), configs.end());
    const size_t want = o_.nodes > 0 ? static_cast<size_t>(o_.nodes) : configs.size();
    if (want > configs.size()) {
      // Two sockets with one key would share one seq stream at the broker and trip over it.
      return Status::Error("the deployment has only " + std::to_string(configs.size()) +
                           " county nodes");
    }
    for (size_t i = 0; i < want; ++i) {
      auto config = NodeConfig::Load(configs[i]);
      if (!config.ok()) return config.status();
      if (!city_) {
        auto city = City::Load(config->city);
        if (!city.ok()) return city.status();
        city_ = std::make_unique<City>(std::move(*city));
      }
      const Warehouse* own = nullptr;
      for (const Warehouse& w : city_->warehouses()) {
        if (w.county == config->county) {
          own = &w;
          break;
        }
      }
      if (!own) return Status::Error("county " + config->county + " has no warehouse");
      SimNode node;
      node.name = config->node;
      node.proto = ReceiptTemplate(own->id, city_->items().front().id);
      node.socket = std::make_unique<zmq::socket_t>(context_, zmq::socket_type::dealer);
      PPE_RETURN_IF_ERROR(SecureClientSocket(*node.socket, config->endpoint));
      node.socket->set(zmq::sockopt::sndhwm, 100000);
      node.socket->set(zmq::sockopt::rcvhwm, 100000);
      node.socket->connect(config->endpoint.address);
      nodes_.push_back(std::move(node));
    }
    return Status::Ok();
  }

  // Hello from every node; the broker's Welcome says where each seq stream resumes.
  Status Greet() {
    for (SimNode& node : nodes_) {
      wire::Envelope hello;
      hello.mutable_hello()->set_software_version("ppe-loadgen");
      hello.mutable_hello()->set_recorded_head(0);
            Send(node, hello);
    }
    const int64_t deadline = NowUs() + 15'000'000;
    while (NowUs() < deadline) {
      if (std::all_of(nodes_.begin(), nodes_.end(), [](const SimNode& n) { return n.welcomed; })) {
        return Status::Ok();
      }
      Poll(100);
    }
    return Status::Error("no Welcome from the broker within 15 s for every node");
  }

  Totals Run() {
    const bool paced = o_.rate > 0;
    const size_t batch = o_.batch > 0 ? o_.batch
                         : paced      ? std::max<size_t>(1, static_cast<size_t>(o_.rate / 1000))
                                      : 512;
    const double frame_interval_us = paced ? 1e6 * static_cast<double>(batch) / o_.rate : 0;
    const int64_t start = NowUs();
    const int64_t stop_sending = start + static_cast<int64_t>(o_.seconds * 1e6);
    totals_.first_send_us = start;
    uint64_t frames_due = 0;
    size_t turn = 0;
    for (;;) {
      const int64_t now = NowUs();
      const bool sending = now < stop_sending && (o_.reports == 0 || totals_.sent < o_.reports);
      if (!sending) break;
      if (paced) {
        // Every frame due by now goes out, round robin over the nodes.
        const uint64_t due = static_cast<uint64_t>(static_cast<double>(now - start) / frame_interval_us) + 1;
        for (; frames_due < due; ++frames_due) {
          SendFrame(nodes_[turn++ % nodes_.size()], batch);
        }
        const int64_t next_us = start + static_cast<int64_t>(static_cast<double>(frames_due) * frame_interval_us);
        // Rounded up: a frame leaves at most 1 ms late rather than the loop spinning a core.
        Poll(static_cast<int>(std::max<int64_t>(0, (next_us - NowUs() + 999) / 1000)));
      } else {
        for (SimNode& node : nodes_) {
          while (node.next_seq - 1 - node.acked + batch <= o_.window) SendFrame(node, batch);
        }
        Poll(100);
      }
    }
    // Drain: only acks from here on.
    const int64_t deadline = NowUs() + static_cast<int64_t>(o_.drain_s * 1e6);
    while (totals_.acked < totals_.sent && NowUs() < deadline) Poll(50);
    return std::move(totals_);
  }

 private:
  void SendFrame(SimNode& node, size_t count) {
    if (o_.reports > 0) count = std::min<uint64_t>(count, o_.reports - totals_.sent);
    if (count == 0) return;
    if (!Send(node, ReportFrame(node.proto, node.next_seq, count))) return;
    node.next_seq += count;
    node.in_flight.push_back({node.next_seq - 1, static_cast<uint32_t>(count), NowUs()});
    totals_.sent += count;
    totals_.frames++;
  }

  bool Send(SimNode& node, const wire::Envelope& envelope) {
    zmq::message_t frame = Encode(envelope);
    return node.socket->send(frame, zmq::send_flags::dontwait).has_value();
  }

  void Poll(int timeout_ms) {
    items_.resize(nodes_.size());
    for (size_t i = 0; i < nodes_.size(); ++i) items_[i] = {nodes_[i].socket->handle(), 0, ZMQ_POLLIN, 0};
    zmq::poll(items_.data(), items_.size(), std::chrono::milliseconds(timeout_ms));
    for (size_t i = 0; i < nodes_.size(); ++i) {
      if (items_[i].revents & ZMQ_POLLIN) Receive(nodes_[i]);
    }
  }

  void Receive(SimNode& node) {
    for (;;) {
      zmq::message_t frame;
      if (!node.socket->recv(frame, zmq::recv_flags::dontwait)) return;
      wire::Envelope envelope;
      if (!Decode(frame, &envelope).ok()) continue;
      const int64_t now = NowUs();
      switch (envelope.body_case()) {
        case wire::Envelope::kWelcome:
          node.welcomed = true;
          node.acked = envelope.welcome().last_applied_seq();
          node.next_seq = node.acked + 1;
          break;
        case wire::Envelope::kAck: {
          const uint64_t up_to = envelope.ack().up_to_seq();
          if (up_to <= node.acked) break;
          totals_.acked += up_to - node.acked;
          totals_.last_ack_us = now;
          node.acked = up_to;
          while (!node.in_flight.empty() && node.in_flight.front().last_seq <= up_to) {
            const InFlight& f = node.in_flight.front();
            totals_.latency.Add(static_cast<double>(now - f.sent_us) / 1000.0, f.count);
            if (!o_.trace.empty()) totals_.trace.push_back({f.sent_us, now - f.sent_us, f.count});
            node.in_flight.pop_front();
          }
          break;
        }
        case wire::Envelope::kReportError:
          totals_.refused++;
          break;
        case wire::Envelope::kResume:
          // Never expected on loopback; counted so a run that saw one is not trusted.
          totals_.resumes++;
          break;
        case wire::Envelope::kError:
          // The first says why; the rest would only flood the terminal.
          if (totals_.errors++ == 0) std::cerr << "ppe-loadgen: broker error: " << envelope.error().text() << "\n";
          break;
        default:
          break;  // order deliveries: not ours to store
      }
    }
  }

  Options o_;
  zmq::context_t context_{1};
  std::unique_ptr<City> city_;
  std::vector<SimNode> nodes_;
  std::vector<zmq::pollitem_t> items_;
  Totals totals_;
};

// --trace FILE: "sent_unix_ms latency_ms reports" per acknowledged frame, in ack order, so a
// latency can be lined up with what else happened then (a dry run, a checkpoint).
bool WriteTrace(const std::string& path, const std::vector<Traced>& trace) {
  using namespace std::chrono;
  const int64_t unix_minus_steady_us =
      duration_cast<microseconds>(system_clock::now().time_since_epoch()).count() - NowUs();
  std::FILE* out = std::fopen(path.c_str(), "w");
  if (!out) return false;
  for (const Traced& t : trace) {
    std::fprintf(out, "%.3f %.3f %u\n", static_cast<double>(t.sent_us + unix_minus_steady_us) / 1000.0,
                 static_cast<double>(t.latency_us) / 1000.0, t.count);
  }
  return std::fclose(out) == 0;
}

double CpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

}  // namespace
}  // namespace ppe::bench

int main(int argc, char** argv) {
  using namespace ppe::bench;
  CLI::App app{"ppe-loadgen: N simulated county nodes reporting receipts to a running ppe-broker"};
  Options o;
  app.add_option("--deploy", o.deploy, "deployment folder written by 'ppe-ctl init'")->required();
  app.add_option("--nodes", o.nodes, "county nodes to simulate (default: all)");
  app.add_option("--seconds", o.seconds, "how long to send (default 5)");
  app.add_option("--reports", o.reports, "stop after this many reports (default: time only)");
  app.add_option("--rate", o.rate, "offered reports/s, paced (default: max throughput)");
  app.add_option("--batch", o.batch, "reports per frame (default 512; rate/1000 when paced)");
  app.add_option("--window", o.window, "unacknowledged reports per node (default 8192)");
  app.add_option("--drain", o.drain_s, "seconds to wait for the last acks (default 15)");
  app.add_option("--trace", o.trace, "write 'sent_unix_ms latency_ms reports' per acknowledged frame here");
  app.add_flag("--json", o.json, "one JSON object instead of a table");
  CLI11_PARSE(app, argc, argv);

  LoadGenerator generator(o);
  if (auto s = generator.Setup(); !s.ok()) {
    std::cerr << "ppe-loadgen: " << s.message() << "\n";
    return 2;
  }
  if (auto s = generator.Greet(); !s.ok()) {
    std::cerr << "ppe-loadgen: " << s.message() << "\n";
    return 1;
  }
  const double cpu0 = CpuSeconds();
  Totals t = generator.Run();
  const double cpu = CpuSeconds() - cpu0;
  if (!o.trace.empty() && !WriteTrace(o.trace, t.trace)) {
    std::cerr << "ppe-loadgen: cannot write " << o.trace << "\n";
    return 2;
  }
  const double elapsed_s = static_cast<double>(std::max<int64_t>(1, t.last_ack_us - t.first_send_us)) / 1e6;
  const double rate = static_cast<double>(t.acked) / elapsed_s;
  JsonLine line;
  line.Str("mode", o.rate > 0 ? "paced" : "max")
      .Num("offered_per_s", o.rate)
      .Num("reports_sent", static_cast<double>(t.sent))
      .Num("reports_acked", static_cast<double>(t.acked))
      .Num("frames", static_cast<double>(t.frames))
      .Num("seconds", elapsed_s)
      .Num("reports_per_s", rate)
      .Num("p50_ms", t.latency.Quantile(0.5))
      .Num("p99_ms", t.latency.Quantile(0.99))
      .Num("p999_ms", t.latency.Quantile(0.999))
      .Num("max_ms", t.latency.Quantile(1.0))
      .Num("refused", static_cast<double>(t.refused))
      .Num("resumes", static_cast<double>(t.resumes))
      .Num("errors", static_cast<double>(t.errors))
      .Num("loadgen_cpu_s", cpu);
  if (o.json) {
    std::cout << line.str() << "\n";
  } else {
    std::printf("%s: %llu of %llu reports acknowledged in %.2f s = %.0f durable reports/s\n",
                o.rate > 0 ? "paced" : "max", static_cast<unsigned long long>(t.acked),
                static_cast<unsigned long long>(t.sent), elapsed_s, rate);
    std::printf("ack latency: p50 %.2f ms, p99 %.2f ms, p99.9 %.2f ms, max %.2f ms\n",
                t.latency.Quantile(0.5), t.latency.Quantile(0.99), t.latency.Quantile(0.999),
                t.latency.Quantile(1.0));
    std::printf("refused %llu, resumes %llu, load generator CPU %.2f s\n",
                static_cast<unsigned long long>(t.refused), static_cast<unsigned long long>(t.resumes), cpu);
  }
  return t.acked == t.sent && t.refused == 0 && t.resumes == 0 && t.errors == 0 ? 0 : 1;
}
