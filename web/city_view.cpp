#include "web/city_view.h"

#include <algorithm>

#include "web/flat_rows.h"

namespace ppe::web {
namespace {

nlohmann::json OrNull(const std::optional<double>& v) { return v ? nlohmann::json(*v) : nlohmann::json(nullptr); }

// Fields of the broker's JSON by type, a default when missing or of another type: a reply of an
// unexpected shape gives an emptier page, never an exception on the polling thread.
std::string Str(const nlohmann::json& o, const char* key, const std::string& otherwise = "") {
  return o.is_object() && o.contains(key) && o[key].is_string() ? o[key].get<std::string>() : otherwise;
}
int64_t Int(const nlohmann::json& o, const char* key) {
  return o.is_object() && o.contains(key) && o[key].is_number() ? o[key].get<int64_t>() : 0;
}
std::optional<double> Num(const nlohmann::json& o, const char* key) {
  if (o.is_object() && o.contains(key) && o[key].is_number()) return o[key].get<double>();
  return std::nullopt;
}
bool Bool(const nlohmann::json& o, const char* key) {
  return o.is_object() && o.contains(key) && o[key].is_boolean() && o[key].get<bool>();
}

void Lower(std::optional<double>& lowest, std::optional<double> v) {
  if (v && (!lowest || *v < *lowest)) lowest = v;
}

}  // namespace

Result<std::vector<DemandFact>> ReadDemand(std::string_view json_text) {
  std::vector<DemandFact> rows;
  const Status s = ReadFlatRows(json_text, [&rows](const FlatRow& r) {
    DemandFact d;
    d.site = r.Text("site");
    d.county = r.Text("county");
    d.item = r.Text("item");
    d.as_of = r.Text("as_of");
    d.tier = static_cast<int>(r.Int("tier"));
    d.on_hand = r.Int("on_hand");
    d.in_transit = r.Int("in_transit");
    d.reported_daily_use = r.Number("reported_daily_use").value_or(r.Number("daily_use").value_or(0));
    d.used_daily_use = r.Number("used_daily_use").value_or(d.reported_daily_use);
    d.ceiling = r.Number("ceiling");
    d.observed_daily_use = r.Number("observed_daily_use");
    d.days_of_cover = r.Number("days_of_cover");
    d.capped = r.Bool("capped");
    d.stale = r.Bool("stale");
    rows.push_back(std::move(d));
  });
  if (!s.ok()) return Status::Error("the broker's demand rows: " + s.message());
  return rows;
}

Result<std::vector<OrderFact>> ReadOrders(std::string_view json_text) {
  std::vector<OrderFact> rows;
  const Status s = ReadFlatRows(json_text, [&rows](const FlatRow& r) {
    OrderFact o;
    o.id = r.Int("id");
    o.round = r.Int("round");
    o.qty = r.Int("qty");
    if (const auto got = r.Number("received_qty")) o.received_qty = static_cast<int64_t>(*got);
    o.tier = static_cast<int>(r.Int("tier"));
    o.status = r.Text("status");
    o.from_warehouse = r.Text("from_warehouse");
    o.from_county = r.Text("from_county");
    o.to_site = r.Text("to_site");
    o.to_county = r.Text("to_county");
    o.item = r.Text("item");
    o.reason = r.Text("reason");
    rows.push_back(std::move(o));
  });
  if (!s.ok()) return Status::Error("the broker's order rows: " + s.message());
  return rows;
}

nlohmann::json ToJson(const DemandFact& d) {
  return {{"site", d.site},
          {"county", d.county},
          {"item", d.item},
          {"tier", d.tier},
          {"on_hand", d.on_hand},
          {"daily_use", d.reported_daily_use},
          {"reported_daily_use", d.reported_daily_use},
          {"ceiling", OrNull(d.ceiling)},
          {"observed_daily_use", OrNull(d.observed_daily_use)},
          {"used_daily_use", d.used_daily_use},
          {"in_transit", d.in_transit},
          {"days_of_cover", OrNull(d.days_of_cover)},
          {"capped", d.capped},
          {"stale", d.stale},
          {"as_of", d.as_of}};
}

nlohmann::json ToJson(const OrderFact& o) {
  return {{"id", o.id},
          {"round", o.round},
          {"from_warehouse", o.from_warehouse},
          {"from_county", o.from_county},
          {"to_site", o.to_site},
          {"to_county", o.to_county},
          {"item", o.item},
          {"qty", o.qty},
          {"status", o.status},
          {"received_qty", o.received_qty ? nlohmann::json(*o.received_qty) : nlohmann::json(nullptr)},
          {"tier", o.tier},
          {"reason", o.reason}};
}

CityView BuildCityView(const City& city, const nlohmann::json& status, const std::vector<DemandFact>& demand,
                       std::vector<OrderFact> in_flight, const TrendBook* trend, int64_t now_ms) {
  CityView view;
  view.city = Str(status, "city", city.name());
  view.at = Str(status, "at");
  view.events = Int(status, "events");
  // Tier 1's lowest cover per county and item, from the sites' own rows.
  std::map<std::string, std::map<std::string, std::optional<double>>> tier1;
  for (const DemandFact& d : demand) {
    if (d.tier == 1) Lower(tier1[d.county][d.item], d.days_of_cover);
  }
  std::map<std::string, size_t> flying;
  for (const OrderFact& o : in_flight) {
    ++flying[o.to_county];
    if (o.from_county != o.to_county) ++flying[o.from_county];
  }
  const nlohmann::json counties = status.is_object() && status.contains("counties") && status["counties"].is_array()
                                      ? status["counties"] : nlohmann::json::array();
  for (const nlohmann::json& c : counties) {
    if (!c.is_object()) continue;
    CountyView v;
    v.id = Str(c, "county");
    v.name = Str(c, "name", v.id);
    if (const County* known = city.FindCounty(v.id)) {
      v.on_map = true;
      v.lat = known->lat;
      v.lon = known->lon;
      v.name = known->name;
    }
    v.connected = Bool(c, "connected");
    v.last_contact = Str(c, "last_contact", "-");
    v.reports_behind = Int(c, "reports_behind");
    if (c.contains("items") && c["items"].is_object()) {
      for (const auto& [item, f] : c["items"].items()) {
        CountyItemView iv;
        iv.stock = Int(f, "stock");
        iv.site_on_hand = Int(f, "site_on_hand");
        iv.in_transit = Int(f, "in_transit");
        iv.daily_use = Num(f, "daily_use").value_or(0);
        iv.days_of_cover = Num(f, "days_of_cover");
        iv.lowest_site_cover = Num(f, "lowest_site_cover");
        if (tier1.count(v.id) && tier1[v.id].count(item)) iv.tier1_cover = tier1[v.id][item];
        Lower(v.tier1_cover, iv.tier1_cover);
        if (trend && iv.days_of_cover) {
          int64_t since = 0;
          iv.change = trend->Change({v.id, item}, *iv.days_of_cover, now_ms, &since);
          if (iv.change && (view.trend_since_ms == 0 || since < view.trend_since_ms)) view.trend_since_ms = since;
        }
        v.items[item] = iv;
      }
    }
    if (c.contains("alerts") && c["alerts"].is_array()) {
      for (const auto& a : c["alerts"]) {
        if (a.is_string()) v.alerts.push_back(a.get<std::string>());
      }
    }
    v.orders_in_flight = flying.count(v.id) ? flying[v.id] : 0;
    if (!v.connected) view.silent.push_back(v.id);
    view.counties.push_back(std::move(v));
  }
  if (status.is_object() && status.contains("alerts") && status["alerts"].is_array()) {
    for (const auto& a : status["alerts"]) {
      if (!a.is_object()) continue;
      view.alerts.push_back({Str(a, "county"), Str(a, "kind"), Str(a, "text"),
                             a.is_object() && a.contains("facts") ? a["facts"] : nlohmann::json::object()});
    }
  }
  std::sort(in_flight.begin(), in_flight.end(), [](const OrderFact& a, const OrderFact& b) { return a.id < b.id; });
  view.in_flight = std::move(in_flight);
  return view;
}

std::map<TrendBook::Key, double> CoverFigures(const CityView& view) {
  std::map<TrendBook::Key, double> figures;
  for (const CountyView& c : view.counties) {
    for (const auto& [item, f] : c.items) {
      if (f.days_of_cover) figures[{c.id, item}] = *f.days_of_cover;
    }
  }
  return figures;
}

nlohmann::json ToJson(const CountyView& c) {
  nlohmann::json items = nlohmann::json::object();
  for (const auto& [item, f] : c.items) {
    items[item] = {{"stock", f.stock},
                   {"site_on_hand", f.site_on_hand},
                   {"in_transit", f.in_transit},
                   {"daily_use", f.daily_use},
                   {"days_of_cover", OrNull(f.days_of_cover)},
                   {"lowest_site_cover", OrNull(f.lowest_site_cover)},
                   {"tier1_lowest_cover", OrNull(f.tier1_cover)},
                   {"days_of_cover_change", OrNull(f.change)}};
  }
  return {{"county", c.id},
          {"name", c.name},
          {"location", c.on_map ? nlohmann::json::array({c.lat, c.lon}) : nlohmann::json(nullptr)},
          {"connected", c.connected},
          {"last_contact", c.last_contact},
          {"reports_behind", c.reports_behind},
          {"tier1_lowest_cover", OrNull(c.tier1_cover)},
          {"items", items},
          {"alerts", c.alerts},
          {"orders_in_flight", c.orders_in_flight}};
}

nlohmann::json ToJson(const CityView& view) {
  nlohmann::json counties = nlohmann::json::array();
  for (const CountyView& c : view.counties) counties.push_back(ToJson(c));
  nlohmann::json alerts = nlohmann::json::array();
  for (const AlertView& a : view.alerts) {
    alerts.push_back({{"county", a.county}, {"kind", a.kind}, {"text", a.text}, {"facts", a.facts}});
  }
  nlohmann::json orders = nlohmann::json::array();
  for (const OrderFact& o : view.in_flight) orders.push_back(ToJson(o));
  return {{"city", view.city},     {"at", view.at},         {"events", view.events}, {"counties", counties},
          {"alerts", alerts},      {"silent", view.silent}, {"orders_in_flight", orders}};
}

}  // namespace ppe::web
