#include "broker/ctl_service.h"

#include <spdlog/spdlog.h>

#include <map>

#include "common/wire.h"

namespace ppe {
namespace {

nlohmann::json DaysOfCover(double units, double daily_use) {
  if (daily_use <= 0) return nullptr;  // no use: cover is unbounded
  return std::round(units / daily_use * 100) / 100;
}

wire::Reply Refuse(wire::ErrorCode code, std::string text) {
  wire::Reply reply;
  reply.set_ok(false);
  reply.set_code(code);
  reply.set_error(std::move(text));
  return reply;
}

}  // namespace

nlohmann::json CtlService::Sites() const {
  nlohmann::json rows = nlohmann::json::array();
  for (const Site& s : city_.sites()) {
    rows.push_back({{"id", s.id}, {"county", s.county}, {"name", s.name}, {"kind", s.kind},
                    {"tier", s.tier}, {"headcount", s.headcount}});
  }
  return rows;
}

nlohmann::json CtlService::StockRows() {
  nlohmann::json rows = nlohmann::json::array();
  for (const StockRow& r : store_.Stock()) {
    const Warehouse* w = city_.FindWarehouse(r.warehouse);
    rows.push_back({{"warehouse", r.warehouse},
                    {"county", w ? w->county : ""},
                    {"item", r.item},
                    {"on_hand", r.on_hand},
                    {"reserved", r.reserved},
                    {"available", r.on_hand - r.reserved}});
  }
  return rows;
}

nlohmann::json CtlService::DemandRows() {
  nlohmann::json rows = nlohmann::json::array();
  for (const DemandRow& r : store_.Demand()) {
    const Site* s = city_.FindSite(r.site);
    rows.push_back({{"site", r.site},
                    {"county", s ? s->county : ""},
                    {"item", r.item},
                    {"tier", s ? s->tier : 0},
                    {"on_hand", r.on_hand},
                    {"daily_use", r.daily_use},
                    {"in_transit", r.in_transit},
                    {"days_of_cover", DaysOfCover(r.on_hand + r.in_transit, r.daily_use)},
                    {"as_of", FormatTime(r.as_of_ms)}});
  }
  return rows;
}

// One row per county (and the city's own node): contact, backlog, stock, demand, cover, alerts.
nlohmann::json CtlService::Status() {
  const int64_t now = NowMs();
  struct ItemFigures {
    int64_t stock = 0, site_on_hand = 0, in_transit = 0;
    double daily_use = 0, lowest_cover = -1;
  };
  std::map<std::string, std::map<std::string, ItemFigures>> figures;
  for (const StockRow& r : store_.Stock()) {
    if (const Warehouse* w = city_.FindWarehouse(r.warehouse)) figures[w->county][r.item].stock += r.on_hand;
  }
  for (const DemandRow& r : store_.Demand()) {
    const Site* s = city_.FindSite(r.site);
    if (!s) continue;
    ItemFigures& f = figures[s->county][r.item];
    f.site_on_hand += r.on_hand;
    f.in_transit += r.in_transit;
    f.daily_use += r.daily_use;
    if (r.daily_use > 0) {
      const double cover = (r.on_hand + r.in_transit) / r.daily_use;
      if (f.lowest_cover < 0 || cover < f.lowest_cover) f.lowest_cover = cover;
    }
  }
  std::map<std::string, const NodeProgress*> node_of_county;
  for (const auto& [name, p] : store_.progress()) node_of_county[p.county] = &p;

  std::vector<std::pair<std::string, std::string>> places;  // county id, name
  for (const County& c : city_.counties()) places.emplace_back(c.id, c.name);
  places.emplace_back(kCityCounty, city_.name() + " city reserve");

  nlohmann::json counties = nlohmann::json::array();
  nlohmann::json all_alerts = nlohmann::json::array();
  for (const auto& [id, name] : places) {
    const NodeProgress* p = node_of_county.count(id) ? node_of_county[id] : nullptr;
    nlohmann::json alerts = nlohmann::json::array();
    const bool silent = !p || now - p->last_contact_ms > config_.silent_after_s * 1000;
    if (silent) {
      alerts.push_back(p ? "silent since " + FormatTime(p->last_contact_ms) : "never connected");
    }
    nlohmann::json items = nlohmann::json::object();
    for (const Item& item : city_.items()) {
      const ItemFigures f = figures[id][item.id];
      items[item.id] = {{"stock", f.stock},
                        {"site_on_hand", f.site_on_hand},
                        {"in_transit", f.in_transit},
                        {"daily_use", f.daily_use},
                        {"days_of_cover", DaysOfCover(f.site_on_hand + f.in_transit, f.daily_use)},
                        {"lowest_site_cover",
                         f.lowest_cover < 0 ? nlohmann::json(nullptr)
                                            : nlohmann::json(std::round(f.lowest_cover * 100) / 100)}};
    }
    const int64_t behind =
        p && p->recorded_head > p->last_seq ? static_cast<int64_t>(p->recorded_head - p->last_seq) : 0;
    if (p && p->refused > 0) alerts.push_back(std::to_string(p->refused) + " reports refused");
    for (const auto& a : alerts) all_alerts.push_back(id + ": " + a.get<std::string>());
    counties.push_back({{"county", id},
                        {"name", name},
                        {"last_contact", p ? FormatTime(p->last_contact_ms) : "-"},
                        {"last_contact_ms", p ? p->last_contact_ms : 0},
                        {"connected", !silent},
                        {"reports_applied", p ? p->last_seq : 0},
                        {"reports_behind", behind},
                        {"refused", p ? p->refused : 0},
                        {"items", items},
                        {"alerts", alerts}});
  }
  return {{"city", city_.name()},
          {"at", FormatTime(now)},
          {"events", store_.EventCount()},
          {"counties", counties},
          {"alerts", all_alerts}};
}

wire::Reply CtlService::Handle(const Identity& who, const wire::Request& request) {
  if (who.role == Role::kNode) {
    return Refuse(wire::FORBIDDEN, "a node key cannot use ppe-ctl commands");
  }
  nlohmann::json result;
  const std::string& command = request.command();
  if (command == "sites") {
    result = Sites();
  } else if (command == "stock") {
    result = StockRows();
  } else if (command == "demand") {
    result = DemandRows();
  } else if (command == "status") {
    result = Status();
  } else {
    return Refuse(wire::UNKNOWN_COMMAND, "unknown command '" + command + "'");
  }
  wire::Reply reply;
  reply.set_ok(true);
  reply.set_json(result.dump());
  return reply;
}

}  // namespace ppe
