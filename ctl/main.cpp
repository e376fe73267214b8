// ppe-ctl: the city coordinator's and logistics staff's command line: init a deployment, read the
// city's state, run allocation rounds, follow the dispatch log.
#include <CLI/CLI.hpp>

#include <iostream>

#include "common/city.h"
#include "common/table.h"
#include "ctl/broker_client.h"
#include "ctl/deployment_writer.h"

namespace {

int Fail(const std::string& message) {
  std::cerr << "ppe-ctl: " << message << "\n";
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

// One line per county: contact and backlog, then per item: warehouse stock and sites' cover.
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
      if (first) columns.push_back({item, item + " stock/use/cover"});
      const std::string cover = f["days_of_cover"].is_null() ? "-" : ppe::CellText(f["days_of_cover"]) + "d";
      row[item] = ppe::CellText(f["stock"]) + "/" + ppe::CellText(f["daily_use"]) + "/" + cover;
    }
    first = false;
    rows.push_back(row);
  }
  ppe::PrintTable(std::cout, rows, columns);
  std::cout << "\nstock = warehouse on hand; use = sites' daily use; cover = days the sites' own and "
               "in-transit stock lasts\n";
  if (status["alerts"].empty()) {
    std::cout << "alerts: none\n";
  } else {
    std::cout << "alerts:\n";
    for (const auto& a : status["alerts"]) std::cout << "  ! " << a.get<std::string>() << "\n";
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
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

  Output out;
  auto* status = app.add_subcommand("status", "per county: last contact, backlog, stock, demand, alerts");
  status->add_flag("--json", out.json, "print JSON");
  auto* stock = app.add_subcommand("stock", "stock per warehouse and item");
  auto* demand = app.add_subcommand("demand", "demand per site and item, with days of cover");
  auto* sites = app.add_subcommand("sites", "the city's frontline sites with tier and headcount");
  for (CLI::App* list : {stock, demand, sites}) {
    list->add_flag("--json", out.json, "print JSON");
    list->add_flag("--csv", out.csv, "print CSV");
  }
  CLI11_PARSE(app, argc, argv);

  if (app.got_subcommand(init)) {
    if (auto s = ppe::WriteDeployment(init_options, std::cout); !s.ok()) return Fail(s.message());
    return 0;
  }
  if (config_path.empty()) return Fail("--config is required (ctl.yaml or viewer.yaml from 'ppe-ctl init')");
  auto config = ppe::ClientConfig::Load(config_path);
  if (!config.ok()) return Fail(config.status().message());
  ppe::BrokerClient client(*config);
  if (auto s = client.Connect(); !s.ok()) return Fail(s.message());

  const std::string command = app.get_subcommands().front()->get_name();
  auto result = client.Call(command, nlohmann::json::object());
  if (!result.ok()) return Fail(result.status().message());
  if (command == "status") return out.json ? (std::cout << result->dump(2) << "\n", 0) : PrintStatus(*result);
  if (command == "stock") {
    return PrintRows(*result, {{"warehouse", ""}, {"county", ""}, {"item", ""}, {"on_hand", ""},
                               {"reserved", ""}, {"available", ""}}, out);
  }
  if (command == "demand") {
    return PrintRows(*result, {{"site", ""}, {"county", ""}, {"item", ""}, {"tier", ""},
                               {"on_hand", ""}, {"daily_use", ""}, {"in_transit", ""},
                               {"days_of_cover", ""}}, out);
  }
  if (command == "sites") {
    return PrintRows(*result, {{"id", ""}, {"county", ""}, {"name", ""}, {"kind", ""}, {"tier", ""},
                               {"headcount", ""}}, out);
  }
  return Fail("unknown command '" + command + "'");
}
