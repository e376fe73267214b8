// ppe-rawbench: what this machine allows without the broker's logic: SQLite batched inserts of
// ledger rows (WAL, synchronous=FULL) and a ZeroMQ CURVE DEALER->ROUTER stream of loadgen frames.
#include <CLI/CLI.hpp>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <iostream>
#include <thread>
#include <zmq.hpp>

#include "bench/bench_util.h"
#include "broker/broker_store.h"
#include "common/wire.h"

namespace ppe::bench {
namespace {

struct Options {
  std::string what;
  double seconds = 3;
  int rows_per_txn = 100;
  size_t reports_per_frame = 512;  // as ppe-node and ppe-loadgen frame them
  int window_frames = 16;          // 8192 reports in flight, as ppe-node keeps
  std::string dir = "/tmp";
  bool json = false;
};

// The broker's own store and insert (BrokerStore::AppendEvent), without any report logic around it.
int SqliteBench(const Options& o) {
  const std::string path = o.dir + "/ppe-rawbench-" + std::to_string(getpid()) + ".db";
  auto store = BrokerStore::Open(path);
  if (!store.ok()) {
    std::cerr << "ppe-rawbench: " << store.status().message() << "\n";
    return 1;
  }
  const std::string detail = R"({"source":"PRODUCTION"})";
  uint64_t rows = 0, txns = 0;
  const int64_t start = NowUs(), stop = start + static_cast<int64_t>(o.seconds * 1e6);
  Status s;
  while (s.ok() && NowUs() < stop) {
    s = (*store)->Begin();
    for (int i = 0; s.ok() && i < o.rows_per_txn; ++i) {
      ++rows;
      const auto n = static_cast<int64_t>(rows);
      const ReportOrigin origin{"raw", rows, n, n};
      s = (*store)->AppendEvent(origin, "receipt", "raw-wh", "mask.n95", 1, 1, detail);
    }
    if (s.ok()) s = (*store)->Commit();
    ++txns;
  }
  const double elapsed = static_cast<double>(NowUs() - start) / 1e6;
  store->reset();
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
  if (!s.ok()) {
    std::cerr << "ppe-rawbench: " << s.message() << "\n";
    return 1;
  }
  JsonLine line;
  line.Str("bench", "sqlite").Num("rows_per_txn", o.rows_per_txn).Num("rows", static_cast<double>(rows))
      .Num("seconds", elapsed).Num("rows_per_s", static_cast<double>(rows) / elapsed)
      .Num("commits_per_s", static_cast<double>(txns) / elapsed);
  if (o.json) {
    std::cout << line.str() << "\n";
  } else {
    std::printf("sqlite: %.0f rows/s, %.0f commits/s (%d rows a transaction, WAL, synchronous=FULL)\n",
                static_cast<double>(rows) / elapsed, static_cast<double>(txns) / elapsed, o.rows_per_txn);
  }
  return 0;
}

// Two contexts, as two processes would have, each with its own I/O thread doing the CURVE work.
int CurveBench(const Options& o) {
  char server_public[41], server_secret[41], client_public[41], client_secret[41];
  zmq_curve_keypair(server_public, server_secret);
  zmq_curve_keypair(client_public, client_secret);
  zmq::context_t server_context(1), client_context(1);
  zmq::socket_t router(server_context, zmq::socket_type::router);
  router.set(zmq::sockopt::curve_server, 1);
  router.set(zmq::sockopt::curve_secretkey, std::string(server_secret));
  router.set(zmq::sockopt::linger, 0);
  router.set(zmq::sockopt::rcvhwm, 100000);
  router.set(zmq::sockopt::sndhwm, 100000);
  router.bind("tcp://127.0.0.1:*");
  const std::string endpoint = router.get(zmq::sockopt::last_endpoint);

  std::atomic<bool> stop{false};
  // The ROUTER acknowledges every frame, as the broker acks every frame's batch.
  std::thread server([&] {
    wire::Envelope ack;
    uint64_t up_to = 0;
    while (!stop.load()) {
      zmq::pollitem_t item{router.handle(), 0, ZMQ_POLLIN, 0};
      zmq::poll(&item, 1, std::chrono::milliseconds(50));
      zmq::message_t id, frame;
      while (router.recv(id, zmq::recv_flags::dontwait)) {
        (void)router.recv(frame, zmq::recv_flags::none);
        ack.mutable_ack()->set_up_to_seq(++up_to);
        router.send(id, zmq::send_flags::sndmore);
        router.send(Encode(ack), zmq::send_flags::none);
      }
    }
  });

  zmq::socket_t dealer(client_context, zmq::socket_type::dealer);
  dealer.set(zmq::sockopt::curve_serverkey, std::string(server_public));
  dealer.set(zmq::sockopt::curve_publickey, std::string(client_public));
  dealer.set(zmq::sockopt::curve_secretkey, std::string(client_secret));
  dealer.set(zmq::sockopt::linger, 0);
  dealer.connect(endpoint);
  // Same bytes as a loadgen frame: the size (and so the encryption work) matches.
  const wire::Envelope sample =
      ReportFrame(ReceiptTemplate("sanyuan-wh", "mask.n95"), 1'000'000, o.reports_per_frame);
  const zmq::message_t proto = Encode(sample);
  uint64_t sent = 0, acked = 0;
  const int64_t start = NowUs(), end = start + static_cast<int64_t>(o.seconds * 1e6);
  while (NowUs() < end) {
    while (sent - acked < static_cast<uint64_t>(o.window_frames)) {
      zmq::message_t frame(proto.data(), proto.size());
      dealer.send(frame, zmq::send_flags::none);
      ++sent;
    }
    zmq::pollitem_t item{dealer.handle(), 0, ZMQ_POLLIN, 0};
    zmq::poll(&item, 1, std::chrono::milliseconds(100));
    zmq::message_t in;
    while (dealer.recv(in, zmq::recv_flags::dontwait)) ++acked;
  }
  const double elapsed = static_cast<double>(NowUs() - start) / 1e6;
  stop = true;
  server.join();
  const double frames_per_s = static_cast<double>(acked) / elapsed;
  JsonLine line;
  line.Str("bench", "curve").Num("frame_bytes", static_cast<double>(proto.size()))
      .Num("reports_per_frame", static_cast<double>(o.reports_per_frame))
      .Num("frames_per_s", frames_per_s)
      .Num("reports_per_s", frames_per_s * static_cast<double>(o.reports_per_frame))
      .Num("mib_per_s", frames_per_s * static_cast<double>(proto.size()) / (1 << 20));
  if (o.json) {
    std::cout << line.str() << "\n";
  } else {
    std::printf("curve: %.0f frames/s of %zu bytes (%.0f MiB/s) = %.0f reports/s equivalent\n",
                frames_per_s, proto.size(), frames_per_s * static_cast<double>(proto.size()) / (1 << 20),
                frames_per_s * static_cast<double>(o.reports_per_frame));
  }
  return 0;
}

}  // namespace
}  // namespace ppe::bench

int main(int argc, char** argv) {
  using namespace ppe::bench;
  CLI::App app{"ppe-rawbench: this machine's raw SQLite and CURVE rates, for the broker to be measured against"};
  Options o;
  app.add_option("what", o.what, "sqlite or curve")->required()->check(CLI::IsMember({"sqlite", "curve"}));
  app.add_option("--seconds", o.seconds, "how long (default 3)");
  app.add_option("--rows-per-txn", o.rows_per_txn, "sqlite: rows a transaction (default 100)");
  app.add_option("--reports-per-frame", o.reports_per_frame, "curve: reports a frame (default 512)");
  app.add_option("--window", o.window_frames, "curve: frames in flight (default 16)");
  app.add_option("--dir", o.dir, "sqlite: folder for the scratch database (default /tmp)");
  app.add_flag("--json", o.json, "one JSON object");
  CLI11_PARSE(app, argc, argv);
  return o.what == "sqlite" ? SqliteBench(o) : CurveBench(o);
}
