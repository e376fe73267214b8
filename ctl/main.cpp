// ppe-ctl: the city coordinator's and logistics staff's command line: init a deployment, read the
// city's state, run allocation rounds, follow the dispatch log.
#include <CLI/CLI.hpp>
#include <sys/stat.h>

#include <atomic>
#include <csignal>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <map>

#include "common/city.h"
#include "common/table.h"
#include "common/text_encoding.h"
#include "common/wire.h"
#include "ctl/broker_client.h"
#include "ctl/donations_report.h"
#include "ctl/deployment_writer.h"

namespace {

std::atomic<bool> g_interrupted{false};

int Fail(const std::string& message) {
  std::cerr << "ppe-ctl: " << ppe::EscapeControl(message) << "\n";  // it may echo the broker's text
  return 1;
}

struct Output {
  bool json = false;
  bool csv = false;
};

int PrintRows(const nlohmann::json& rows, const std::vector<ppe::Column>& columns, const Output& out) {
  if (out.json) {
    std::cout << rows.dump(2) << "\n";
  } else if (out.csv) {
    ppe::PrintCsv(std::cout, rows, columns);
  } else if (rows.empty()) {
    std::cout << "(none)\n";
  } else {
    ppe::PrintTable(std::cout, rows, columns);
  }
  return 0;
}

// One line per county: contact and backlog, then per item the warehouse stock and the days of
// cover of its sites (their own and in-transit stock over their daily use).
int PrintStatus(const nlohmann::json& status) {
  std::cout << "city " << status["city"].get<std::string>() << " at " << status["at"].get<std::string>()
            << " (" << status["events"] << " events in the ledger)\n\n";
  nlohmann::json rows = nlohmann::json::array();
  std::vector<ppe::Column> columns = {{"county", ""}, {"last_contact", "last contact"},
                                      {"reports_applied", "applied"}, {"reports_behind", "behind"}};
  bool first = true;
  for (const auto& county : status["counties"]) {
    nlohmann::json row = county;
    for (const auto& [item, f] : county["items"].items()) {
      if (first) columns.push_back({item, item});
      const std::string cover = f["days_of_cover"].is_null() ? "-" : ppe::CellText(f["days_of_cover"]) + "d";
      row[item] = ppe::CellText(f["stock"]) + " | " + cover;
    }
    first = false;
    rows.push_back(row);
  }
  ppe::PrintTable(std::cout, rows, columns);
  std::cout << "\nitem cells: warehouse stock | days of cover at the county's sites (on hand + in transit)\n";
  if (status["alerts"].empty()) {
    std::cout << "alerts: none\n";
    return 0;
  }
  std::cout << "alerts (" << status["alerts"].size() << "):\n";
  for (const auto& a : status["alerts"]) {
    std::cout << "  ! " << ppe::CellText(a["county"]) << ": " << ppe::CellText(a["text"]) << "\n";
  }
  return 0;
}

const std::vector<ppe::Column> kOrderColumns = {
    {"id", ""}, {"round", ""}, {"status", ""}, {"from_warehouse", "from"}, {"to_site", "to"},
    {"to_county", ""}, {"item", ""}, {"qty", ""}, {"received_qty", "received"}, {"tier", ""},
    {"reason", "why this warehouse"}};
const std::vector<ppe::Column> kLogColumns = {
    {"time", ""}, {"order", ""}, {"status", ""}, {"from", ""}, {"to", ""}, {"item", ""},
    {"qty", ""}, {"who", ""}, {"note", ""}};

// The plan, tier by tier: tier 1 first, as it is served first.
int PrintAllocation(const nlohmann::json& plan) {
  const auto& orders = plan["orders"];
  std::cout << "round " << plan["round"] << (plan["dry_run"].get<bool>() ? " (dry run: nothing stored)" : " committed")
            << ": " << orders.size() << " orders\n";
  std::map<int, nlohmann::json> by_tier;
  for (const auto& o : orders) {
    nlohmann::json row = o;
    row["cover"] = ppe::CellText(o["days_before"]) + " -> " + ppe::CellText(o["days_after"]) + " d";
    by_tier[o["tier"].get<int>()].push_back(row);
  }
  std::map<int, std::pair<double, double>> lowest;  // tier -> lowest cover before, after
  for (const auto& c : plan["coverage"]) {
    auto [it, fresh] = lowest.try_emplace(c["tier"].get<int>(), 1e300, 1e300);
    it->second.first = std::min(it->second.first, c["days_before"].get<double>());
    it->second.second = std::min(it->second.second, c["days_after"].get<double>());
  }
  for (const auto& [tier, cover] : lowest) {
    const size_t n = by_tier.count(tier) ? by_tier[tier].size() : 0;
    std::cout << "\ntier " << tier << ": " << n << " orders; lowest site cover " << ppe::CellText(cover.first)
              << " -> " << ppe::CellText(cover.second) << " days\n";
    if (n == 0) continue;
    ppe::PrintTable(std::cout, by_tier[tier],
                    {{"id", ""}, {"from_warehouse", "from"}, {"to_site", "to"}, {"item", ""},
                     {"for_item", "for"}, {"qty", ""}, {"cover", "site cover"}, {"reason", "why this warehouse"}});
  }
  return 0;
}

int PrintExplain(const nlohmann::json& o) {
  const auto text = [&o](const char* key) { return ppe::CellText(o[key]); };  // escaped
  std::cout << "order " << o["id"] << " (round " << o["round"] << "): " << o["qty"] << " "
            << text("item") << " from " << text("from_warehouse") << " ("
            << text("from_county") << ") to " << text("to_site") << " ("
            << text("to_county") << ")\n"
            << "status:  " << text("status")
            << (o["received_qty"].is_null() ? "" : ", received " + ppe::CellText(o["received_qty"])) << "\n"
            << "why:     tier " << o["tier"] << " site; its " << text("for_item")
            << " cover rises from " << ppe::CellText(o["days_before"]) << " to "
            << ppe::CellText(o["days_after"]) << " days this round\n"
            << "source:  " << text("reason") << " (" << ppe::CellText(o["distance_km"])
            << " km by road)\n\nhistory:\n";
  ppe::PrintTable(std::cout, o["history"], kLogColumns);
  return 0;
}

// Why a site got what it got, item by item, as `explain --site` prints it for people.
int PrintSiteExplain(const nlohmann::json& e) {
  std::cout << "site " << ppe::CellText(e["site"]) << " (" << ppe::CellText(e["name"]) << ", "
            << ppe::CellText(e["county"]) << "), tier " << e["tier"] << ", headcount " << e["headcount"] << "\n"
            << (e["dry_run"].get<bool>() ? "plan made now (dry run), round " : "last committed round ")
            << e["round"] << "\n";
  if (e.contains("note")) std::cout << ppe::CellText(e["note"]) << "\n";
  for (const auto& i : e["items"]) {
    std::cout << "\n" << ppe::CellText(i["item"]) << ": " << ppe::CellText(i["why"]) << "\n";
    if (!i.contains("used_daily_use")) continue;
    std::cout << "  on hand " << i["on_hand"] << ", in transit " << i["in_transit"] << ", counted "
              << ppe::CellText(i["as_of"]) << "\n"
              << "  daily use: reported " << ppe::CellText(i["reported_daily_use"]) << ", ceiling "
              << ppe::CellText(i["ceiling"]) << ", observed " << ppe::CellText(i["observed_daily_use"])
              << ", used " << ppe::CellText(i["used_daily_use"]) << "\n"
              << "  cover " << ppe::CellText(i["days_before"]) << " -> " << ppe::CellText(i["days_after"])
              << " days; got " << i["got"] << "\n";
    if (!i["orders"].empty()) {
      ppe::PrintTable(std::cout, i["orders"],
                      {{"id", ""}, {"from_warehouse", "from"}, {"item", ""}, {"qty", ""}, {"reason", "why this warehouse"}});
    }
  }
  return 0;
}

// capped (by what), stale, inconsistent: the demand table's last column.
std::string DemandFlags(const nlohmann::json& row) {
  std::string flags;
  const auto add = [&flags](const std::string& flag) { flags += (flags.empty() ? "" : " ") + flag; };
  if (row.value("capped", false)) add("capped:" + row.value("capped_by", std::string()));
  if (row.value("stale", false)) add("stale");
  if (row.value("inconsistent", false)) add("inconsistent");
  return flags;
}

// "2026-02-03" or "2026-02-03 14:00[:00]" in local time, as milliseconds since the epoch.
ppe::Result<int64_t> ParseTime(const std::string& text) {
  if (text.empty()) return int64_t{0};
  for (const char* format : {"%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d"}) {
    std::tm tm{};
    const char* end = strptime(text.c_str(), format, &tm);
    if (end && *end == '\0') {
      tm.tm_isdst = -1;
      return static_cast<int64_t>(std::mktime(&tm)) * 1000;
    }
  }
  return ppe::Status::Error("time '" + text + "' is not like 2026-02-03 or '2026-02-03 14:00'");
}

// Prints the live feed until interrupted: one line (or JSON line) per order event.
int FollowFeed(const ppe::ClientConfig& config, const Output& out) {
  if (config.feed.empty()) return Fail("this config names no feed address");
  zmq::context_t context(1);
  zmq::socket_t feed(context, zmq::socket_type::sub);
  if (auto s = ppe::SecureClientSocket(feed, config.endpoint); !s.ok()) return Fail(s.message());
  feed.set(zmq::sockopt::subscribe, "");
  feed.connect(config.feed);
  std::signal(SIGINT, [](int) { g_interrupted = true; });
  std::signal(SIGTERM, [](int) { g_interrupted = true; });
  std::cerr << "following the dispatch log at " << config.feed << " (Ctrl-C to stop)\n";
  while (!g_interrupted) {
    zmq::pollitem_t items[] = {{feed.handle(), 0, ZMQ_POLLIN, 0}};
    try {
      zmq::poll(items, 1, std::chrono::milliseconds(200));
    } catch (const zmq::error_t&) {
      continue;
    }
    zmq::message_t line;
    while (feed.recv(line, zmq::recv_flags::dontwait)) {
      nlohmann::json event = nlohmann::json::parse(line.to_string(), nullptr, false);
      if (event.is_discarded()) continue;
      if (out.json) {
        std::cout << event.dump() << std::endl;
      } else {
        for (const auto& c : kLogColumns) std::cout << ppe::CellText(event.value(c.key, nlohmann::json())) << "  ";
        std::cout << std::endl;
      }
    }
  }
  return 0;
}

// Loopback: only this machine reaches the broker.
bool IsLoopback(const std::string& host) {
  return host == "localhost" || host == "::1" || host == "[::1]" || host.rfind("127.", 0) == 0;
}

// --insecure said loud, on stderr, each warning on its own line.
void WarnInsecure(const std::string& bind) {
  std::cerr << "ppe-ctl: WARNING: --insecure: no encryption and no real authentication (PLAIN; a key's "
               "\"password\" is its public key): for a trusted lab network only\n";
  if (!IsLoopback(bind)) {
    std::cerr << "ppe-ctl: WARNING: the broker will listen on " << bind
              << ", not on loopback: anyone on that network can read every report and order, and "
                 "report or allocate as any key\n";
  }
}

}  // namespace

int main(int argc, char** argv) {
  umask(077);  // every file and folder this writes (keys, configs) is its owner's alone
  CLI::App app{"ppe-ctl: coordinate the city's PPE: status, stock, demand, allocation, dispatch log"};
  app.require_subcommand(1);
  std::string config_path;
  app.add_option("--config", config_path, "ctl.yaml (coordinator) or viewer.yaml (read-only)");

  ppe::InitOptions init_options;
  auto* init = app.add_subcommand("init", "write a deployment (configs and keys) for a city file");
  init->add_option("--city", init_options.city_file, "the city file, e.g. config/sanming.yaml")->required();
  init->add_option("--out", init_options.out_dir, "the folder to write")->required();
  init->add_option("--port-base", init_options.port_base, "broker port N; the live log feed is N+1")
      ->capture_default_str();
  init->add_option("--bind", init_options.bind, "address the broker listens on")->capture_default_str();
  init->add_flag("--insecure", init_options.insecure, "no CURVE encryption (a trusted lab network only)");

  ppe::KeyOptions key_options;
  auto* keys = app.add_subcommand("keys", "add a key to a deployment, or list its keys (no broker needed)");
  keys->require_subcommand(1);
  auto* keys_add = keys->add_subcommand("add", "a new viewer, coordinator or node key and its config");
  keys_add->add_option("NAME", key_options.name, "the key's name (its file name and identity)")->required();
  keys_add->add_option("--role", key_options.role, "viewer, coordinator or node")
      ->required()
      ->check(CLI::IsMember({"viewer", "coordinator", "node"}));
  keys_add->add_option("--county", key_options.county, "node only: the county it reports for");
  auto* keys_list = keys->add_subcommand("list", "every key in the deployment's key folder");
  for (CLI::App* sub : {keys_add, keys_list}) {
    sub->add_option("--dir", key_options.dir, "the deployment folder ('ppe-ctl init --out')")->required();
  }

  Output out;
  keys_list->add_flag("--json", out.json, "print JSON");
  keys_list->add_flag("--csv", out.csv, "print CSV");
  auto* status = app.add_subcommand("status", "per county: last contact, backlog, stock, demand, alerts");
  status->add_flag("--json", out.json, "print JSON");
  auto* stock = app.add_subcommand("stock", "stock per warehouse and item");
  auto* demand = app.add_subcommand("demand", "demand per site and item, with days of cover");
  auto* sites = app.add_subcommand("sites", "the city's frontline sites with tier and headcount");
  for (CLI::App* list : {stock, demand, sites}) {
    list->add_flag("--json", out.json, "print JSON");
    list->add_flag("--csv", out.csv, "print CSV");
  }

  bool as_yaml = false, changes = false;
  auto* catalogue = app.add_subcommand("catalogue", "the live catalogue the broker runs with: items, tiers, policy, places");
  catalogue->add_flag("--yaml", as_yaml, "print it as a city file (ppe-ctl init --city accepts it)");
  catalogue->add_flag("--changes", changes, "its ledger instead: every change, newest first, with who, when, before, after");
  catalogue->add_flag("--json", out.json, "print JSON");

  // The live catalogue's changes (coordinator): each reaches every county's node within seconds.
  std::string site_id, site_county, site_kind, site_name;
  int64_t headcount = 0, tier = 0;
  auto* site_cmd = app.add_subcommand("site", "add, change or retire a frontline site while everything runs (coordinator)");
  site_cmd->require_subcommand(1);
  auto* site_add = site_cmd->add_subcommand("add", "a new site; its county's node can report for it within seconds");
  auto* site_set = site_cmd->add_subcommand("set", "change a site's headcount, kind, tier or name");
  auto* site_retire = site_cmd->add_subcommand("retire", "a site no longer served: its open orders are cancelled");
  for (CLI::App* sub : {site_add, site_set, site_retire}) {
    sub->add_option("ID", site_id, "the site's id")->required();
    sub->add_flag("--json", out.json, "print JSON: the change and its version");
  }
  site_add->add_option("--county", site_county, "its county id")->required();
  for (CLI::App* sub : {site_add, site_set}) {
    auto* kind = sub->add_option("--kind", site_kind, "its kind (hospital, fever_clinic, ...: the catalogue's tiers list them)");
    auto* people = sub->add_option("--headcount", headcount, "people it serves (the ceiling on its daily use)");
    auto* name = sub->add_option("--name", site_name, "its name, as people know it");
    sub->add_option("--tier", tier, "its own tier instead of its kind's (1 is served first)");
    if (sub == site_add) {
      kind->required();
      people->required();
      name->required();
    }
  }
  std::string retire_reason;
  site_retire->add_option("--reason", retire_reason, "why: it goes with every cancelled order")->required();
  std::string policy_key, policy_value;
  auto* policy = app.add_subcommand("policy", "change an allocation policy value (coordinator)");
  policy->require_subcommand(1);
  auto* policy_set = policy->add_subcommand("set", "target_days, min_order_days, use_ceiling, observed_margin, "
                                                   "stale_after_days or road_factor; the next round uses it");
  policy_set->add_option("KEY", policy_key, "the policy key")->required();
  policy_set->add_option("VALUE", policy_value, "its new value")->required();
  policy_set->add_flag("--json", out.json, "print JSON: the change and its version");

  bool batches = false;
  stock->add_flag("--batches", batches, "one row per batch: source, donor, reference, lot, expiry, what is left");
  std::string trace_donor, trace_batch, trace_reference;
  auto* trace = app.add_subcommand("trace", "where every unit of a donor's, a batch's or a reference's goods went");
  trace->add_option("--donor", trace_donor, "the donor's name, as recorded with --from");
  trace->add_option("--batch", trace_batch, "a batch id (ppe-ctl stock --batches)");
  trace->add_option("--reference", trace_reference, "a waybill or donation certificate, as recorded with --reference");
  trace->add_flag("--json", out.json, "print JSON: {received, in_warehouses, in_transit, landed, lost, rows}");
  trace->add_flag("--csv", out.csv, "print the rows as CSV");
  bool html = false;
  auto* donations = app.add_subcommand(
      "donations", "the public donations report: per donor, each receipt and every site it reached, from the ledger");
  donations->add_flag("--json", out.json, "print JSON");
  donations->add_flag("--csv", out.csv, "print CSV: one row per donor and receipt, site reached or loss");
  donations->add_flag("--html", html, "print a web page (UTF-8) to publish");

  bool dry_run = false, follow = false;
  auto* allocate = app.add_subcommand("allocate", "run an allocation round (coordinator), or preview it");
  allocate->add_flag("--dry-run", dry_run, "show the plan without storing anything");
  allocate->add_flag("--json", out.json, "print JSON: {round, orders, coverage}");

  nlohmann::json filter = nlohmann::json::object();
  std::string county, site, item, status_filter, since, until, reason;
  int64_t order_id = 0;
  auto* orders = app.add_subcommand("orders", "dispatch orders, filtered");
  auto* log = app.add_subcommand("log", "every order event in time order (the dispatch log)");
  for (CLI::App* list : {orders, log}) {
    list->add_option("--county", county, "orders from or to this county");
    list->add_option("--site", site, "orders to this site");
    list->add_option("--item", item, "orders of this item");
    list->add_option("--status", status_filter, "created, accepted, shipped, received, rejected, cancelled");
    list->add_flag("--json", out.json, "print JSON");
    list->add_flag("--csv", out.csv, "print CSV");
  }
  log->add_option("--since", since, "from this time (2026-02-03 or '2026-02-03 14:00')");
  log->add_option("--until", until, "up to this time");
  log->add_flag("--follow", follow, "then print new events as they happen (viewer or coordinator key)");

  auto* explain = app.add_subcommand(
      "explain", "why an order exists (ORDER), or why a site got what it got (--site) in the last round");
  explain->add_option("ORDER", order_id, "order id");
  explain->add_option("--site", site, "the site: its tier, figures, cover before and after, what it got and why");
  explain->add_option("--item", item, "with --site: this item only");
  explain->add_flag("--dry-run", dry_run, "with --site: for a plan made now instead of the last committed round");
  explain->add_flag("--json", out.json, "print JSON");
  auto* cancel = app.add_subcommand("cancel", "cancel an order not yet shipped (coordinator)");
  cancel->add_option("ORDER", order_id, "order id")->required();
  cancel->add_option("--reason", reason, "why")->required();
  auto* check = app.add_subcommand("check", "recompute stock from the ledger; exit 1 if anything disagrees");
  check->add_flag("--json", out.json, "print JSON");
  std::string backup_file;
  auto* backup = app.add_subcommand(
      "backup",
      "copy the broker's store, while it runs, to FILE on the broker's machine (coordinator); "
      "restore: docs/operations.md");
  backup->add_option("FILE", backup_file,
                     "a new file (never replaced) where the broker writes the copy, mode 0600, on ITS "
                     "machine; a relative FILE is made absolute against this command's current folder")
      ->required();
  backup->add_flag("--json", out.json, "print JSON: {path, pages, bytes, seconds}");
  CLI11_PARSE(app, argc, argv);
  if (app.got_subcommand(explain) && (order_id > 0) == !site.empty()) {
    return Fail("explain takes an ORDER or --site SITE (one of them)");
  }

  if (app.got_subcommand(init)) {
    if (auto s = ppe::WriteDeployment(init_options, std::cout); !s.ok()) return Fail(s.message());
    if (init_options.insecure) WarnInsecure(init_options.bind);
    return 0;
  }
  if (app.got_subcommand(keys)) {
    if (keys->got_subcommand(keys_add)) {
      if (auto s = ppe::AddKey(key_options, std::cout); !s.ok()) return Fail(s.message());
      return 0;
    }
    auto rows = ppe::ListKeys(key_options.dir);
    if (!rows.ok()) return Fail(rows.status().message());
    return PrintRows(*rows, {{"name", ""}, {"role", ""}, {"county", ""}, {"file", ""}}, out);
  }
  if (config_path.empty()) return Fail("--config is required (ctl.yaml or viewer.yaml from 'ppe-ctl init')");
  auto config = ppe::ClientConfig::Load(config_path);
  if (!config.ok()) return Fail(config.status().message());
  ppe::BrokerClient client(*config);
  if (auto s = client.Connect(); !s.ok()) return Fail(s.message());

  std::string command = app.get_subcommands().front()->get_name();
  if (command == "site" || command == "policy") command += "_" + app.get_subcommands().front()->get_subcommands().front()->get_name();
  nlohmann::json args = nlohmann::json::object();
  auto since_ms = ParseTime(since);
  auto until_ms = ParseTime(until);
  if (!since_ms.ok()) return Fail(since_ms.status().message());
  if (!until_ms.ok()) return Fail(until_ms.status().message());
  if (!county.empty()) args["county"] = county;
  if (!site.empty()) args["site"] = site;
  if (!item.empty()) args["item"] = item;
  if (!status_filter.empty()) args["status"] = status_filter;
  if (*since_ms > 0) args["since_ms"] = *since_ms;
  if (*until_ms > 0) args["until_ms"] = *until_ms;
  if (order_id > 0) args["order"] = order_id;
  if (!reason.empty()) args["reason"] = reason;
  if (dry_run) args["dry_run"] = true;
  if (batches) args["batches"] = true;
  if (app.got_subcommand(trace)) {
    if (!trace_donor.empty() + !trace_batch.empty() + !trace_reference.empty() != 1) {
      return Fail("trace takes one of --donor NAME, --batch ID or --reference REF");
    }
    if (!trace_donor.empty()) args["donor"] = trace_donor;
    if (!trace_batch.empty()) args["batch"] = trace_batch;
    if (!trace_reference.empty()) args["reference"] = trace_reference;
  }
  if (changes) args["changes"] = true;
  if (app.got_subcommand(site_cmd)) {
    // Typed at a console that may be GBK: decoded and checked here, as a node does with its own.
    for (auto [key, text] : {std::pair{"name", &site_name}, std::pair{"reason", &retire_reason}}) {
      if (text->empty()) continue;
      auto clean = ppe::CleanLine(*text, std::string("--") + key, 200);
      if (!clean.ok()) return Fail(clean.status().message());
      args[key] = *clean;
    }
    args["id"] = site_id;
    if (!site_county.empty()) args["county"] = site_county;
    if (!site_kind.empty()) args["kind"] = site_kind;
    CLI::App* sub = site_cmd->get_subcommands().front();
    if (sub != site_retire && sub->count("--headcount")) args["headcount"] = headcount;
    if (sub != site_retire && sub->count("--tier")) args["tier"] = tier;
  }
  if (app.got_subcommand(policy)) {
    args["key"] = policy_key;
    args["value"] = policy_value;
  }
  if (!backup_file.empty()) {
    // The broker writes the file, on its own machine: it needs a path that does not depend on its
    // current folder.
    args["file"] = std::filesystem::absolute(backup_file).lexically_normal().string();
  }
  // A backup is answered when the copy is whole: minutes for a large store.
  const int timeout_ms = command == "backup" ? 1800000 : command == "allocate" || command == "check" ? 120000 : 15000;
  if (command == "allocate" && out.json) {
    // A province's plan is megabytes: printed as the broker wrote it, not parsed and rewritten.
    auto text = client.CallText(command, args, timeout_ms);
    if (!text.ok()) return Fail(text.status().message());
    std::cout << *text << "\n";
    return 0;
  }
  auto result = client.Call(command, args, timeout_ms);
  if (!result.ok()) return Fail(result.status().message());
  if (command == "allocate") return PrintAllocation(*result);
  if (command == "orders") return PrintRows(*result, kOrderColumns, out);
  if (command == "log") {
    PrintRows(*result, kLogColumns, out);
    return follow ? FollowFeed(*config, out) : 0;
  }
  if (command == "explain" && out.json) return (std::cout << result->dump(2) << "\n", 0);
  if (command == "explain") return site.empty() ? PrintExplain(*result) : PrintSiteExplain(*result);
  if (command == "cancel") {
    std::cout << "order " << order_id << " cancelled: " << reason << "; its stock is back in the pool\n";
    return 0;
  }
  if (command == "check") {
    if (out.json) {
      std::cout << result->dump(2) << "\n";
    } else {
      const auto& c = (*result)["checked"];
      // A count the damage made unreadable shows as "?", its reason among the problems.
      auto count = [&c](const char* key) { return c.value(key, nlohmann::json()).is_null() ? std::string("?") : c[key].dump(); };
      std::cout << "checked " << count("events") << " ledger events, " << count("warehouse_items")
                << " warehouse figures, " << count("site_items") << " site figures, " << count("orders")
                << " orders, " << count("pages") << " store pages\n";
      const nlohmann::json integrity = result->value("integrity", nlohmann::json::array());
      const std::string damaged = "store integrity: ";
      for (const auto& p : (*result)["problems"]) {
        const std::string text = ppe::CellText(p);
        if (text.rfind(damaged, 0) == 0) {
          std::cout << "  DAMAGED  " << text.substr(damaged.size()) << "\n";
        } else if (text.rfind("cannot ", 0) == 0) {
          std::cout << "  UNREADABLE " << text << "\n";
        } else {
          std::cout << "  MISMATCH " << text << "\n";
        }
      }
      if (!integrity.empty()) {
        std::cout << "the store is damaged (" << integrity.size()
                  << " integrity problem(s)): restore the last backup (docs/operations.md); "
                     "the nodes resend what they still hold\n";
      } else {
        std::cout << ((*result)["ok"].get<bool>() ? "ledger and books agree\n" : "the books disagree with the ledger\n");
      }
    }
    return (*result)["ok"].get<bool>() ? 0 : 1;
  }
  if (command == "status") return out.json ? (std::cout << result->dump(2) << "\n", 0) : PrintStatus(*result);
  if (command == "backup") {
    if (out.json) {
      std::cout << result->dump(2) << "\n";
    } else {
      std::cout << "backup written to " << (*result)["path"].get<std::string>() << " on the broker's machine: "
                << (*result)["pages"] << " pages, " << (*result)["bytes"] << " bytes, in "
                << ppe::CellText((*result)["seconds"]) << " s\n";
    }
    return 0;
  }
  if (command.rfind("site_", 0) == 0 || command == "policy_set") {
    if (out.json) return (std::cout << result->dump(2) << "\n", 0);
    std::cout << "catalogue version " << (*result)["version"] << ": " << (*result)["change"].get<std::string>();
    if (result->contains("cancelled_orders")) {
      std::cout << "; " << (*result)["cancelled_orders"] << " open order(s) to it cancelled, their stock back in the pool";
      for (const auto& shipped : (*result)["shipped_orders_still_open"]) std::cout << "\n  " << shipped.get<std::string>();
    }
    std::cout << "\nevery county's node gets it when connected ('ppe-node status' shows the version it holds)\n";
    return 0;
  }
  if (command == "catalogue" && changes) {
    if (out.json) return (std::cout << result->dump(2) << "\n", 0);
    return PrintRows(*result, {{"version", ""}, {"at", ""}, {"by", ""}, {"kind", ""}, {"subject", ""}, {"before", ""},
                               {"after", ""}, {"reason", ""}}, out);
  }
  if (command == "catalogue") {
    if (as_yaml) return (std::cout << (*result)["yaml"].get<std::string>(), 0);
    if (out.json) return (std::cout << result->dump(2) << "\n", 0);
    const nlohmann::json& c = *result;
    std::cout << "city " << c["city"].get<std::string>() << ", catalogue version " << c["version"] << ": " << c["items"].size() << " items, " << c["counties"].size()
              << " counties, " << c["warehouses"].size() << " warehouses, " << c["sites"].size()
              << " sites (--yaml writes it as a city file)\n";
    return PrintRows(c["sites"], {{"id", ""}, {"county", ""}, {"name", ""}, {"kind", ""}, {"tier", ""},
                                  {"headcount", ""}}, out);
  }
  if (command == "stock" && batches) {
    return PrintRows(*result, {{"batch", ""}, {"warehouse", ""}, {"item", ""}, {"origin", ""}, {"source", ""},
                               {"donor", ""}, {"reference", ""}, {"lot", ""}, {"expires", ""}, {"received", ""},
                               {"left", ""}, {"reserved", ""}, {"date", "received on"}}, out);
  }
  if (command == "stock") {
    return PrintRows(*result, {{"warehouse", ""}, {"county", ""}, {"item", ""}, {"on_hand", ""},
                               {"reserved", ""}, {"available", ""}}, out);
  }
  if (command == "trace") {
    if (out.json) return (std::cout << result->dump(2) << "\n", 0);
    const nlohmann::json& t = *result;
    if (!out.csv) {
      std::cout << "received " << t["received"] << ": in warehouses " << t["in_warehouses"] << ", in transit "
                << t["in_transit"] << ", landed " << t["landed"] << ", lost " << t["lost"] << " ("
                << (t["adds_up"].get<bool>() ? "adds up" : "DOES NOT ADD UP") << ")\n";
    }
    PrintRows(t["rows"], {{"order", ""}, {"batch", ""}, {"site", ""}, {"county", ""}, {"qty", ""}, {"status", ""},
                          {"date", ""}}, out);
    if (!out.csv && !t["losses"].empty()) {
      std::cout << "\nlost:\n";
      ppe::PrintTable(std::cout, t["losses"], {{"how", ""}, {"batch", ""}, {"qty", ""}, {"date", ""}});
    }
    return 0;
  }
  if (command == "donations") {
    if (out.json) return (std::cout << result->dump(2) << "\n", 0);
    if (html) return (ppe::WriteDonationsHtml(std::cout, *result), 0);
    ppe::WriteDonationsCsv(std::cout, *result, out.csv);
    return 0;
  }
  if (command == "demand") {
    for (auto& row : *result) row["flags"] = DemandFlags(row);
    return PrintRows(*result, {{"site", ""}, {"county", ""}, {"item", ""}, {"tier", ""},
                               {"on_hand", ""}, {"reported_daily_use", "reported"}, {"ceiling", ""},
                               {"observed_daily_use", "observed"}, {"used_daily_use", "used"},
                               {"in_transit", ""}, {"days_of_cover", "cover"}, {"as_of", ""},
                               {"flags", ""}}, out);
  }
  if (command == "sites") {
    return PrintRows(*result, {{"id", ""}, {"county", ""}, {"name", ""}, {"kind", ""}, {"tier", ""},
                               {"headcount", ""}}, out);
  }
  return Fail("unknown command '" + command + "'");
}
