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
#include <iostream>

#include "common/catalogue_change.h"
#include "common/logging.h"
#include "common/table.h"
#include "common/clock.h"
#include "common/text_encoding.h"
#include "nodes/csv_import.h"
#include "nodes/node_link.h"
#include "nodes/node_store.h"
#include "nodes/report_entry.h"

namespace {

std::atomic<bool> g_stop{false};

// A clock further off than this dates counts wrongly enough to show in status.
constexpr int64_t kClockSkewAlertMs = 5 * 60 * 1000;

int Fail(const std::string& message) {
  std::cerr << "ppe-node: " << message << "\n";
  return 1;
}

// Everything a command needs: the config, the city file and the store.
struct NodeContext {
  ppe::NodeConfig config;
  ppe::City city;
  std::unique_ptr<ppe::NodeStore> store;

  ppe::Identity identity() const { return {config.node, ppe::Role::kNode, config.county}; }
};

// The city this node validates against: its city file with every catalogue change the broker
// delivered. A change that cannot apply to this file (a county or kind the file lacks) is left
// out and said, never a reason to stop recording reports.
ppe::City LiveCity(ppe::City file_city, ppe::NodeStore& store) {
  auto changes = store.CatalogueChanges();
  if (!changes.ok()) {
    std::cerr << "ppe-node: warning: " << changes.status().message() << "; using the city file alone\n";
    return file_city;
  }
  if (changes->empty()) return file_city;
  if (auto all = ppe::ApplyCatalogueChanges(file_city, *changes); all.ok()) return std::move(*all);
  ppe::City city = std::move(file_city);
  for (const ppe::wire::CatalogueChange& change : *changes) {
    auto next = ppe::ApplyCatalogueChanges(city, {change});
    if (next.ok()) {
      city = std::move(*next);
    } else {
      std::cerr << "ppe-node: warning: catalogue version " << change.version() << " (" << ppe::DescribeCatalogueChange(change)
                << ") does not fit this node's city file: " << next.status().message()
                << "; left out. Copy the broker's catalogue here: ppe-ctl catalogue --yaml\n";
    }
  }
  return city;
}

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
  auto live = LiveCity(std::move(*city), **store);
  return NodeContext{std::move(*config), std::move(live), std::move(*store)};
}

// The operator at the command line confirms by repeating it; CSV import says its own way.
constexpr const char* kHowToConfirm = "repeat the command with --confirm";

int Record(NodeContext& node, std::vector<ppe::wire::Report> reports, bool quiet = false) {
  auto last = node.store->Append(reports);
  if (!last.ok()) return Fail(last.status().message());
  const ppe::LinkState link = node.store->Link();
  if (!quiet) {
    std::cout << "recorded " << ppe::Summarize(reports.back()) << " as report " << *last << "; "
              << link.pending() << " waiting for the broker\n";
  }
  return 0;
}

nlohmann::json StatusJson(NodeContext& node) {
  const ppe::LinkState link = node.store->Link();
  const int64_t stale_after = 3 * node.config.heartbeat_ms + 2000;
  const bool daemon = ppe::NowMs() - link.daemon_seen_ms <= stale_after;
  nlohmann::json refusals = nlohmann::json::array();
  for (const ppe::Refused& r : node.store->Refusals(10)) {
    refusals.push_back({{"seq", r.seq}, {"report", r.summary}, {"error", r.text},
                        {"at", ppe::FormatTime(r.at_ms)}});
  }
  nlohmann::json set_aside = nlohmann::json::array();
  for (const ppe::SetAsideRow& r : node.store->SetAsideRows()) {
    set_aside.push_back({{"seq", r.seq}, {"reason", r.reason}, {"at", ppe::FormatTime(r.at_ms)}});
  }
  nlohmann::json alerts = nlohmann::json::array();
  if (!set_aside.empty()) {
    alerts.push_back(std::to_string(set_aside.size()) +
                     " reports could not be read back from the outbox and were set aside (the rest "
                     "were sent); re-enter them: see set_aside");
  }
  if (link.advanced_to > 0) {
    alerts.push_back("the broker had applied reports up to " + std::to_string(link.advanced_to) +
                     " from this node's key, but this store had recorded only up to " +
                     std::to_string(link.advanced_from) + " (at " + ppe::FormatTime(link.advanced_ms) +
                     "): it was put back to an older copy, or another store runs under this key. New "
                     "reports are numbered from " + std::to_string(link.advanced_to + 1) +
                     "; reports " + std::to_string(link.advanced_from + 1) + " to " +
                     std::to_string(link.advanced_to) +
                     " are the broker's, not in this store: check this county's figures ('ppe-ctl stock')");
  }
  if (std::abs(link.clock_skew_ms) > kClockSkewAlertMs) {
    alerts.push_back("this computer's clock is " + std::to_string(std::abs(link.clock_skew_ms) / 60000) +
                     " minutes " + (link.clock_skew_ms < 0 ? "ahead of" : "behind") +
                     " the broker's: counts are dated wrong; set the clock");
  }
  return {{"node", node.config.node},
          {"county", node.config.county},
          {"broker", node.config.endpoint.address},
          {"daemon_running", daemon},
          {"connected", daemon && link.connected},
          {"outbox_pending", link.pending()},
          {"catalogue_version", node.store->CatalogueHeld()},
          {"last_ack", link.last_ack},
          {"last_ack_at", ppe::FormatTime(link.last_ack_ms)},
          {"recorded", link.recorded_head},
          {"refused", link.refused},
          {"recent_refusals", refusals},
          {"set_aside", set_aside},
          {"clock_skew_s", link.clock_skew_ms / 1000},
          {"alerts", alerts}};
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
int OrderStep(NodeContext& node, int64_t id, ppe::wire::OrderStepKind step, const std::string& qty_text,
              const std::string& reason) {
  const std::string county = node.config.county;
  const ppe::NodeOrder* order = nullptr;
  const std::vector<ppe::NodeOrder> orders = node.store->Orders(false);
  for (const auto& o : orders) {
    if (o.id == id) order = &o;
  }
  const std::string name = "order " + std::to_string(id);
  if (!order) {
    return Fail(name + " is not known at this node: it does not name " + county +
                ", or has not been delivered yet (is the daemon running? see 'ppe-node orders')");
  }
  const ppe::OrderStep kind = *ppe::FromWire(step);
  const bool shipping_side = kind != ppe::OrderStep::kReceive;
  const char* verb = ppe::OrderStepVerb(kind);
  const std::string& side_county = shipping_side ? order->from_county : order->to_county;
  if (side_county != county) {
    return Fail(name + (shipping_side ? " ships from " : " goes to ") + side_county + "; only " +
                side_county + "'s node can " + verb + " it");
  }
  // Decided as the broker will decide it (common/order_lifecycle), on the order as this node
  // knows it: what the broker last said, then this node's own step still on its way there.
  const auto delivered = ppe::ParseOrderStatus(order->status);
  if (!delivered) return Fail(name + " has a status this release does not know: " + order->status);
  ppe::OrderStatus known = *delivered;
  if (order->pending) {
    const ppe::StepDecision pending = ppe::DecideStep(known, *order->pending);
    if (pending.outcome != ppe::StepOutcome::kRefused) known = pending.next;
  }
  const std::string shown = std::string(ppe::OrderStatusName(known)) + (known != *delivered ? " (pending)" : "");
  const ppe::StepDecision decision = ppe::DecideStep(known, kind);
  switch (decision.outcome) {
    case ppe::StepOutcome::kRepeat:
      std::cout << name << " is already " << shown << "; nothing to do\n";
      return 0;
    case ppe::StepOutcome::kConflict:
    case ppe::StepOutcome::kRefused:
      // This node knows the step contradicts what happened: it is not recorded. Conflicts arise
      // only where the news crossed on the way, and the broker resolves those.
      return Fail(name + " is " + shown + "; it can no longer be " + ppe::OrderStepDone(kind));
    case ppe::StepOutcome::kApply:
    case ppe::StepOutcome::kShipAndReceive:
      break;
  }
  ppe::wire::Report report;
  report.set_recorded_at_ms(ppe::NowMs());
  auto* m = report.mutable_order_step();
  m->set_order_id(id);
  m->set_step(step);
  if (step == ppe::wire::RECEIVE) {
    int64_t qty = order->qty;
    if (!qty_text.empty()) {
      auto parsed = ppe::ParseQuantity("--qty", qty_text);
      if (!parsed.ok()) return Fail(parsed.status().message());
      qty = *parsed;
    }
    m->set_quantity(qty);
  }
  if (step == ppe::wire::REJECT) {
    auto clean = ppe::CleanLine(reason, "--reason", ppe::kMaxTextLength);
    if (!clean.ok()) return Fail(clean.status().message());
    if (clean->empty()) return Fail("a rejection needs --reason TEXT (why this order cannot be shipped)");
    m->set_reason(*clean);
  }
  const int rc = Record(node, {report});
  if (rc == 0 && decision.outcome == ppe::StepOutcome::kShipAndReceive) {
    std::cout << name << " received before the news of its shipping reached this node: the broker records "
                 "the shipment it implies\n";
  }
  if (rc == 0 && step == ppe::wire::RECEIVE && m->quantity() != order->qty) {
    std::cout << "discrepancy: shipped " << order->qty << ", received " << m->quantity() << " (recorded)\n";
  }
  return rc;
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
  const ppe::ReportEntry entry(node->city, node->identity());

  if (app.got_subcommand("run")) return RunDaemon(*node);
  if (app.got_subcommand(stock) || app.got_subcommand(demand)) {
    auto report = app.got_subcommand(stock) ? entry.Stock(warehouse, item, quantity, as_of)
                                            : entry.Demand(site, item, on_hand, daily_use, as_of);
    if (!report.ok()) return Fail(report.status().message());
    const auto [place, counted] = ppe::PlaceAndItem(*report);
    const std::optional<ppe::LastFigure> last = node->store->Last(place, counted);
    if (auto s = ppe::CheckCountOrder(*report, last); !s.ok()) return Fail(s.message());
    if (auto s = ppe::CheckPlausible(*report, last, confirm, kHowToConfirm); !s.ok()) return Fail(s.message());
    report->set_confirmed(confirm);
    return Record(*node, {*report});
  }
  if (app.got_subcommand(receipt)) {
    auto report = entry.Receipt(warehouse, item, quantity, source, from, reference, lot, expires);
    if (!report.ok()) return Fail(report.status().message());
    if (auto s = ppe::CheckExpired(*report, confirm, "repeat with --confirm"); !s.ok()) return Fail(s.message());
    report->set_confirmed(confirm);
    return Record(*node, {*report});
  }
  if (app.got_subcommand(import)) {
    const auto last = [&](const std::string& place, const std::string& counted) {
      return node->store->Last(place, counted);
    };
    ppe::CsvImportResult result = ppe::ImportCsv(csv, entry, last, confirm);
    if (!result.errors.empty()) {
      for (const std::string& e : result.errors) std::cerr << "ppe-node: " << e << "\n";
      return Fail("nothing imported: fix the " + std::to_string(result.errors.size()) +
                  (result.errors.size() >= 100 ? "+" : "") + " rows above and import again");
    }
    if (result.reports.empty()) return Fail("'" + csv + "' has no rows to import");
    const int rc = Record(*node, result.reports, true);
    if (rc == 0) {
      if (result.encoding != "UTF-8" && result.encoding != "UTF-8 with a byte-order mark") {
        std::cout << csv << " was in " << result.encoding << "; converted to UTF-8\n";
      }
      std::cout << "imported " << result.reports.size() << " rows from " << csv << "; "
                << StatusJson(*node)["outbox_pending"] << " waiting for the broker\n";
    }
    return rc;
  }
  if (app.got_subcommand(orders)) return PrintOrders(*node, open_only, json, csv_out);
  if (app.got_subcommand(ship)) return OrderStep(*node, order_id, ppe::wire::SHIP, "", "");
  if (app.got_subcommand(receive)) return OrderStep(*node, order_id, ppe::wire::RECEIVE, quantity, "");
  if (app.got_subcommand(reject)) return OrderStep(*node, order_id, ppe::wire::REJECT, "", reason);
  if (app.got_subcommand(status)) {
    const nlohmann::json s = StatusJson(*node);
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
