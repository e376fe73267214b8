// ppe-soak: a soak test of a real deployment (scripts/soak.sh; not part of scripts/test.sh).
//
// The real Sanming city file, a broker and three county node daemons on loopback (tests/cluster.h).
// The driver records thousands of reports at the nodes (CSV imports and single commands: receipts
// into each county's own warehouse, stock counts, demand at the county's sites), runs allocation
// rounds now and then, and ships, rejects and receives the orders the nodes hold, while another
// thread SIGKILLs the broker (--kills times, 50-400 ms apart, restarted at once) and each node
// daemon a few times. Then everything drains (every open order is shipped and received) and the
// driver checks what it knows it sent against what the broker and the nodes hold:
//
//  * every report at the broker exactly once: the driver knows the seq and kind of every report it
//    recorded at a node (a node's seqs are gap-free), so each must have exactly its ledger entry in
//    the broker's store (receipt, count, demand, ship, landed [+ discrepancy]; none for a reject),
//    of its quantity; each node's last_ack = its recorded head = what the broker applied; nothing
//    refused;
//  * every warehouse figure = the driver's replay of its counts, receipts and shipments; every site
//    figure = its last demand report plus what was received after it; nothing reserved or in
//    transit once drained;
//  * every order exactly once at each node it names, with the broker's status and quantities; the
//    orders the driver shipped, received and rejected are exactly those the broker says;
//    each node holds its whole delivery queue and the broker knows it;
//  * the dispatch log file (logs/dispatch.jsonl and its rotations) = `ppe-ctl log --json`:
//    as many lines, the same order/status sequence (and the same event ids where both carry them);
//  * `ppe-ctl check` exits 0.
//
// Any difference prints a FAIL line and the exit status is 1. The last line is the figures.
#include <fcntl.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "tests/cluster.h"

namespace {

using json = nlohmann::json;
using ppe::testing::Cluster;
using ppe::testing::CommandResult;
using Clock = std::chrono::steady_clock;

const std::vector<std::string> kCounties = {"meilie", "sanyuan", "yongan"};
const std::vector<std::string> kItems = {"mask.n95", "mask.surgical", "disinfectant", "sanitizer"};

struct Options {
  int kills = 50;
  int node_kills = 2;  // per node daemon
  int reports = 8000;
  uint64_t seed = 0;
  bool seed_given = false;
  bool keep = false;
  int max_seconds = 900;
};

double Since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

void SleepMs(int ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }

// Runs a program to completion, at most timeout_ms (then SIGKILL, exit_code -2). Unlike the
// harness's RunCommand it reports nothing to gtest: a ppe-ctl call cut off by a broker kill is
// expected here, and the caller decides what a failure means.
CommandResult Run(const std::vector<std::string>& argv, int timeout_ms) {
  char out_path[] = "/tmp/ppe-soak-out-XXXXXX";
  char err_path[] = "/tmp/ppe-soak-err-XXXXXX";
  const int out_fd = mkostemp(out_path, O_CLOEXEC);
  const int err_fd = mkostemp(err_path, O_CLOEXEC);
  CommandResult result;
  if (out_fd < 0 || err_fd < 0) {
    result.err = "cannot create a temporary file";
    return result;
  }
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(out_fd, 1);
    dup2(err_fd, 2);
    execv(args[0], args.data());
    _exit(127);
  }
  close(out_fd);
  close(err_fd);
  int status = 0;
  bool timed_out = false;
  const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  while (waitpid(pid, &status, WNOHANG) == 0) {
    if (Clock::now() > deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      timed_out = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  result.exit_code = timed_out ? -2 : WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  auto slurp = [](const char* path) {
    std::stringstream s;
    s << std::ifstream(path).rdbuf();
    return s.str();
  };
  result.out = slurp(out_path);
  result.err = slurp(err_path);
  unlink(out_path);
  unlink(err_path);
  return result;
}

std::string FirstLine(const std::string& text) {
  const std::string t = text.substr(0, text.find('\n'));
  return t.size() > 300 ? t.substr(0, 300) + "..." : t;
}

// Column values of every row of `sql` on a SQLite file, as text (NULL as "").
std::vector<std::vector<std::string>> SqlRows(const std::string& db_path, const std::string& sql,
                                              std::string* error) {
  std::vector<std::vector<std::string>> rows;
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    *error = "cannot open " + db_path + ": " + (db ? sqlite3_errmsg(db) : "?");
    sqlite3_close(db);
    return rows;
  }
  sqlite3_busy_timeout(db, 10000);
  sqlite3_stmt* q = nullptr;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &q, nullptr) != SQLITE_OK) {
    *error = std::string("cannot query ") + db_path + ": " + sqlite3_errmsg(db);
    sqlite3_close(db);
    return rows;
  }
  int rc;
  while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
    std::vector<std::string> row;
    for (int i = 0; i < sqlite3_column_count(q); ++i) {
      const unsigned char* text = sqlite3_column_text(q, i);
      row.emplace_back(text ? reinterpret_cast<const char*>(text) : "");
    }
    rows.push_back(std::move(row));
  }
  if (rc != SQLITE_DONE) *error = std::string("query on ") + db_path + " failed: " + sqlite3_errmsg(db);
  sqlite3_finalize(q);
  sqlite3_close(db);
  return rows;
}

// What one report the driver recorded at a node must leave in the broker's ledger.
struct Expected {
  std::string kind;  // receipt, count, demand, ship, landed; "" for a reject (no ledger entry)
  std::string place, item;
  int64_t quantity = 0;
  int64_t discrepancy = 0;  // a short receipt: the missing units, a `discrepancy` entry
};

struct Shared {
  std::atomic<int> broker_kills{0};
  std::atomic<int> node_kills{0};
  std::atomic<int64_t> reports{0};
  std::atomic<bool> killer_done{false};
  std::atomic<bool> stop{false};  // a fatal failure: everyone winds down
  std::mutex mutex;
  std::vector<std::string> failures;

  void Fail(const std::string& what) {
    std::lock_guard<std::mutex> lock(mutex);
    failures.push_back(what);
    std::cout << "FAIL " << what << std::endl;
  }
  void Fatal(const std::string& what) {
    Fail(what);
    stop = true;
  }
  size_t FailureCount() {
    std::lock_guard<std::mutex> lock(mutex);
    return failures.size();
  }
};

class Soak {
 public:
  Soak(const Options& options, Cluster& cluster, Shared& shared)
      : opt_(options), cluster_(cluster), sh_(shared), rng_(options.seed) {}

  // ---- commands ---------------------------------------------------------------------------------

  CommandResult Node(const std::string& node, const std::vector<std::string>& args, int timeout_ms = 30000) {
    std::vector<std::string> argv = {PPE_NODE, "--config", cluster_.NodeConfig(node)};
    argv.insert(argv.end(), args.begin(), args.end());
    return Run(argv, timeout_ms);
  }

  CommandResult Ctl(const std::vector<std::string>& args, int timeout_ms = 20000,
                    const std::string& config = "ctl") {
    std::vector<std::string> argv = {PPE_CTL, "--config", cluster_.dir() + "/" + config + ".yaml"};
    argv.insert(argv.end(), args.begin(), args.end());
    return Run(argv, timeout_ms);
  }

  // `ppe-ctl ARGS --json`, parsed; null (and a FAIL when `must`) if it fails.
  json CtlJson(std::vector<std::string> args, bool must, int timeout_ms = 20000, const std::string& config = "ctl") {
    args.push_back("--json");
    const CommandResult r = Ctl(args, timeout_ms, config);
    json parsed = r.exit_code == 0 ? json::parse(r.out, nullptr, false) : json();
    if (parsed.is_discarded()) parsed = json();
    if (parsed.is_null() && must) {
      sh_.Fail("ppe-ctl " + args[0] + " failed (exit " + std::to_string(r.exit_code) + "): " + FirstLine(r.err));
    }
    return parsed;
  }

  json NodeJson(const std::string& node, const std::vector<std::string>& args) {
    const CommandResult r = Node(node, args);
    json parsed = r.exit_code == 0 ? json::parse(r.out, nullptr, false) : json();
    if (parsed.is_discarded() || r.exit_code != 0) {
      sh_.Fail("ppe-node " + node + " " + args[0] + " failed (exit " + std::to_string(r.exit_code) +
               "): " + FirstLine(r.err));
      return json();
    }
    return parsed;
  }

  // ---- setup ------------------------------------------------------------------------------------

  bool Setup() {
    const json sites = CtlJson({"sites"}, true);
    if (!sites.is_array()) return false;
    for (const json& s : sites) {
      const std::string county = s.value("county", "");
      if (std::find(kCounties.begin(), kCounties.end(), county) != kCounties.end()) {
        sites_[county].push_back(s["id"].get<std::string>());
      }
    }
    for (const std::string& c : kCounties) {
      if (sites_[c].empty()) {
        sh_.Fail("the city file has no sites in " + c);
        return false;
      }
      ledger_[c];  // every node has its list, even if empty
    }
    return true;
  }

  // ---- the workload -----------------------------------------------------------------------------

  template <typename T>
  T Uniform(T lo, T hi) {
    return std::uniform_int_distribution<T>(lo, hi)(rng_);
  }
  bool Chance(double p) { return std::uniform_real_distribution<double>(0, 1)(rng_) < p; }
  template <typename T>
  const T& Pick(const std::vector<T>& v) {
    return v[Uniform<size_t>(0, v.size() - 1)];
  }

  // A report the node recorded: its seq is the next of that node (gap-free), and its expectation.
  void Recorded(const std::string& node, Expected e, const std::string& out = "") {
    std::vector<Expected>& list = ledger_[node];
    list.push_back(std::move(e));
    ++sh_.reports;
    static const std::regex as_report("as report ([0-9]+)");
    std::smatch m;
    if (!out.empty() && std::regex_search(out, m, as_report) &&
        std::stoll(m[1].str()) != static_cast<int64_t>(list.size())) {
      sh_.Fail(node + ": recorded as report " + m[1].str() + ", the driver counted " + std::to_string(list.size()) +
               " (its seqs are not what the driver assumes)");
    }
  }

  bool Check(const std::string& node, const CommandResult& r, const std::string& what) {
    if (r.exit_code == 0) return true;
    sh_.Fatal("ppe-node " + node + " " + what + " exited " + std::to_string(r.exit_code) + ": " + FirstLine(r.err));
    return false;
  }

  static std::string Warehouse(const std::string& county) { return county + "-wh"; }

  void Receipt(const std::string& county) {
    const std::string wh = Warehouse(county), item = Pick(kItems);
    const int64_t qty = Chance(0.05) ? Uniform<int64_t>(1000, 5000) : Uniform<int64_t>(1, 300);
    std::vector<std::string> args = {"receipt", wh, item, std::to_string(qty)};
    const int source = Uniform(0, 2);
    if (source == 1) args.insert(args.end(), {"--source", "donation", "--from", "Donor " + std::to_string(Uniform(1, 40))});
    if (source == 2) args.insert(args.end(), {"--source", "transfer", "--from", "city-reserve"});
    if (Chance(0.2)) args.insert(args.end(), {"--reference", "WB-" + std::to_string(Uniform(10000, 99999))});
    const CommandResult r = Node(county, args);
    if (!Check(county, r, "receipt")) return;
    stock_[{wh, item}] += qty;
    Recorded(county, {"receipt", wh, item, qty, 0}, r.out);
  }

  void Demand(const std::string& county) {
    const std::string site = Pick(sites_[county]), item = Pick(kItems);
    const int64_t on_hand = Uniform<int64_t>(0, 300), daily_use = Uniform<int64_t>(10, 200);
    // Random figures trip the 10x daily-use guard now and then: confirmed, as in the imports.
    const CommandResult r = Node(county, {"demand", site, item, "--on-hand", std::to_string(on_hand),
                                          "--daily-use", std::to_string(daily_use), "--confirm"});
    if (!Check(county, r, "demand")) return;
    site_[{site, item}] = on_hand;
    last_figure_[{county, site + "|" + item}] = on_hand;
    Recorded(county, {"demand", site, item, on_hand, 0}, r.out);
  }

  // A physical count: what the driver's replay says is there, give or take a few units found or
  // missing. Counts replace the figure, so the replay takes the counted figure as it is.
  void Count(const std::string& county) {
    const std::string wh = Warehouse(county), item = Pick(kItems);
    const int64_t counted = std::max<int64_t>(0, stock_[{wh, item}] + Uniform<int64_t>(-3, 3));
    std::vector<std::string> args = {"stock", wh, item, std::to_string(counted)};
    // The node refuses a figure over 100 times the last count unless confirmed (ppe-node stock).
    const auto last = last_figure_.find({county, wh + "|" + item});
    if (last != last_figure_.end() && counted >= 1000 && counted > 100 * std::max<int64_t>(last->second, 1)) {
      args.push_back("--confirm");
    }
    const CommandResult r = Node(county, args);
    if (!Check(county, r, "stock")) return;
    stock_[{wh, item}] = counted;
    last_figure_[{county, wh + "|" + item}] = counted;
    Recorded(county, {"count", wh, item, counted, 0}, r.out);
  }

  // Many rows at once: receipts mostly, some demand reports.
  void Import(const std::string& county, int rows) {
    const std::string path = cluster_.dir() + "/soak-" + county + "-" + std::to_string(++imports_) + ".csv";
    std::ofstream out(path);
    out << "type,place,item,quantity,daily_use,source,from\n";
    std::vector<Expected> expected;
    std::map<std::pair<std::string, std::string>, int64_t> stock = stock_, site = site_;
    for (int i = 0; i < rows; ++i) {
      const std::string item = Pick(kItems);
      if (Chance(0.12)) {
        const std::string s = Pick(sites_[county]);
        const int64_t on_hand = Uniform<int64_t>(0, 300), daily_use = Uniform<int64_t>(10, 200);
        out << "demand," << s << "," << item << "," << on_hand << "," << daily_use << ",,\n";
        site[{s, item}] = on_hand;
        expected.push_back({"demand", s, item, on_hand, 0});
      } else {
        const std::string wh = Warehouse(county);
        const int64_t qty = Uniform<int64_t>(1, 200);
        const bool donation = Chance(0.3);
        out << "receipt," << wh << "," << item << "," << qty << ",," << (donation ? "donation" : "production")
            << "," << (donation ? "\"Donor " + std::to_string(Uniform(1, 40)) + ", Fujian\"" : "") << "\n";
        stock[{wh, item}] += qty;
        expected.push_back({"receipt", wh, item, qty, 0});
      }
    }
    out.close();
    // The figures are random, so some trip the node's 10x and 100x guards: confirmed, as an
    // operator would, since what is soaked is durability, not the guards (tested elsewhere).
    const CommandResult r = Node(county, {"import", path, "--confirm"});
    std::filesystem::remove(path);
    if (!Check(county, r, "import")) return;
    if (r.out.find("imported " + std::to_string(rows) + " rows") == std::string::npos) {
      sh_.Fatal("ppe-node " + county + " import of " + std::to_string(rows) + " rows said: " + FirstLine(r.out));
      return;
    }
    stock_ = std::move(stock);
    site_ = std::move(site);
    for (const Expected& e : expected) {
      if (e.kind == "demand") last_figure_[{county, e.place + "|" + e.item}] = e.quantity;
      Recorded(county, e);
    }
  }

  // The steps this county's node can take on the orders it holds. `drain`: ship and receive
  // everything (no rejects, no waiting); otherwise some orders wait for a later pass, a few are
  // rejected, a few arrive short, and now and then a step is repeated (which must be a no-op).
  int StepPass(const std::string& county, bool drain, int limit) {
    const json rows = NodeJson(county, {"orders", "--json"});
    if (!rows.is_array()) return 0;
    int steps = 0;
    for (const json& o : rows) {
      if (steps >= limit || sh_.stop) break;
      const int64_t id = o["id"].get<int64_t>();
      const std::string status = o["status"].get<std::string>();
      const bool pending = !o["pending"].is_null();
      const std::string name = std::to_string(id);
      if (o["from_county"] == county && (status == "created" || status == "accepted") && !pending &&
          !shipped_.count(id) && !rejected_.count(id)) {
        if (!drain && Chance(0.25)) continue;  // not picked yet
        const std::string wh = o["from_warehouse"], item = o["item"];
        const int64_t qty = o["qty"].get<int64_t>();
        if (!drain && Chance(0.03)) {
          const CommandResult r = Node(county, {"reject", name, "--reason", "soak: damaged in storage"});
          if (!Check(county, r, "reject " + name)) return steps;
          rejected_.insert(id);
          Recorded(county, {"", "", "", 0, 0}, r.out);
        } else {
          const CommandResult r = Node(county, {"ship", name});
          if (!Check(county, r, "ship " + name)) return steps;
          shipped_[id] = qty;
          stock_[{wh, item}] -= qty;
          Recorded(county, {"ship", wh, item, qty, 0}, r.out);
          if (!drain && Chance(0.03)) Repeat(county, {"ship", name}, "already shipped");
        }
        ++steps;
      } else if (o["to_county"] == county && status == "shipped" && !pending && !received_.count(id)) {
        if (!drain && Chance(0.25)) continue;  // not arrived yet
        const int64_t qty = o["qty"].get<int64_t>();
        const int64_t got = !drain && Chance(0.1) ? std::max<int64_t>(0, qty - Uniform<int64_t>(1, 5)) : qty;
        const CommandResult r = Node(county, {"receive", name, "--qty", std::to_string(got)});
        if (!Check(county, r, "receive " + name)) return steps;
        received_[id] = got;
        const std::string site = o["to_site"], for_item = o["for_item"];
        site_[{site, for_item}] += got;
        Recorded(county, {"landed", site, for_item, got, qty - got}, r.out);
        if (!drain && Chance(0.03)) Repeat(county, {"receive", name}, "already received");
        ++steps;
      }
    }
    return steps;
  }

  // A step already taken, again: the node answers at once that there is nothing to do.
  void Repeat(const std::string& county, const std::vector<std::string>& args, const std::string& says) {
    const CommandResult r = Node(county, args);
    ++repeats_;
    if (r.exit_code == 0 && r.out.find("as report") != std::string::npos) {
      // The broker acknowledged the first step before the order's new status reached the node:
      // the node could not tell, and recorded it again. The broker applies it as a no-op.
      ++repeats_recorded_;
      Recorded(county, {"", "", "", 0, 0}, r.out);
      return;
    }
    if (r.exit_code != 0 || r.out.find(says) == std::string::npos) {
      sh_.Fail("ppe-node " + county + " " + args[0] + " " + args[1] + " repeated: exit " +
               std::to_string(r.exit_code) + ", said '" + FirstLine(r.out + r.err) + "' (expected '" + says + "')");
    }
  }

  void Round() {
    // A round takes well under a second; a call the broker died under waits for no answer.
    const CommandResult r = Ctl({"allocate", "--json"}, 6000);
    const json plan = r.exit_code == 0 ? json::parse(r.out, nullptr, false) : json();
    if (plan.is_object() && plan.contains("orders")) {
      ++rounds_;
    } else {
      ++rounds_cut_;  // the broker died under it: the round may or may not have committed
    }
  }

  // Until --reports reports are recorded and the broker has been killed --kills times. Reports are
  // paced to the kills so the kills fall all over the stream.
  void Workload(Clock::time_point start) {
    auto next_round = Clock::now() + std::chrono::milliseconds(1500);
    auto next_progress = Clock::now() + std::chrono::seconds(5);
    const int64_t per_kill = std::max<int64_t>(1, opt_.reports / std::max(1, opt_.kills));
    while (!sh_.stop) {
      if (Since(start) > opt_.max_seconds) {
        sh_.Fatal("the workload did not finish within --max-seconds " + std::to_string(opt_.max_seconds));
        break;
      }
      const bool reports_done = sh_.reports >= opt_.reports;
      if (reports_done && sh_.killer_done) break;
      if (Clock::now() > next_progress) {
        next_progress = Clock::now() + std::chrono::seconds(5);
        std::cerr << "soak: " << static_cast<int>(Since(start)) << " s: " << sh_.reports << "/" << opt_.reports
                  << " reports, " << sh_.broker_kills << "/" << opt_.kills << " broker kills, " << sh_.node_kills
                  << " node kills, " << rounds_ << " rounds, " << shipped_.size() << " shipped, "
                  << received_.size() << " received" << std::endl;
      }
      if (Clock::now() > next_round) {
        Round();
        next_round = Clock::now() + std::chrono::milliseconds(Uniform(1000, 3000));
        continue;
      }
      const std::string county = Pick(kCounties);
      const bool ahead = !sh_.killer_done && sh_.reports > (sh_.broker_kills + 1) * per_kill;
      if (reports_done || ahead) {
        // Waiting for the kills (or for the last of them): only order steps, now and then.
        if (StepPass(county, false, 5) == 0) SleepMs(50);
        continue;
      }
      const int action = Uniform(0, 99);
      if (action < 40) {
        Import(county, Uniform(20, 250));
      } else if (action < 62) {
        Receipt(county);
      } else if (action < 74) {
        Demand(county);
      } else if (action < 77) {
        Count(county);
      } else {
        StepPass(county, false, 8);
      }
    }
  }

  // ---- drain ------------------------------------------------------------------------------------

  bool WaitDrained(int timeout_ms) {
    const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
    for (;;) {
      bool all = true;
      for (const std::string& c : kCounties) {
        const CommandResult r = Node(c, {"status", "--json"});
        const json s = r.exit_code == 0 ? json::parse(r.out, nullptr, false) : json();
        all = all && s.is_object() && s.value("outbox_pending", -1) == 0;
      }
      if (all) return true;
      if (Clock::now() > deadline) return false;
      SleepMs(100);
    }
  }

  static bool Closed(const std::string& status) { return status == "received" || status == "rejected"; }

  // Ships and receives every open order until the broker has none open: bounded in all, and
  // given up when 30 s pass with no step possible and no order changing.
  bool Drain(int timeout_ms) {
    const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
    auto progress = Clock::now();
    json last_open;
    std::string why = "after " + std::to_string(timeout_ms / 1000) + " s of draining";
    while (Clock::now() < deadline && !sh_.stop) {
      if (!WaitDrained(30000)) {
        sh_.Fail("the nodes' outboxes did not drain within 30 s");
        return false;
      }
      const json orders = CtlJson({"orders"}, false);
      if (orders.is_array()) {
        json open = json::array();
        for (const json& o : orders) {
          if (!Closed(o["status"].get<std::string>())) open.push_back({o["id"], o["status"]});
        }
        if (open.empty()) return true;
        if (open != last_open) progress = Clock::now();
        last_open = open;
      }
      int steps = 0;
      for (const std::string& c : kCounties) steps += StepPass(c, true, 1000);
      if (steps > 0) progress = Clock::now();
      if (Clock::now() - progress > std::chrono::seconds(30)) {
        why = "with no step possible for 30 s (the nodes do not hold them in a state to step)";
        break;
      }
      if (steps == 0) SleepMs(200);
    }
    sh_.Fail("orders still open " + why + ": " + (last_open.is_null() ? "?" : last_open.dump()));
    return false;
  }

  // Until every node holds every order naming it with the broker's status (bounded).
  bool WaitNodesAgree(int timeout_ms) {
    const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
    for (;;) {
      const json orders = CtlJson({"orders"}, false);
      bool same = orders.is_array();
      for (const std::string& c : kCounties) {
        if (!same) break;
        const CommandResult r = Node(c, {"orders", "--json"});
        const json held = r.exit_code == 0 ? json::parse(r.out, nullptr, false) : json();
        if (!held.is_array()) {
          same = false;
          break;
        }
        std::map<int64_t, json> status_at_node;
        for (const json& o : held) status_at_node[o["id"].get<int64_t>()] = o["status"];
        for (const json& o : orders) {
          if (o["from_county"] != c && o["to_county"] != c) continue;
          const auto it = status_at_node.find(o["id"].get<int64_t>());
          same = same && it != status_at_node.end() && it->second == o["status"];
        }
      }
      if (same) return true;
      if (Clock::now() > deadline) return false;
      SleepMs(200);
    }
  }

  // ---- verification -----------------------------------------------------------------------------

  struct Figures {
    int64_t reports = 0, lost = 0, duplicated = 0;
    size_t orders = 0, orders_ok = 0;
    size_t file_events = 0, log_events = 0, file_matched = 0;
    bool check_clean = false;
    bool dispatch_ok = false;
  };

  // Node and broker agree on every node's stream: acknowledged = recorded = applied, none refused.
  void VerifyStreams(Figures* f) {
    const json status = CtlJson({"status"}, true);
    std::map<std::string, json> at_broker;
    if (status.is_object()) {
      for (const json& c : status["counties"]) at_broker[c["county"].get<std::string>()] = c;
    }
    for (const std::string& c : kCounties) {
      const json s = NodeJson(c, {"status", "--json"});
      const int64_t expected = static_cast<int64_t>(ledger_[c].size());
      f->reports += expected;
      if (!s.is_object()) continue;
      const int64_t recorded = s["recorded"], last_ack = s["last_ack"], refused = s["refused"];
      if (recorded != expected) {
        sh_.Fail(c + ": node recorded " + std::to_string(recorded) + " reports, the driver recorded " +
                 std::to_string(expected));
      }
      if (last_ack != recorded) {
        sh_.Fail(c + ": node last_ack " + std::to_string(last_ack) + " != recorded head " + std::to_string(recorded));
      }
      if (refused != 0) sh_.Fail(c + ": " + std::to_string(refused) + " reports refused: " + s["recent_refusals"].dump());
      const json b = at_broker.count(c) ? at_broker[c] : json();
      if (!b.is_object() || b.value("reports_applied", -1) != recorded || b.value("reports_behind", -1) != 0 ||
          b.value("refused", -1) != 0) {
        sh_.Fail(c + ": broker says applied " + (b.is_object() ? b["reports_applied"].dump() : "?") + ", behind " +
                 (b.is_object() ? b["reports_behind"].dump() : "?") + ", refused " +
                 (b.is_object() ? b["refused"].dump() : "?") + "; node recorded " + std::to_string(recorded));
      }
    }
  }

  // Every report the driver recorded has exactly its ledger entry, of its quantity.
  void VerifyLedger(Figures* f) {
    std::string error;
    const auto rows = SqlRows(cluster_.dir() + "/data/broker.db",
                              "SELECT node, seq, kind, COUNT(*), SUM(quantity), MIN(place), MIN(item) "
                              "FROM events GROUP BY node, seq, kind",
                              &error);
    if (!error.empty()) {
      sh_.Fail("reading the ledger: " + error);
      return;
    }
    // (node, seq, kind) -> count, quantity, place, item
    std::map<std::tuple<std::string, int64_t, std::string>, std::tuple<int64_t, int64_t, std::string, std::string>> got;
    for (const auto& r : rows) {
      got[{r[0], std::stoll(r[1]), r[2]}] = {std::stoll(r[3]), std::stoll(r[4]), r[5], r[6]};
    }
    std::vector<std::string> wrong;
    auto expect = [&](const std::string& node, int64_t seq, const std::string& kind, const std::string& place,
                      const std::string& item, int64_t qty) {
      auto it = got.find({node, seq, kind});
      if (it == got.end()) {
        ++f->lost;
        if (wrong.size() < 10) wrong.push_back(node + " report " + std::to_string(seq) + ": no " + kind + " in the ledger");
        return;
      }
      const auto [count, sum, p, i] = it->second;
      if (count > 1) {
        f->duplicated += count - 1;
        if (wrong.size() < 10) {
          wrong.push_back(node + " report " + std::to_string(seq) + ": " + kind + " " + std::to_string(count) + " times");
        }
      } else if (sum != qty || p != place || i != item) {
        if (wrong.size() < 10) {
          wrong.push_back(node + " report " + std::to_string(seq) + ": ledger " + kind + " " + p + " " + i + " " +
                          std::to_string(sum) + ", the driver sent " + place + " " + item + " " + std::to_string(qty));
        }
        ++f->lost;
      }
      got.erase(it);
    };
    for (const auto& [node, list] : ledger_) {
      for (size_t i = 0; i < list.size(); ++i) {
        const Expected& e = list[i];
        const int64_t seq = static_cast<int64_t>(i + 1);
        if (e.kind.empty()) continue;  // a reject: only an order event
        expect(node, seq, e.kind, e.place, e.item, e.quantity);
        if (e.discrepancy > 0) {
          // The discrepancy entry names the order's item; the driver knows only the site.
          auto it = got.find({node, seq, "discrepancy"});
          if (it == got.end() || std::get<0>(it->second) != 1 || std::get<1>(it->second) != e.discrepancy) {
            ++f->lost;
            if (wrong.size() < 10) wrong.push_back(node + " report " + std::to_string(seq) + ": discrepancy entry wrong or missing");
          }
          if (it != got.end()) got.erase(it);
        }
      }
    }
    for (const auto& [key, value] : got) {  // entries no report of the driver's explains
      f->duplicated += std::get<0>(value);
      if (wrong.size() < 10) {
        wrong.push_back(std::get<0>(key) + " report " + std::to_string(std::get<1>(key)) + ": unexpected " +
                        std::get<2>(key) + " in the ledger");
      }
    }
    if (f->lost != 0 || f->duplicated != 0) {
      std::string list;
      for (const std::string& w : wrong) list += "; " + w;
      sh_.Fail("ledger: " + std::to_string(f->lost) + " lost, " + std::to_string(f->duplicated) + " duplicated" + list);
    }
  }

  // The broker's figures are the driver's replay of what it sent.
  void VerifyFigures() {
    const json stock = CtlJson({"stock"}, true);
    std::map<std::pair<std::string, std::string>, json> rows;
    for (const json& r : stock.is_array() ? stock : json::array()) rows[{r["warehouse"], r["item"]}] = r;
    for (const auto& [key, qty] : stock_) {
      const json r = rows.count(key) ? rows[key] : json();
      if (!r.is_object() || r["on_hand"] != qty || r["reserved"] != 0) {
        sh_.Fail("stock " + key.first + " " + key.second + ": broker has " + (r.is_object() ? r.dump() : "no row") +
                 ", the driver's replay says on_hand " + std::to_string(qty) + ", reserved 0");
      }
      rows.erase(key);
    }
    for (const auto& [key, r] : rows) sh_.Fail("stock " + key.first + " " + key.second + ": unexpected row " + r.dump());

    const json demand = CtlJson({"demand"}, true);
    std::map<std::pair<std::string, std::string>, json> sites;
    for (const json& r : demand.is_array() ? demand : json::array()) sites[{r["site"], r["item"]}] = r;
    for (const auto& [key, qty] : site_) {
      const json r = sites.count(key) ? sites[key] : json();
      if (!r.is_object() || r["on_hand"] != qty || r["in_transit"] != 0) {
        sh_.Fail("site " + key.first + " " + key.second + ": broker has " + (r.is_object() ? r.dump() : "no row") +
                 ", the driver's replay says on_hand " + std::to_string(qty) + ", in transit 0");
      }
      sites.erase(key);
    }
    for (const auto& [key, r] : sites) sh_.Fail("site " + key.first + " " + key.second + ": unexpected row " + r.dump());
  }

  // Every order once at each node it names, as the broker has it; the driver's steps are the
  // broker's statuses; every node holds its whole delivery queue.
  void VerifyOrders(Figures* f) {
    const json orders = CtlJson({"orders"}, true);
    if (!orders.is_array()) return;
    f->orders = orders.size();
    std::map<std::string, std::map<int64_t, std::vector<json>>> held;
    for (const std::string& c : kCounties) {
      const json rows = NodeJson(c, {"orders", "--json"});
      for (const json& o : rows.is_array() ? rows : json::array()) held[c][o["id"].get<int64_t>()].push_back(o);
    }
    const std::vector<std::string> same = {"id", "round", "from_warehouse", "from_county", "to_site", "to_county",
                                           "item", "for_item", "qty", "status", "received_qty"};
    std::set<int64_t> broker_ids;
    int reported = 0;
    auto fail = [&](const std::string& what) {
      if (++reported <= 20) sh_.Fail(what);
    };
    for (const json& o : orders) {
      const int64_t id = o["id"].get<int64_t>();
      const std::string status = o["status"], name = "order " + std::to_string(id);
      broker_ids.insert(id);
      bool ok = true;
      if (!Closed(status)) ok = false, fail(name + " is still " + status + " after draining");
      const bool driver_shipped = shipped_.count(id), driver_received = received_.count(id);
      const bool driver_rejected = rejected_.count(id);
      if (driver_shipped != (status == "shipped" || status == "received") || driver_received != (status == "received") ||
          driver_rejected != (status == "rejected")) {
        ok = false;
        fail(name + ": broker says " + status + "; the driver shipped " + (driver_shipped ? "it" : "nothing") +
             ", received " + (driver_received ? "it" : "nothing") + ", rejected " + (driver_rejected ? "it" : "nothing"));
      }
      if (driver_shipped && o["qty"] != shipped_[id]) ok = false, fail(name + ": qty " + o["qty"].dump() + ", the node shipped " + std::to_string(shipped_[id]));
      if (driver_received && o["received_qty"] != received_[id]) {
        ok = false;
        fail(name + ": received_qty " + o["received_qty"].dump() + ", the driver received " + std::to_string(received_[id]));
      }
      for (const std::string& county : std::set<std::string>{o["from_county"], o["to_county"]}) {
        if (!held.count(county) && std::find(kCounties.begin(), kCounties.end(), county) == kCounties.end()) {
          ok = false;
          fail(name + " names " + county + ", whose node is not running");
          continue;
        }
        const auto it = held[county].find(id);
        const size_t copies = it == held[county].end() ? 0 : it->second.size();
        if (copies != 1) {
          ok = false;
          fail(name + " is held " + std::to_string(copies) + " times at " + county);
          continue;
        }
        const json& n = it->second[0];
        for (const std::string& k : same) {
          if (n.value(k, json()) != o.value(k, json())) {
            ok = false;
            fail(name + " at " + county + ": " + k + " " + n.value(k, json()).dump() + ", broker " + o.value(k, json()).dump());
          }
        }
      }
      f->orders_ok += ok;
    }
    for (const auto& [county, ids] : held) {
      for (const auto& [id, copies] : ids) {
        if (!broker_ids.count(id)) fail("order " + std::to_string(id) + " is held at " + county + " but unknown to the broker");
      }
    }
    for (const auto& [id, qty] : shipped_) {
      if (!broker_ids.count(id)) fail("order " + std::to_string(id) + " was shipped by the driver but is unknown to the broker");
    }
    if (reported > 20) sh_.Fail("... and " + std::to_string(reported - 20) + " more order differences");

    // Delivery queues: each node holds everything queued for it, and the broker knows it.
    for (const std::string& c : kCounties) {
      std::string e1, e2;
      const auto broker = SqlRows(cluster_.dir() + "/data/broker.db",
                                  "SELECT (SELECT COALESCE(MAX(seq), 0) FROM deliveries WHERE county = '" + c +
                                      "'), (SELECT COALESCE(MAX(acked), 0) FROM delivery_acks WHERE county = '" + c + "')",
                                  &e1);
      const auto node = SqlRows(cluster_.dir() + "/data/" + c + ".db", "SELECT orders_held FROM link", &e2);
      if (!e1.empty() || !e2.empty() || broker.empty() || node.empty()) {
        sh_.Fail("reading delivery queues of " + c + ": " + e1 + e2);
        continue;
      }
      if (broker[0][0] != broker[0][1] || broker[0][0] != node[0][0]) {
        sh_.Fail(c + ": delivery queue head " + broker[0][0] + ", broker has acked " + broker[0][1] + ", node holds " +
                 node[0][0]);
      }
    }
  }

  // The dispatch log file against the ledger's order events (`ppe-ctl log --json`).
  void VerifyDispatchFile(Figures* f) {
    const json log = CtlJson({"log"}, true, 30000, "viewer");
    if (!log.is_array()) return;
    f->log_events = log.size();
    std::vector<json> lines;
    size_t unreadable = 0;
    const std::string path = cluster_.dir() + "/logs/dispatch.jsonl";
    std::vector<std::string> files;
    // The file may trail the ledger a moment (written after the commit): read it until it has as
    // many lines as the ledger has events, or 10 s have passed.
    const auto bound = Clock::now() + std::chrono::seconds(10);
    for (;;) {
      lines.clear();
      files.clear();
      unreadable = 0;
      for (int i = 20; i >= 1; --i) {
        if (std::filesystem::exists(path + "." + std::to_string(i))) files.push_back(path + "." + std::to_string(i));
      }
      files.push_back(path);
      for (const std::string& file : files) {
        std::ifstream in(file);
        for (std::string line; std::getline(in, line);) {
          const json event = json::parse(line, nullptr, false);
          if (event.is_object() && event.contains("order") && event.contains("status")) {
            lines.push_back(event);
          } else {
            ++unreadable;
          }
        }
      }
      if (lines.size() + unreadable >= log.size() || Clock::now() > bound) break;
      SleepMs(200);
    }
    f->file_events = lines.size();
    // The multiset of (order, status) in both: matched, missing from the file, extra in it.
    std::map<std::pair<int64_t, std::string>, int> want;
    for (const json& e : log) ++want[{e["order"].get<int64_t>(), e["status"].get<std::string>()}];
    size_t extra = 0;
    for (const json& e : lines) {
      if (!e["order"].is_number_integer() || !e["status"].is_string()) {
        ++extra;
        continue;
      }
      auto it = want.find({e["order"].get<int64_t>(), e["status"].get<std::string>()});
      if (it != want.end() && it->second > 0) {
        --it->second;
        ++f->file_matched;
      } else {
        ++extra;
      }
    }
    const size_t missing = f->log_events - f->file_matched;
    // The same sequence, line by line.
    std::string first_difference;
    for (size_t i = 0; i < std::min(lines.size(), log.size()) && first_difference.empty(); ++i) {
      if (lines[i].value("order", json()) != log[i]["order"] || lines[i].value("status", json()) != log[i]["status"]) {
        first_difference = "line " + std::to_string(i + 1) + " is order " + lines[i].value("order", json()).dump() + " " +
                           lines[i].value("status", json()).dump() + ", the log's event " + std::to_string(i + 1) +
                           " is order " + log[i]["order"].dump() + " " + log[i]["status"].dump();
      }
    }
    // Event ids, where the lines carry one: unique, increasing, and the log's where it has them.
    std::string id_problem;
    for (const char* key : {"event", "event_id", "id", "seq"}) {
      const bool in_lines = !lines.empty() && std::all_of(lines.begin(), lines.end(), [&](const json& e) {
        return e.contains(key) && e[key].is_number_integer();
      });
      if (!in_lines) continue;
      for (size_t i = 1; i < lines.size() && id_problem.empty(); ++i) {
        if (lines[i][key].get<int64_t>() <= lines[i - 1][key].get<int64_t>()) {
          id_problem = std::string("event ids not increasing at line ") + std::to_string(i + 1) + " (" + key + " " +
                       lines[i - 1][key].dump() + " then " + lines[i][key].dump() + ")";
        }
      }
      const bool in_log = !log.empty() && std::all_of(log.begin(), log.end(), [&](const json& e) {
        return e.contains(key) && e[key].is_number_integer();
      });
      if (in_log && lines.size() == log.size()) {
        for (size_t i = 0; i < lines.size() && id_problem.empty(); ++i) {
          if (lines[i][key] != log[i][key]) {
            id_problem = std::string("line ") + std::to_string(i + 1) + " has " + key + " " + lines[i][key].dump() +
                         ", the log's event " + log[i][key].dump();
          }
        }
      }
      break;
    }
    f->dispatch_ok = unreadable == 0 && extra == 0 && missing == 0 && lines.size() == log.size() &&
                     first_difference.empty() && id_problem.empty();
    if (!f->dispatch_ok) {
      sh_.Fail("dispatch file: " + std::to_string(lines.size()) + " events in " + std::to_string(files.size()) +
               " file(s), the ledger has " + std::to_string(log.size()) + " order events: " + std::to_string(missing) +
               " missing, " + std::to_string(extra) + " extra, " + std::to_string(unreadable) + " unreadable lines" +
               (first_difference.empty() ? "" : "; first difference: " + first_difference) +
               (id_problem.empty() ? "" : "; " + id_problem));
    }
  }

  void VerifyCheck(Figures* f) {
    const CommandResult r = Ctl({"check"}, 120000);
    f->check_clean = r.exit_code == 0;
    if (!f->check_clean) {
      std::string text = r.out + r.err;
      if (text.size() > 2000) text = text.substr(0, 2000) + "...";
      sh_.Fail("ppe-ctl check exited " + std::to_string(r.exit_code) + ":\n" + text);
    }
  }

  // ---- figures ----------------------------------------------------------------------------------

  int rounds() const { return rounds_; }
  int rounds_cut() const { return rounds_cut_; }
  size_t shipped() const { return shipped_.size(); }
  size_t received() const { return received_.size(); }
  size_t rejected() const { return rejected_.size(); }
  int repeats() const { return repeats_; }
  int repeats_recorded() const { return repeats_recorded_; }

 private:
  const Options& opt_;
  Cluster& cluster_;
  Shared& sh_;
  std::mt19937_64 rng_;
  std::map<std::string, std::vector<std::string>> sites_;              // county -> site ids
  std::map<std::string, std::vector<Expected>> ledger_;                // node -> its reports, by seq - 1
  std::map<std::pair<std::string, std::string>, int64_t> stock_;       // (warehouse, item) -> on hand
  std::map<std::pair<std::string, std::string>, int64_t> site_;        // (site, item) -> on hand
  std::map<std::pair<std::string, std::string>, int64_t> last_figure_;  // (node, place|item): as the node keeps it
  std::map<int64_t, int64_t> shipped_, received_;                      // order -> qty shipped / received
  std::set<int64_t> rejected_;
  int imports_ = 0, rounds_ = 0, rounds_cut_ = 0, repeats_ = 0, repeats_recorded_ = 0;
};

// Answers a ctl call within a few seconds: the broker is serving.
bool BrokerServes(Cluster& cluster) {
  return Run({PPE_CTL, "--config", cluster.dir() + "/ctl.yaml", "stock", "--json"}, 5000).exit_code == 0;
}

// The killer: the broker SIGKILLed `kills` times, 50-400 ms apart, restarted at once; each node
// daemon killed `node_kills` times at random kill rounds, restarted 0.1-2 s later. It alone starts
// and kills processes while the workload runs.
void Killer(Cluster& cluster, const Options& opt, Shared& sh, uint64_t seed) {
  std::mt19937_64 rng(seed);
  auto uniform = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  std::vector<std::vector<std::string>> node_kills_at(std::max(1, opt.kills));
  for (const std::string& node : kCounties) {
    std::vector<int> rounds(node_kills_at.size());
    for (size_t i = 0; i < rounds.size(); ++i) rounds[i] = static_cast<int>(i);
    std::shuffle(rounds.begin(), rounds.end(), rng);
    for (int j = 0; j < std::min<int>(opt.node_kills, rounds.size()); ++j) node_kills_at[rounds[j]].push_back(node);
  }
  std::map<std::string, Clock::time_point> down;  // node -> when it comes back
  std::vector<std::string> late;
  auto restart_due = [&](bool all) {
    for (auto it = down.begin(); it != down.end();) {
      if (all || Clock::now() >= it->second) {
        cluster.StartNode(it->first);
        it = down.erase(it);
      } else {
        ++it;
      }
    }
  };
  for (int k = 0; k < opt.kills && !sh.stop; ++k) {
    for (const std::string& node : node_kills_at[k]) {
      if (down.count(node)) {  // still down from its last kill: this one moves to the next round
        if (k + 1 < opt.kills) {
          node_kills_at[k + 1].push_back(node);
        } else {
          late.push_back(node);
        }
        continue;
      }
      cluster.KillNode(node);
      ++sh.node_kills;
      down[node] = Clock::now() + std::chrono::milliseconds(uniform(100, 2000));
    }
    const auto wake = Clock::now() + std::chrono::milliseconds(uniform(50, 400));
    while (Clock::now() < wake) {
      restart_due(false);
      std::this_thread::sleep_for(std::min<Clock::duration>(std::chrono::milliseconds(10), wake - Clock::now()));
    }
    cluster.KillBroker();
    ++sh.broker_kills;
    cluster.StartBroker();  // waits (bounded) until a ctl call is answered
    if (!BrokerServes(cluster)) {
      sh.Fatal("the broker did not come back after kill " + std::to_string(k + 1));
      break;
    }
  }
  // A node kill pushed past the last broker kill: after its previous restart.
  for (const std::string& node : late) {
    if (sh.stop) break;
    if (down.count(node)) {
      std::this_thread::sleep_until(down[node]);
      restart_due(false);
    }
    SleepMs(uniform(50, 400));
    cluster.KillNode(node);
    ++sh.node_kills;
    down[node] = Clock::now() + std::chrono::milliseconds(uniform(100, 2000));
  }
  // Nodes killed late come back after their delay too.
  const auto bound = Clock::now() + std::chrono::seconds(3);
  while (!down.empty() && Clock::now() < bound) {
    restart_due(false);
    SleepMs(10);
  }
  restart_due(true);
  sh.killer_done = true;
}

bool ParseOptions(int argc, char** argv, Options* opt) {
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&](int64_t lo) -> std::optional<int64_t> {
      if (i + 1 >= argc) return std::nullopt;
      char* end = nullptr;
      const long long v = std::strtoll(argv[++i], &end, 10);
      if (*end != '\0' || v < lo) return std::nullopt;
      return v;
    };
    std::optional<int64_t> v;
    if (a == "--kills" && (v = value(0))) {
      opt->kills = static_cast<int>(*v);
    } else if (a == "--node-kills" && (v = value(0))) {
      opt->node_kills = static_cast<int>(*v);
    } else if (a == "--reports" && (v = value(1))) {
      opt->reports = static_cast<int>(*v);
    } else if (a == "--seed" && (v = value(0))) {
      opt->seed = static_cast<uint64_t>(*v);
      opt->seed_given = true;
    } else if (a == "--max-seconds" && (v = value(10))) {
      opt->max_seconds = static_cast<int>(*v);
    } else if (a == "--keep") {
      opt->keep = true;
    } else {
      std::cerr << (a == "--help" || a == "-h" ? "" : "ppe-soak: bad argument '" + a + "'\n")
                << "usage: ppe-soak [--kills N (50)] [--node-kills N per node (2)] [--reports N (8000)]\n"
                   "                [--seed S] [--max-seconds S (900)] [--keep (keep the deployment folder)]\n";
      return false;
    }
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  Options opt;
  if (!ParseOptions(argc, argv, &opt)) return 2;
  if (!opt.seed_given) opt.seed = std::random_device{}() & 0x7fffffff;
  signal(SIGPIPE, SIG_IGN);
  const auto start = Clock::now();
  Shared sh;
  std::cerr << "soak: seed " << opt.seed << " (repeat with --seed " << opt.seed << "), " << opt.kills
            << " broker kills, " << opt.node_kills << " kills per node, " << opt.reports << " reports" << std::endl;

  int exit_code = 0;
  std::string kept;
  {
    Cluster cluster;  // config/sanming.yaml in a fresh folder under /tmp; 127.0.0.1 only
    if (!std::filesystem::exists(cluster.dir() + "/broker.yaml")) {
      std::cout << "FAIL ppe-ctl init wrote no deployment in " << cluster.dir() << std::endl;
      return 1;
    }
    std::cerr << "soak: deployment " << cluster.dir() << std::endl;
    Soak soak(opt, cluster, sh);
    cluster.StartBroker();
    if (!BrokerServes(cluster)) sh.Fatal("the broker did not start (see " + cluster.dir() + "/broker.out)");
    for (const std::string& c : kCounties) {
      soak.Node(c, {"status", "--json"});  // the store exists before the daemon opens it
      cluster.StartNode(c);
    }
    if (!sh.stop && !soak.Setup()) sh.stop = true;
    if (!sh.stop) {
      std::thread killer(Killer, std::ref(cluster), std::cref(opt), std::ref(sh), opt.seed ^ 0x9e3779b97f4a7c15ULL);
      soak.Workload(start);
      killer.join();
      const double load_s = Since(start);
      std::cerr << "soak: workload done in " << static_cast<int>(load_s) << " s (" << sh.reports << " reports, "
                << soak.rounds() << " rounds, " << soak.rounds_cut() << " cut by a kill; " << soak.repeats()
                << " steps repeated, " << soak.repeats_recorded() << " of them recorded again); draining" << std::endl;
      if (!sh.stop) {
        soak.Round();  // a last round for the last demand reports, then every order to its end
        if (soak.Drain(180000) && soak.WaitDrained(30000)) {
          soak.WaitNodesAgree(20000);  // the last steps' deliveries reach both nodes
        }
      }
      if (!sh.stop) {
        Soak::Figures f;
        soak.VerifyStreams(&f);
        soak.VerifyLedger(&f);
        soak.VerifyFigures();
        soak.VerifyOrders(&f);
        soak.VerifyDispatchFile(&f);
        soak.VerifyCheck(&f);
        if (f.orders == 0) sh.Fail("no orders were made: the soak did not exercise dispatch");
        if (sh.broker_kills != opt.kills) {
          sh.Fail("the broker was killed " + std::to_string(sh.broker_kills) + " times, not " + std::to_string(opt.kills));
        }
        const size_t failures = sh.FailureCount();
        std::cout << "soak: " << sh.broker_kills << " broker kills, " << sh.node_kills << " node kills, " << f.reports
                  << " reports, " << soak.rounds() << " rounds, " << f.lost << " lost, " << f.duplicated
                  << " duplicated, "
                  << (f.orders_ok == f.orders ? std::to_string(f.orders)
                                              : std::to_string(f.orders_ok) + "/" + std::to_string(f.orders))
                  << " orders each once at both nodes (" << soak.received() << " received, " << soak.rejected()
                  << " rejected), dispatch file " << f.file_matched << "/" << f.log_events << " events"
                  << (f.file_events != f.file_matched ? " (+" + std::to_string(f.file_events - f.file_matched) + " extra)"
                                                      : "")
                  << ", check " << (f.check_clean ? "clean" : "FAILED") << ", " << static_cast<int>(Since(start))
                  << " s" << (failures ? ", " + std::to_string(failures) + " FAIL" : "") << std::endl;
      }
    }
    if (sh.stop) {  // a fatal failure: no verification, but the figures so far
      std::cout << "soak: stopped after " << sh.broker_kills << " broker kills, " << sh.node_kills << " node kills, "
                << sh.reports << " reports, " << static_cast<int>(Since(start)) << " s: " << sh.FailureCount()
                << " FAIL (see above)" << std::endl;
    }
    if (sh.FailureCount() > 0) {
      exit_code = 1;
      setenv("PPE_KEEP_TEST_DIRS", "1", 1);
      kept = cluster.dir();
    } else if (opt.keep) {
      setenv("PPE_KEEP_TEST_DIRS", "1", 1);
      kept = cluster.dir();
    }
  }  // every process stopped; the folder removed unless kept
  if (!kept.empty()) std::cerr << "soak: deployment kept in " << kept << std::endl;
  return exit_code;
}
