// ppe-node: a county's node agent. Operator commands record into the node's own store and return
// at once; `run` is the daemon that carries the outbox to the broker.
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <csignal>
#include <fstream>
#include <iostream>
#include <sstream>

#include "common/logging.h"
#include "common/table.h"
#include "common/clock.h"
#include "common/text_encoding.h"
#include "nodes/csv_import.h"
#include "nodes/node_desk.h"
#include "nodes/node_link.h"
#include "nodes/node_store.h"
#include "nodes/report_entry.h"
#include "web/node_web_config.h"
#include "web/node_web_server.h"
#include "web/serve_loop.h"
#include "web/session_login.h"

namespace {

std::atomic<bool> g_stop{false};

int Fail(const std::string& message) {
  std::cerr << "ppe-node: " << message << "\n";
  return 1;
}

// Everything a command needs: the config, the city file and the store.
struct NodeContext {
  ppe::NodeConfig config;
  ppe::City city;
  std::unique_ptr<ppe::NodeStore> store;
};

ppe::Result<NodeContext> OpenNode(const std::string& config_path) {
  auto config = ppe::NodeConfig::Load(config_path);
  if (!config.ok()) {
    return ppe::Status::Error(config.status().message() + " (--config takes this node's " +
                              "DIR/nodes/<node>.yaml, written by 'ppe-ctl init')");
  }
  auto city = ppe::City::Load(config->city);
  if (!city.ok()) return city.status();
  auto store = ppe::NodeStore::Open(config->store);
  if (!store.ok()) return store.status();
  auto live = ppe::LiveCity(std::move(*city), **store);
  return NodeContext{std::move(*config), std::move(live), std::move(*store)};
}

// The operator at the command line confirms by repeating it; CSV import says its own way.
constexpr const char* kHowToConfirm = "repeat the command with --confirm";

int Recorded(const ppe::Result<ppe::Recorded>& done) {
  if (!done.ok()) return Fail(done.status().message());
  std::cout << "recorded " << ppe::Summarize(done->reports.back()) << " as report " << done->last_seq << "; "
            << done->pending << " waiting for the broker\n";
  return 0;
}

nlohmann::json OrderJson(const ppe::NodeOrder& o, const std::string& county) {
  nlohmann::json batches = nlohmann::json::array();
  for (const ppe::wire::BatchLine& b : o.batches) {
    batches.push_back({{"batch", b.batch()}, {"lot", b.lot()}, {"expires", b.expires()}, {"donor", b.donor()},
                       {"qty", b.qty()}});
  }
  return {{"id", o.id}, {"round", o.round}, {"from_warehouse", o.from_warehouse},
          {"from_county", o.from_county}, {"to_site", o.to_site}, {"to_county", o.to_county},
          {"item", o.item}, {"for_item", o.for_item}, {"qty", o.qty}, {"status", o.status},
          {"received_qty", o.status == "received" ? nlohmann::json(o.received_qty) : nlohmann::json(nullptr)},
          {"role", o.from_county == county ? "ship" : "incoming"},
          {"pending", o.pending_step.empty() ? nlohmann::json(nullptr) : nlohmann::json(o.pending_step)},
          {"updated", ppe::FormatTime(o.updated_ms)},
          {"batches", batches}};
}

// One pick-list line, what the warehouse worker looks for on the shelf:
// "batch 12 lot L2003 exp 2020-06-30 x 500", "batch 9 (undated) x 200".
std::string PickLine(const nlohmann::json& b) {
  std::string line = "batch " + std::to_string(b["batch"].get<uint64_t>());
  if (!b["lot"].get<std::string>().empty()) line += " lot " + b["lot"].get<std::string>();
  line += b["expires"].get<std::string>().empty() ? " (undated)" : " exp " + b["expires"].get<std::string>();
  return line + " x " + std::to_string(b["qty"].get<int64_t>());
}

// The operator's step on an order: checked against what this node knows of the order, so a
// wrong or repeated step is answered at once; the broker checks again when it arrives.
int OrderStep(ppe::NodeDesk& desk, int64_t id, ppe::OrderStep step, const std::string& qty_text,
              const std::string& reason) {
  auto taken = desk.Step(id, step, qty_text, reason);
  if (!taken.ok()) return Fail(taken.status().message());
  const std::string name = "order " + std::to_string(id);
  if (taken->repeat) {
    std::cout << name << " is already " << taken->shown_status << "; nothing to do\n";
    return 0;
  }
  std::cout << "recorded " << taken->summary << " as report " << taken->seq << "; " << taken->pending
            << " waiting for the broker\n";
  if (taken->implied_shipment) {
    std::cout << name << " received before the news of its shipping reached this node: the broker records "
                 "the shipment it implies\n";
  }
  if (step == ppe::OrderStep::kReceive && taken->received != taken->ordered) {
    std::cout << "discrepancy: shipped " << taken->ordered << ", received " << taken->received << " (recorded)\n";
  }
  return 0;
}

const std::vector<ppe::Column> kOrderColumns = {
    {"id", ""}, {"role", ""}, {"status", ""}, {"pending", ""}, {"from_warehouse", "from"},
    {"to_site", "to"}, {"item", ""}, {"qty", ""}, {"received_qty", "received"}, {"updated", ""},
    {"pick", ""}};

int PrintOrders(NodeContext& node, bool open_only, bool json, bool csv) {
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& o : node.store->Orders(open_only)) rows.push_back(OrderJson(o, node.config.county));
  if (json) {
    std::cout << rows.dump(2) << "\n";
    return 0;
  }
  // The pick list is the shipping warehouse's: what to take off the shelf. An incoming order's
  // batches are in --json, for tracing.
  auto picks = [](const nlohmann::json& row) {
    std::vector<std::string> lines;
    if (row["role"] == "ship") {
      for (const auto& b : row["batches"]) lines.push_back(PickLine(b));
    }
    return lines;
  };
  if (csv) {
    // One row per order, as spreadsheets sort and filter them: the pick list in one cell.
    for (auto& row : rows) {
      std::string cell;
      for (const std::string& line : picks(row)) cell += (cell.empty() ? "" : "; ") + line;
      row["pick"] = cell;
    }
    ppe::PrintCsv(std::cout, rows, kOrderColumns);
    return 0;
  }
  if (rows.empty()) {
    std::cout << (open_only ? "no open orders" : "no orders") << " for " << node.config.county << "\n";
    return 0;
  }
  // One line per batch, under its order: the first on the order's line, the rest below it with
  // the order's other cells blank, so each line reads as one thing to take off the shelf.
  nlohmann::json lines = nlohmann::json::array();
  for (auto& row : rows) {
    const std::vector<std::string> pick = picks(row);
    row["pick"] = pick.empty() ? nlohmann::json(nullptr) : nlohmann::json(pick.front());
    lines.push_back(row);
    for (size_t i = 1; i < pick.size(); ++i) {
      nlohmann::json more = nlohmann::json::object();
      for (const ppe::Column& c : kOrderColumns) more[c.key] = "";
      more["pick"] = pick[i];
      lines.push_back(std::move(more));
    }
  }
  ppe::PrintTable(std::cout, lines, kOrderColumns);
  std::cout << "role ship: take the batches its pick lines name (earliest expiry first), then ship it "
               "('ppe-node ship ID'); incoming: on its way to your site ('ppe-node receive ID [--qty N]' when it "
               "arrives)\n";
  return 0;
}

// One daemon per store: a second would send the same outbox under the same key. An exclusive
// flock(2) on STORE.lock, held for the daemon's life (the kernel drops it when the process dies,
// however it dies); the recording commands do not take it, SQLite's own locking serves them.
ppe::Status LockStore(const std::string& store) {
  const std::string path = store + ".lock";
  const int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return ppe::Status::Error("cannot open '" + path + "': " + std::strerror(errno));
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int error = errno;
    close(fd);
    if (error == EWOULDBLOCK) {
      return ppe::Status::Error("another 'ppe-node run' is already serving " + store + " (it holds " + path +
                                "); one daemon per store: stop that one first ('ppe-node status' shows "
                                "whether it is connected)");
    }
    return ppe::Status::Error("cannot lock '" + path + "': " + std::strerror(error));
  }
  return ppe::Status::Ok();  // fd stays open, and locked, until the process ends
}

int RunDaemon(NodeContext& node) {
  if (auto s = LockStore(node.config.store); !s.ok()) return Fail(s.message());
  if (auto s = ppe::SetUpLogging("node-" + node.config.node, node.config.log_file,
                                 node.config.log_level);
      !s.ok()) {
    return Fail(s.message());
  }
  std::signal(SIGINT, [](int) { g_stop = true; });
  std::signal(SIGTERM, [](int) { g_stop = true; });
  ppe::NodeLink link(node.config, *node.store);
  if (auto s = link.Connect(); !s.ok()) return Fail(s.message());
  link.Run(g_stop);
  spdlog::info("node daemon stopped");
  return 0;
}

// 'ppe-node web': the county page, writing through a NodeDesk as the commands do; runs until SIGINT or
// SIGTERM, alongside the daemon or without it.
int ServeWeb(const std::string& config_path, NodeContext& node, const std::string& listen,
             const std::string& add_user) {
  auto config = ppe::web::NodeWebConfig::Load(config_path, node.config.node, !listen.empty());
  if (!config.ok()) return Fail(config.status().message());
  if (!add_user.empty()) {
    const std::string password = ppe::web::ReadPassword();
    if (auto s = ppe::web::SetUserPassword(config->users_file, add_user, password); !s.ok()) return Fail(s.message());
    std::cout << "user '" << add_user << "' may log in to the county page (" << config->users_file << ")\n";
    return 0;
  }
  if (!listen.empty()) {
    auto address = ppe::web::ParseListen(listen);
    if (!address.ok()) return Fail(address.status().message());
    config->listen = *address;
  }
  auto login = ppe::web::LoginFor(*config, "ppe-node --config " + config_path + " web --add-user NAME");
  if (!login.ok()) return Fail(login.status().message());
  const sigset_t stop_signals = ppe::web::BlockStopSignals();
  // The page follows the catalogue changes the daemon receives while it runs (a site the city
  // adds can be reported for at once), so it starts from the file and applies them itself.
  auto file_city = ppe::City::Load(node.config.city);
  if (!file_city.ok()) return Fail(file_city.status().message());
  ppe::web::NodeWebServer server(*config, node.config, std::move(*file_city), *node.store, login->get());
  if (auto s = server.Bind(config->listen); !s.ok()) return Fail(s.message());
  std::cout << "ppe-node web: " << ppe::web::PageAddress(*config, server.port()) << " (county " << node.config.county
            << "; " << (*login ? "login required" : "no login: loopback only") << ")" << std::endl;
  const bool ok = ppe::web::ServeUntilStopped(stop_signals, [&] { return server.Run(); }, [&] { server.Stop(); });
  return ok ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  umask(077);  // its store (and -wal, -shm, .lock) and its log: the owner's alone
  CLI::App app{"ppe-node: a county's node agent for the PPE supply service.\n"
               "Commands record into the node's store and return at once; 'run' sends them."};
  app.require_subcommand(1);
  std::string config_path;
  app.add_option("--config", config_path, "the node's config, DIR/nodes/<node>.yaml")->required();

  app.add_subcommand("run", "run the daemon: send the outbox to the broker, receive orders");

  std::string warehouse, item, quantity, site, source, from, on_hand, daily_use, csv, as_of;
  bool confirm = false, json = false;
  const std::string as_of_help =
      "when the count was taken, local time 'YYYY-MM-DD HH:MM' (default: now); counts of one place "
      "and item must be entered oldest first";
  auto* stock = app.add_subcommand("stock", "record an absolute physical count of a warehouse");
  stock->add_option("WAREHOUSE", warehouse, "warehouse id")->required();
  stock->add_option("ITEM", item, "item id")->required();
  stock->add_option("QTY", quantity, "units counted")->required();
  stock->add_option("--as-of", as_of, as_of_help);
  stock->add_flag("--confirm", confirm, "accept a count over 100x the last one");

  auto* receipt = app.add_subcommand("receipt", "record stock received (production, donation, transfer)");
  receipt->add_option("WAREHOUSE", warehouse, "warehouse id")->required();
  receipt->add_option("ITEM", item, "item id")->required();
  receipt->add_option("QTY", quantity, "units received")->required();
  receipt->add_option("--source", source, "production (default), donation or transfer")
      ->check(CLI::IsMember({"production", "donation", "transfer"}));
  receipt->add_option("--from", from, "donor, producer or sending warehouse");
  std::string reference, lot, expires;
  receipt->add_option("--reference", reference, "delivery note, waybill or batch number");
  receipt->add_option("--lot", lot, "the producer's lot number printed on the boxes, to trace them");
  receipt->add_option("--expires", expires,
                      "the batch's expiry date printed on the boxes, YYYY-MM-DD (leave out if undated); "
                      "orders take the earliest first");
  receipt->add_flag("--confirm", confirm,
                    "accept a batch whose expiry date has already passed (it is recorded, never shipped)");

  auto* demand = app.add_subcommand("demand", "record a site's stock on hand and daily use");
  demand->add_option("SITE", site, "site id")->required();
  demand->add_option("ITEM", item, "item id")->required();
  demand->add_option("--on-hand", on_hand, "units at the site now")->required();
  demand->add_option("--daily-use", daily_use, "units used per day (default: headcount x per-head use)");
  demand->add_option("--as-of", as_of, as_of_help);
  demand->add_flag("--confirm", confirm,
                   "accept an on-hand over 100x the last one, or a daily use over 10x the last one");

  auto* import = app.add_subcommand("import", "record many stock counts, receipts and demands from CSV");
  import->add_option("FILE", csv,
                     "CSV with header type,place,item,quantity,daily_use,source,from; optional columns: "
                     "reference, as_of (when a stock or demand count was taken, 'YYYY-MM-DD HH:MM'; "
                     "empty: now), confirm (yes: accept this row's figures), and for receipts lot and "
                     "expires (the batch's lot number and expiry date, YYYY-MM-DD)")
      ->required();
  import->add_flag("--confirm", confirm,
                   "accept every row of FILE whose count or on-hand is over 100x the last one, whose "
                   "daily use is over 10x the last one, or whose batch has expired (to accept one row "
                   "only, write yes in its confirm column)");

  bool open_only = false;
  int64_t order_id = 0;
  std::string reason;
  auto* orders = app.add_subcommand(
      "orders",
      "dispatch orders to ship from here, each with its pick list (which batch, lot and expiry date to "
      "take, earliest expiry first), or coming to your sites");
  orders->add_flag("--open", open_only, "only orders not yet received, rejected or cancelled");
  orders->add_flag("--json", json, "print JSON; each order's batches: batch, lot, expires, donor, qty");
  bool csv_out = false;
  orders->add_flag("--csv", csv_out, "print CSV, one row per order with its pick list in one cell");
  auto* ship = app.add_subcommand("ship", "confirm an order has left your warehouse");
  ship->add_option("ORDER", order_id, "order id")->required();
  auto* receive = app.add_subcommand("receive", "confirm an order arrived at your site");
  receive->add_option("ORDER", order_id, "order id")->required();
  receive->add_option("--qty", quantity, "units actually received (default: the order's quantity)");
  auto* reject = app.add_subcommand("reject", "refuse an order your warehouse cannot ship");
  reject->add_option("ORDER", order_id, "order id")->required();
  reject->add_option("--reason", reason, "why")->required();

  std::string listen, web_user;
  auto* web = app.add_subcommand(
      "web", "serve the county's own page: counts, receipts, demand, CSV upload, orders to ship and receive; "
             "works with the daemon and the broker down (docs/node-web.md)");
  web->add_option("--listen", listen, "ADDR:PORT (default: the config's web_listen, 127.0.0.1; port 0: any free one)");
  web->add_option("--add-user", web_user,
                  "add a user who may log in (needed when the page listens beyond loopback), or set a user's "
                  "password, read from stdin; then exit");

  auto* status = app.add_subcommand("status", "outbox_pending, connected, last_ack, catalogue version");
  status->add_flag("--json", json, "print JSON");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // For a mistyped command CLI11 says only that a command is required: name the word.
    if (app.get_subcommands().empty() && !app.remaining().empty() && e.get_exit_code() != 0) {
      return Fail("'" + app.remaining().front() + "' is not a command; 'ppe-node --help' lists them");
    }
    return app.exit(e);
  }

  auto node = OpenNode(config_path);
  if (!node.ok()) return Fail(node.status().message());
  ppe::NodeDesk desk(node->config, node->city, *node->store);

  if (app.got_subcommand("run")) return RunDaemon(*node);
  if (app.got_subcommand(web)) return ServeWeb(config_path, *node, listen, web_user);
  if (app.got_subcommand(stock)) return Recorded(desk.Stock({warehouse, item, quantity, as_of}, confirm, kHowToConfirm));
  if (app.got_subcommand(demand)) {
    return Recorded(desk.Demand({site, item, on_hand, daily_use, as_of}, confirm, kHowToConfirm));
  }
  if (app.got_subcommand(receipt)) {
    return Recorded(desk.Receipt({warehouse, item, quantity, source, from, reference, lot, expires}, confirm,
                                 "repeat with --confirm"));
  }
  if (app.got_subcommand(import)) {
    std::ifstream in(csv, std::ios::binary);
    if (!in) {
      std::cerr << "ppe-node: cannot read '" << csv << "'\n";
      return Fail("nothing imported: fix the 1 rows above and import again");
    }
    std::ostringstream bytes;
    bytes << in.rdbuf();
    ppe::CsvImportResult result;
    auto done = desk.Import(bytes.str(), csv, confirm, &result);
    if (!done.ok()) {
      for (const std::string& e : result.errors) std::cerr << "ppe-node: " << e << "\n";
      return Fail(done.status().message());
    }
    if (done->encoding != "UTF-8" && done->encoding != "UTF-8 with a byte-order mark") {
      std::cout << csv << " was in " << done->encoding << "; converted to UTF-8\n";
    }
    std::cout << "imported " << done->reports.size() << " rows from " << csv << "; " << done->pending
              << " waiting for the broker\n";
    return 0;
  }
  if (app.got_subcommand(orders)) return PrintOrders(*node, open_only, json, csv_out);
  if (app.got_subcommand(ship)) return OrderStep(desk, order_id, ppe::OrderStep::kShip, "", "");
  if (app.got_subcommand(receive)) return OrderStep(desk, order_id, ppe::OrderStep::kReceive, quantity, "");
  if (app.got_subcommand(reject)) return OrderStep(desk, order_id, ppe::OrderStep::kReject, "", reason);
  if (app.got_subcommand(status)) {
    const nlohmann::json s = desk.LinkStatus();
    if (json) {
      std::cout << s.dump(2) << "\n";
      return 0;
    }
    std::cout << "node            " << s["node"].get<std::string>() << " (county "
              << s["county"].get<std::string>() << ")\n"
              << "daemon          " << (s["daemon_running"].get<bool>() ? "running" : "not running")
              << "\n"
              << "connected       " << (s["connected"].get<bool>() ? "yes" : "no") << " ("
              << s["broker"].get<std::string>() << ")\n"
              << "outbox_pending  " << s["outbox_pending"] << "\n"
              << "last_ack        " << s["last_ack"] << " at " << s["last_ack_at"].get<std::string>()
              << "\n"
              << "refused         " << s["refused"] << "\n"
              << "catalogue       version " << s["catalogue_version"] << " (changes the broker delivered)\n";
    for (const auto& r : s["recent_refusals"]) {
      std::cout << "  report " << r["seq"] << " (" << ppe::EscapeControl(r["report"].get<std::string>())
                << "): " << ppe::EscapeControl(r["error"].get<std::string>()) << "\n";
    }
    for (const auto& r : s["set_aside"]) {
      std::cout << "set aside       report " << r["seq"] << " at " << r["at"].get<std::string>() << ": "
                << r["reason"].get<std::string>() << "\n";
    }
    for (const auto& a : s["alerts"]) std::cout << "ALERT           " << a.get<std::string>() << "\n";
    return 0;
  }
  return 0;
}
