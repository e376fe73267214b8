// ppe-webclients: N people keeping a ppe-web page open, as the page's own script does: each asks
// /api/version every 1.5 s on a kept-alive connection of its own and loads the page again when the
// version moved. One process with a thread per client, so the figure measured beside it is the
// server's, not the cost of starting a client program per request.
#include <CLI/CLI.hpp>
#include <httplib.h>

#include <nlohmann/json.hpp>

#include <atomic>
#include <iostream>
#include <mutex>
#include <regex>
#include <thread>

#include "bench/bench_util.h"

namespace ppe::bench {
namespace {

struct Target {
  std::string host, path;
  int port = 0;
};

bool ParseUrl(const std::string& url, Target& target) {
  static const std::regex form(R"(http://([^:/]+):([0-9]+)(/.*)?)");
  std::smatch m;
  if (!std::regex_match(url, m, form)) return false;
  target.host = m[1];
  target.port = std::stoi(m[2]);
  target.path = m[3].matched ? m[3].str() : "/";
  return true;
}

struct Tally {
  std::mutex mutex;
  Latencies pages, polls;
  std::atomic<int64_t> failures{0};
  std::string first_failure;

  void Fail(const std::string& why) {
    if (failures.fetch_add(1) == 0) {
      std::lock_guard lock(mutex);
      first_failure = why;
    }
  }
  void Add(Latencies& into, double ms) {
    std::lock_guard lock(mutex);
    into.Add(ms);
  }
};

// One client until `end_us`: the first tick waits `offset_ms`, since people do not open a page in
// the same millisecond.
void Client(const Target& target, int interval_ms, int offset_ms, int64_t end_us, Tally& tally) {
  httplib::Client http(target.host, target.port);
  http.set_keep_alive(true);
  http.set_read_timeout(10, 0);
  int64_t seen = -1;  // the version the open page shows, as the script compares it
  std::this_thread::sleep_for(std::chrono::milliseconds(offset_ms));
  while (NowUs() < end_us) {
    const int64_t t0 = NowUs();
    auto version = http.Get("/api/version");
    const int64_t t1 = NowUs();
    if (!version || version->status != 200) {
      tally.Fail("/api/version: " + (version ? std::to_string(version->status) : httplib::to_string(version.error())));
    } else {
      tally.Add(tally.polls, (t1 - t0) / 1000.0);
      const auto reply = nlohmann::json::parse(version->body, nullptr, false);
      const int64_t now = reply.is_object() ? reply.value("version", int64_t{-1}) : -1;
      if (now != seen) {
        auto page = http.Get(target.path);
        if (!page || page->status != 200) {
          tally.Fail(target.path + ": " + (page ? std::to_string(page->status) : httplib::to_string(page.error())));
        } else {
          tally.Add(tally.pages, (NowUs() - t1) / 1000.0);
          seen = now;
        }
      }
    }
    const int64_t next_us = t0 + int64_t{interval_ms} * 1000;
    const int64_t wait_us = std::min(next_us, end_us) - NowUs();
    if (wait_us > 0) std::this_thread::sleep_for(std::chrono::microseconds(wait_us));
  }
}

int Run(const Target& target, int clients, double seconds, int interval_ms, bool json) {
  Tally tally;
  const int64_t end_us = NowUs() + static_cast<int64_t>(seconds * 1e6);
  std::vector<std::thread> threads;
  for (int i = 0; i < clients; ++i)
    threads.emplace_back(Client, std::cref(target), interval_ms, interval_ms * i / clients, end_us, std::ref(tally));
  for (auto& t : threads) t.join();
  JsonLine line;
  line.Num("clients", clients)
      .Num("seconds", seconds)
      .Num("polls", static_cast<double>(tally.polls.count()))
      .Num("pages", static_cast<double>(tally.pages.count()))
      .Num("failures", static_cast<double>(tally.failures.load()))
      .Num("poll_p99_ms", tally.polls.Quantile(0.99))
      .Num("page_p50_ms", tally.pages.Quantile(0.5))
      .Num("page_p99_ms", tally.pages.Quantile(0.99));
  if (json) {
    std::cout << line.str() << "\n";
  } else {
    std::cout << clients << " clients, " << seconds << " s: " << tally.polls.count() << " polls (p99 "
              << tally.polls.Quantile(0.99) << " ms), " << tally.pages.count() << " pages (p50 "
              << tally.pages.Quantile(0.5) << " ms, p99 " << tally.pages.Quantile(0.99) << " ms), "
              << tally.failures.load() << " failed\n";
  }
  if (tally.failures.load() > 0) {
    std::cerr << "ppe-webclients: " << tally.failures.load() << " requests failed; the first: " << tally.first_failure
              << "\n";
    return 1;
  }
  return 0;
}

}  // namespace
}  // namespace ppe::bench

int main(int argc, char** argv) {
  CLI::App app{"ppe-webclients: people keeping a ppe-web page open (polls /api/version, reloads on change)"};
  std::string url;
  int clients = 10, interval_ms = 1500;
  double seconds = 5;
  bool json = false;
  app.add_option("--url", url, "the page, http://HOST:PORT/PATH")->required();
  app.add_option("--clients", clients, "how many people keep it open")->check(CLI::Range(1, 1000));
  app.add_option("--seconds", seconds, "how long")->check(CLI::Range(0.1, 3600.0));
  app.add_option("--interval-ms", interval_ms, "between two version polls of one client")->check(CLI::Range(10, 60000));
  app.add_flag("--json", json, "one JSON line: polls, pages, failures, latencies");
  CLI11_PARSE(app, argc, argv);
  ppe::bench::Target target;
  if (!ppe::bench::ParseUrl(url, target)) {
    std::cerr << "ppe-webclients: --url must be http://HOST:PORT/PATH, not '" << url << "'\n";
    return 2;
  }
  return ppe::bench::Run(target, clients, seconds, interval_ms, json);
}
