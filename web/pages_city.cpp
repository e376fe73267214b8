// The city and a county: the map, the county table, alerts, silence, orders in flight.
#include <cmath>
#include <ctime>
#include <set>

#include "web/html.h"
#include "web/pages.h"

namespace ppe::web {

std::string CoverCell(Lang lang, std::optional<double> cover, const BandEdges& edges) {
  if (!cover) return "<span class=\"cover band-none\">–</span>";
  return "<span class=\"cover " + std::string(BandClass(BandOf(cover, edges))) + "\">" +
         Esc(Format(lang, Msg::kDaysValue, {Days(cover)})) + "</span>";
}

namespace {

// The change since the figure it is compared with, and when that was ("HH:MM", or the date when
// it was another day).
std::string ChangeText(Lang lang, std::optional<double> change, int64_t since_ms) {
  if (!change || since_ms == 0) return "";
  const std::time_t t = static_cast<std::time_t>(since_ms / 1000);
  std::tm tm{};
  localtime_r(&t, &tm);
  char when[32];
  std::strftime(when, sizeof when, "%m-%d %H:%M", &tm);
  if (std::abs(*change) < 0.05) return Esc(Format(lang, Msg::kTrendFlat, {when}));
  return Esc(Format(lang, *change > 0 ? Msg::kTrendUp : Msg::kTrendDown, {Days(std::abs(*change)), when}));
}

// An alert's detail in the page's language, from the broker's facts; nullopt when they lack
// what the sentence needs (a broker one release older sends none), and the English line is shown.
std::optional<std::string> AlertDetail(Lang lang, const City& city, const AlertView& a) {
  const nlohmann::json& f = a.facts;
  if (!f.is_object()) return std::nullopt;
  const auto has = [&f](std::initializer_list<const char*> keys) {
    for (const char* k : keys) {
      if (!f.contains(k)) return false;
    }
    return true;
  };
  const auto text = [&f](const char* key) { return f[key].is_string() ? f[key].get<std::string>() : Figure(f[key]); };
  const auto sites = [&](const char* key) {
    std::string out;
    if (!f[key].is_array()) return out;
    for (const auto& id : f[key]) {
      if (id.is_string()) out += (out.empty() ? "" : (lang == Lang::kZh ? "、" : ", ")) + SiteName(lang, city, id.get<std::string>());
    }
    const int64_t count = f.value("count", int64_t{0});
    if (count > static_cast<int64_t>(f[key].size())) out += lang == Lang::kZh ? "等" : ", ...";
    return out;
  };
  const auto place = [&](const std::string& id) {
    return city.FindWarehouse(id) ? WarehouseName(lang, city, id) : SiteName(lang, city, id);
  };
  if (a.kind == "silent") {
    return has({"since"}) ? Format(lang, Msg::kAlertSilentSince, {text("since")}) : std::string(Text(lang, Msg::kAlertNeverConnected));
  }
  if (a.kind == "refused" && has({"count"})) return Format(lang, Msg::kAlertRefusedDetail, {text("count")});
  if (a.kind == "low_cover" && has({"count", "under_days", "lowest_site", "lowest_item", "lowest_days"})) {
    return Format(lang, Msg::kAlertLowCoverDetail,
                  {text("count"), text("under_days"), SiteName(lang, city, text("lowest_site")),
                   ItemName(lang, city, text("lowest_item")), Days(OptionalNumber(f["lowest_days"]))});
  }
  if (a.kind == "capped_demand" && has({"count", "sites"})) return Format(lang, Msg::kAlertCappedDetail, {text("count"), sites("sites")});
  if (a.kind == "stale_demand" && has({"count", "sites", "days"})) {
    return Format(lang, Msg::kAlertStaleDetail, {text("count"), text("days"), sites("sites")});
  }
  if (a.kind == "inconsistent_use" && has({"count", "sites"})) {
    return Format(lang, Msg::kAlertInconsistentDetail, {text("count"), sites("sites")});
  }
  if (a.kind == "expiring" && has({"days", "qty", "batches", "first"})) {
    return Format(lang, Msg::kAlertExpiringDetail, {text("days"), text("qty"), text("batches"), text("first")});
  }
  if (a.kind == "expired" && has({"qty", "batches", "first"})) {
    return Format(lang, Msg::kAlertExpiredDetail, {text("qty"), text("batches"), text("first")});
  }
  if ((a.kind == "not_accepted" || a.kind == "not_shipped") && has({"order", "since"})) {
    return Format(lang, a.kind == "not_accepted" ? Msg::kAlertNotAcceptedDetail : Msg::kAlertNotShippedDetail,
                  {text("order"), text("since")});
  }
  if (a.kind == "discrepancy" && has({"order", "site", "shipped", "received"})) {
    return Format(lang, Msg::kAlertDiscrepancyDetail,
                  {text("order"), SiteName(lang, city, text("site")), text("shipped"), text("received")});
  }
  if (a.kind == "confirmed_figure" && has({"place", "item", "qty", "at"})) {
    return Format(lang, Msg::kAlertConfirmedDetail,
                  {place(text("place")), ItemName(lang, city, text("item")), text("qty"), text("at")});
  }
  if (a.kind == "order_conflict" && has({"order"})) return Format(lang, Msg::kAlertConflictDetail, {text("order")});
  if (a.kind == "unreadable" && has({"report", "node"})) {
    return Format(lang, Msg::kAlertUnreadableDetail, {text("report"), text("node")});
  }
  if (a.kind == "lost_reports" && has({"first", "last", "node"})) {
    return Format(lang, Msg::kAlertLostDetail, {text("first"), text("last"), text("node")});
  }
  return std::nullopt;
}

std::string AlertsList(Lang lang, const City& city, const std::vector<AlertView>& alerts) {
  if (alerts.empty()) return "<p class=\"empty\">" + Esc(Text(lang, Msg::kNoAlerts)) + "</p>\n";
  std::string out = "<ul class=\"alerts\">";
  for (const AlertView& a : alerts) {
    const std::optional<std::string> detail = AlertDetail(lang, city, a);
    out += "<li class=\"alert alert-" + Esc(a.kind) + "\"><strong>" + CountyLink(lang, city, a.county) + " · " +
           Esc(AlertKindName(lang, a.kind)) + "</strong> <span class=\"detail\"" + (detail ? "" : " lang=\"en\"") + ">" +
           Esc(detail ? *detail : a.text) + "</span></li>";
  }
  return out + "</ul>\n";
}

std::string OrdersTable(Lang lang, const City& city, const std::vector<OrderFact>& orders) {
  if (orders.empty()) return "<p class=\"empty\">" + Esc(Text(lang, Msg::kNoInFlight)) + "</p>\n";
  std::vector<std::vector<std::string>> rows;
  for (const OrderFact& o : orders) {
    rows.push_back({OrderLink(o.id), Esc(StatusName(lang, o.status)), Esc(WarehouseName(lang, city, o.from_warehouse)),
                    SiteLink(lang, city, o.to_site), CountyLink(lang, city, o.to_county),
                    Esc(ItemName(lang, city, o.item)), Count(o.qty), Esc(Format(lang, Msg::kTierValue, {std::to_string(o.tier)}))});
  }
  return Table({std::string(Text(lang, Msg::kColOrder)), std::string(Text(lang, Msg::kColStatus)),
                std::string(Text(lang, Msg::kColFrom)), std::string(Text(lang, Msg::kColTo)),
                std::string(Text(lang, Msg::kColCounty)), std::string(Text(lang, Msg::kColItem)),
                std::string(Text(lang, Msg::kColQty)), std::string(Text(lang, Msg::kColTier))},
               rows, "orders");
}

std::string ItemCell(Lang lang, const CountyItemView& f, const BandEdges& edges, int64_t since_ms) {
  std::string cell = "<span class=\"stock\">" + Count(f.stock) + "</span> | " + CoverCell(lang, f.days_of_cover, edges);
  const std::string change = ChangeText(lang, f.change, since_ms);
  if (!change.empty()) cell += "<br><small class=\"trend\">" + change + "</small>";
  return cell;
}

}  // namespace

std::string CityPage(Lang lang, const City& city, const Snapshot& s, const std::string& item, const BandEdges& edges) {
  const CityView& v = s.view;
  std::string out = "<h1>" + Esc(Format(lang, Msg::kCityHeading, {PlaceName(lang, city.title())})) + "</h1>\n";
  // The map, with links choosing the item it is coloured by (no script needed).
  out += "<section class=\"map-panel\"><h2>" + Esc(Text(lang, Msg::kMapHeading)) + "</h2>\n<p class=\"caption\">" +
         Esc(Text(lang, Msg::kMapCaption)) + "</p>\n<p class=\"items\">" + Esc(Text(lang, Msg::kMapItem));
  out += item.empty() ? "<strong>" + Esc(Text(lang, Msg::kMapAllItems)) + "</strong>"
                      : "<a href=\"/\">" + Esc(Text(lang, Msg::kMapAllItems)) + "</a>";
  for (const Item& i : city.items()) {
    const std::string name = Esc(ItemName(lang, city, i.id));
    out += " · " + (i.id == item ? "<strong>" + name + "</strong>"
                                 : "<a href=\"/?item=" + UrlEncode(i.id) + "\">" + name + "</a>");
  }
  out += "</p>\n" + CityMapSvg(lang, city, v, item, edges) + MapLegend(lang, edges) + "</section>\n";

  // Per county and item: stock and cover, and how the cover changed.
  std::vector<std::string> headers = {std::string(Text(lang, Msg::kColCounty)), std::string(Text(lang, Msg::kColContact)),
                                      std::string(Text(lang, Msg::kColTier1Cover))};
  for (const Item& i : city.items()) headers.push_back(ItemName(lang, city, i.id));
  std::vector<std::vector<std::string>> rows;
  for (const CountyView& c : v.counties) {
    std::vector<std::string> row = {
        CountyLink(lang, city, c.id),
        "<span class=\"" + std::string(c.connected ? "online" : "offline") + "\">" +
            Esc(c.last_contact == "-" ? std::string(Text(lang, Msg::kNever)) : c.last_contact) + "</span>",
        CoverCell(lang, c.tier1_cover, edges)};
    for (const Item& i : city.items()) {
      const auto it = c.items.find(i.id);
      row.push_back(it == c.items.end() ? "-" : ItemCell(lang, it->second, edges, v.trend_since_ms));
    }
    rows.push_back(std::move(row));
  }
  out += "<section><h2>" + Esc(Text(lang, Msg::kCountiesHeading)) + "</h2>\n" + Table(headers, rows, "counties") +
         "<p class=\"caption\">" + Esc(Text(lang, Msg::kCellNote)) + "</p></section>\n";

  out += "<section class=\"side-by-side\"><div><h2>" + Esc(Text(lang, Msg::kAlertsHeading)) + "</h2>\n" +
         AlertsList(lang, city, v.alerts) + "</div><div><h2>" + Esc(Text(lang, Msg::kSilentHeading)) + "</h2>\n";
  if (v.silent.empty()) {
    out += "<p class=\"empty\">" + Esc(Text(lang, Msg::kNoSilent)) + "</p>\n";
  } else {
    out += "<ul class=\"silent\">";
    for (const std::string& id : v.silent) {
      std::string last;
      for (const CountyView& c : v.counties) {
        if (c.id == id) last = c.last_contact == "-" ? std::string(Text(lang, Msg::kNever)) : c.last_contact;
      }
      out += "<li>" + CountyLink(lang, city, id) + " <small>" + Esc(Text(lang, Msg::kColContact)) + Esc(Text(lang, Msg::kSepLabel)) + Esc(last) +
             "</small></li>";
    }
    out += "</ul>\n";
  }
  out += "</div></section>\n<section><h2>" + Esc(Text(lang, Msg::kInFlightHeading)) + " (" +
         std::to_string(v.in_flight.size()) + ")</h2>\n";
  // A province has thousands in flight: the newest 200 here, every one in the log and the API.
  std::vector<OrderFact> newest(v.in_flight.end() - std::min<size_t>(v.in_flight.size(), 200), v.in_flight.end());
  out += OrdersTable(lang, city, newest) + "</section>\n";
  return out;
}

std::string CountyPage(Lang lang, const City& city, const Snapshot& s, const std::string& county_id,
                       const BandEdges& edges) {
  const CountyView* c = nullptr;
  for (const CountyView& v : s.view.counties) {
    if (v.id == county_id) c = &v;
  }
  std::string out = "<h1>" + Esc(CountyName(lang, city, county_id)) + "</h1>\n";
  if (c) {
    out += "<p class=\"facts\"><span class=\"" + std::string(c->connected ? "online" : "offline") + "\">" +
           Esc(Text(lang, c->connected ? Msg::kConnected : Msg::kSilent)) + "</span> · " +
           Esc(Text(lang, Msg::kColContact)) + Esc(Text(lang, Msg::kSepLabel)) +
           Esc(c->last_contact == "-" ? std::string(Text(lang, Msg::kNever)) : c->last_contact) + " · " +
           Esc(Text(lang, Msg::kColTier1Cover)) + Esc(Text(lang, Msg::kSepLabel)) + CoverCell(lang, c->tier1_cover, edges) + "</p>\n";
    std::vector<std::vector<std::string>> rows;
    for (const Item& i : city.items()) {
      const auto it = c->items.find(i.id);
      if (it == c->items.end()) continue;
      const CountyItemView& f = it->second;
      rows.push_back({Esc(ItemName(lang, city, i.id)), "<span class=\"stock\">" + Count(f.stock) + "</span>",
                      Count(f.site_on_hand), Count(f.in_transit), Use(f.daily_use),
                      CoverCell(lang, f.days_of_cover, edges) + " " + ChangeText(lang, f.change, s.view.trend_since_ms),
                      CoverCell(lang, f.tier1_cover, edges)});
    }
    out += "<section><h2>" + Esc(Text(lang, Msg::kCountyItemsHeading)) + "</h2>\n" +
           Table({std::string(Text(lang, Msg::kColItem)), std::string(Text(lang, Msg::kColStock)),
                  std::string(Text(lang, Msg::kColOnHand)), std::string(Text(lang, Msg::kColInTransit)),
                  std::string(Text(lang, Msg::kColDailyUse)), std::string(Text(lang, Msg::kColCover)),
                  std::string(Text(lang, Msg::kColTier1Cover))},
                 rows, "county-items") +
           "</section>\n";
    std::vector<AlertView> alerts;
    for (const AlertView& a : s.view.alerts) {
      if (a.county == county_id) alerts.push_back(a);
    }
    out += "<section><h2>" + Esc(Text(lang, Msg::kAlertsHeading)) + "</h2>\n" + AlertsList(lang, city, alerts) + "</section>\n";
  }
  std::vector<std::vector<std::string>> sites;
  for (const DemandFact& d : *s.demand) {
    if (d.county != county_id) continue;
    sites.push_back({SiteLink(lang, city, d.site), Esc(Format(lang, Msg::kTierValue, {std::to_string(d.tier)})),
                     Esc(ItemName(lang, city, d.item)), Count(d.on_hand), Count(d.in_transit), Use(d.used_daily_use),
                     CoverCell(lang, d.days_of_cover, edges), Esc(d.as_of), DemandFlags(lang, d)});
  }
  out += "<section><h2>" + Esc(Text(lang, Msg::kSitesHeading)) + "</h2>\n";
  out += sites.empty() ? "<p class=\"empty\">" + Esc(Text(lang, Msg::kNoDemand)) + "</p>\n"
                       : Table({std::string(Text(lang, Msg::kColSite)), std::string(Text(lang, Msg::kColTier)),
                                std::string(Text(lang, Msg::kColItem)), std::string(Text(lang, Msg::kColOnHand)),
                                std::string(Text(lang, Msg::kColInTransit)), std::string(Text(lang, Msg::kColDailyUse)),
                                std::string(Text(lang, Msg::kColCover)), std::string(Text(lang, Msg::kColAsOf)),
                                std::string(Text(lang, Msg::kColFlags))},
                               sites, "sites");
  out += "</section>\n";
  std::vector<OrderFact> orders;
  for (const OrderFact& o : s.view.in_flight) {
    if (o.to_county == county_id || o.from_county == county_id) orders.push_back(o);
  }
  out += "<section><h2>" + Esc(Text(lang, Msg::kInFlightHeading)) + "</h2>\n" + OrdersTable(lang, city, orders) + "</section>\n";
  return out;
}

nlohmann::json CountyJson(const Snapshot& s, const std::string& county_id) {
  nlohmann::json county = nullptr;
  for (const CountyView& v : s.view.counties) {
    if (v.id == county_id) county = ToJson(v);
  }
  nlohmann::json demand = nlohmann::json::array();
  for (const DemandFact& d : *s.demand) {
    if (d.county == county_id) demand.push_back(ToJson(d));
  }
  nlohmann::json orders = nlohmann::json::array();
  for (const OrderFact& o : s.view.in_flight) {
    if (o.to_county == county_id || o.from_county == county_id) orders.push_back(ToJson(o));
  }
  return {{"county", county}, {"demand", demand}, {"orders_in_flight", orders}};
}

}  // namespace ppe::web
