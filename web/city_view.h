// CityView: the page data of the city and county pages, built from what the broker answers
// (status, demand rows, open orders): per county its tier 1 sites' lowest cover (the map's
// colour), per item stock, cover and its change, alerts, silence, orders in flight. Pure: no I/O.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/city.h"
#include "common/status.h"
#include "web/trend_book.h"

namespace ppe::web {

// A demand row (ppe-ctl demand --json), the fields the pages show.
struct DemandFact {
  std::string site, county, item, as_of;
  int tier = 0;
  int64_t on_hand = 0, in_transit = 0;
  double reported_daily_use = 0, used_daily_use = 0;
  std::optional<double> ceiling, observed_daily_use;  // the caps on the reported use (none: no cap of that kind)
  std::optional<double> days_of_cover;
  bool capped = false, stale = false;
};

// An order row (ppe-ctl orders --json), without its batches.
struct OrderFact {
  int64_t id = 0, round = 0, qty = 0;
  std::optional<int64_t> received_qty;
  int tier = 0;
  std::string status, from_warehouse, from_county, to_site, to_county, item, reason;
};

// The broker's replies read into facts; the error says what was wrong with the reply.
Result<std::vector<DemandFact>> ReadDemand(std::string_view json_text);
Result<std::vector<OrderFact>> ReadOrders(std::string_view json_text);
nlohmann::json ToJson(const DemandFact& d);
nlohmann::json ToJson(const OrderFact& o);

struct AlertView {
  std::string county, kind, text;  // text: the broker's English line
  nlohmann::json facts;            // the same as figures and ids (broker/alerts.h), for any language
};

struct CountyItemView {
  int64_t stock = 0, site_on_hand = 0, in_transit = 0;
  double daily_use = 0;
  std::optional<double> days_of_cover, lowest_site_cover, tier1_cover, change;
};

struct CountyView {
  std::string id, name;
  bool on_map = false;  // a county with a location (not the city reserve)
  double lat = 0, lon = 0;
  bool connected = false;
  std::string last_contact;
  int64_t reports_behind = 0;
  std::optional<double> tier1_cover;  // lowest over its tier 1 sites and every item
  std::map<std::string, CountyItemView> items;
  std::vector<std::string> alerts;
  size_t orders_in_flight = 0;
};

struct CityView {
  std::string city, at;
  int64_t events = 0;
  std::vector<CountyView> counties;  // the city file's order, then the city reserve
  std::vector<AlertView> alerts;
  std::vector<std::string> silent;   // county ids
  std::vector<OrderFact> in_flight;
  int64_t trend_since_ms = 0;        // when the figures the changes compare with were seen (0: none)
};

// `status` is ppe-ctl status --json; `trend` may be null (no changes shown).
CityView BuildCityView(const City& city, const nlohmann::json& status, const std::vector<DemandFact>& demand,
                       std::vector<OrderFact> in_flight, const TrendBook* trend, int64_t now_ms);
// The figures the trend book keeps: each county's and item's days of cover.
std::map<TrendBook::Key, double> CoverFigures(const CityView& view);

// /api/city: the view with the spec's field names (status's own: stock, days_of_cover, ...).
nlohmann::json ToJson(const CityView& view);
nlohmann::json ToJson(const CountyView& county);

}  // namespace ppe::web
