// A site (its figures, its cover over time, the orders to it) and an order (why, and its history).
#include "web/broker_phrases.h"
#include "web/html.h"
#include "web/pages.h"
#include "web/svg_chart.h"

namespace ppe::web {
namespace {

std::string Col(Lang lang, Msg m) { return std::string(Text(lang, m)); }

std::string TextOf(const nlohmann::json& o, const char* key) {
  return o.contains(key) && o[key].is_string() ? o[key].get<std::string>() : std::string();
}

}  // namespace

std::string DemandFlags(Lang lang, const DemandFact& d) {
  std::string flags;
  if (d.capped) {
    const auto use = [](const std::optional<double>& v) { return v ? Use(*v) : std::string("-"); };
    flags += Esc(std::string(Text(lang, Msg::kFlagCapped)) +
                 Format(lang, Msg::kFlagCappedFigures,
                        {Use(d.reported_daily_use), use(d.ceiling), use(d.observed_daily_use)})) + " ";
  }
  if (d.stale) flags += Esc(Text(lang, Msg::kFlagStale));
  return flags;
}

std::string SitePage(Lang lang, const City& city, const Snapshot& s, const std::string& site_id,
                     const nlohmann::json& history, const nlohmann::json& orders, const BandEdges& edges,
                     int64_t now_ms) {
  const Site* site = city.FindSite(site_id);
  if (!site) return "";
  std::string out = "<h1>" + Esc(PlaceName(lang, site->name)) + "</h1>\n<p class=\"facts\">" +
                    Esc(Format(lang, Msg::kSiteFacts, {CountyName(lang, city, site->county), KindName(lang, site->kind),
                                                       Format(lang, Msg::kTierValue, {std::to_string(site->tier)}),
                                                       Count(site->headcount)})) +
                    " · " + CountyLink(lang, city, site->county) + "</p>\n";
  std::vector<std::vector<std::string>> rows;
  for (const DemandFact& d : *s.demand) {
    if (d.site != site_id) continue;
    rows.push_back({Esc(ItemName(lang, city, d.item)), Count(d.on_hand), Count(d.in_transit), Use(d.used_daily_use),
                    CoverCell(lang, d.days_of_cover, edges),
                    Esc(d.as_of), DemandFlags(lang, d)});
  }
  out += "<section><h2>" + Esc(Text(lang, Msg::kSiteItemsHeading)) + "</h2>\n";
  out += rows.empty() ? "<p class=\"empty\">" + Esc(Text(lang, Msg::kNoDemand)) + "</p>\n"
                      : Table({Col(lang, Msg::kColItem), Col(lang, Msg::kColOnHand), Col(lang, Msg::kColInTransit),
                               Col(lang, Msg::kColDailyUse), Col(lang, Msg::kColCover), Col(lang, Msg::kColAsOf),
                               Col(lang, Msg::kColFlags)},
                              rows, "site-demand");
  out += "</section>\n<section><h2>" + Esc(Text(lang, Msg::kChartHeading)) + "</h2>\n";
  const std::string chart = CoverChartSvg(lang, city, history, city.policy().target_days, now_ms);
  out += chart.empty() ? "<p class=\"empty\">" + Esc(Text(lang, Msg::kChartEmpty)) + "</p>\n"
                       : chart + "<p class=\"caption\">" + Esc(Text(lang, Msg::kChartNote)) + "</p>\n";
  out += "</section>\n<section><h2>" + Esc(Text(lang, Msg::kOrdersToSite)) + "</h2>\n";
  std::vector<std::vector<std::string>> order_rows;
  if (orders.is_array()) {
    for (const auto& o : orders) {
      order_rows.push_back({OrderLink(o.value("id", int64_t{0})), Figure(o.value("round", nlohmann::json())),
                            Esc(StatusName(lang, TextOf(o, "status"))),
                            Esc(WarehouseName(lang, city, TextOf(o, "from_warehouse"))),
                            Esc(ItemName(lang, city, TextOf(o, "item"))), Figure(o.value("qty", nlohmann::json())),
                            Figure(o.value("received_qty", nlohmann::json()))});
    }
  }
  out += order_rows.empty() ? "<p class=\"empty\">" + Esc(Text(lang, Msg::kNone)) + "</p>\n"
                            : Table({Col(lang, Msg::kColOrder), Col(lang, Msg::kColRound), Col(lang, Msg::kColStatus),
                                     Col(lang, Msg::kColFrom), Col(lang, Msg::kColItem), Col(lang, Msg::kColQty),
                                     Col(lang, Msg::kColReceived)},
                                    order_rows, "orders");
  return out + "</section>\n";
}

std::string OrderPage(Lang lang, const City& city, const nlohmann::json& o) {
  const int64_t id = o.value("id", int64_t{0});
  std::string out = "<h1>" + Esc(Format(lang, Msg::kOrderHeading, {std::to_string(id)})) + "</h1>\n";
  out += "<p class=\"summary\">" +
         Esc(Format(lang, Msg::kOrderSummary,
                    {std::to_string(o.value("round", int64_t{0})), Count(o.value("qty", int64_t{0})),
                     ItemName(lang, city, TextOf(o, "item")), WarehouseName(lang, city, TextOf(o, "from_warehouse")),
                     SiteName(lang, city, TextOf(o, "to_site"))})) +
         "</p>\n<p><strong>" + Esc(Text(lang, Msg::kColStatus)) + Esc(Text(lang, Msg::kSepLabel)) +
         "</strong><span class=\"status\">" +
         Esc(StatusName(lang, TextOf(o, "status"))) + "</span>";
  if (o.contains("received_qty") && o["received_qty"].is_number()) {
    out += " · " + Esc(Text(lang, Msg::kColReceived)) + " " + Figure(o["received_qty"]);
  }
  out += " · " + SiteLink(lang, city, TextOf(o, "to_site")) + " · " + CountyLink(lang, city, TextOf(o, "to_county")) +
         "</p>\n<p class=\"why\">" +
         Esc(Format(lang, Msg::kOrderWhy,
                    {std::to_string(o.value("tier", 0)), ItemName(lang, city, TextOf(o, "for_item")),
                     Days(OptionalNumber(o.value("days_before", nlohmann::json()))),
                     Days(OptionalNumber(o.value("days_after", nlohmann::json())))})) +
         "</p>\n<p class=\"source\">" +
         Esc(Format(lang, Msg::kOrderSource, {SourceText(lang, TextOf(o, "reason"))})) +
         "</p>\n";
  std::vector<std::vector<std::string>> batches;
  if (o.contains("batches") && o["batches"].is_array()) {
    for (const auto& b : o["batches"]) {
      const std::string donor = TextOf(b, "donor");
      batches.push_back({Figure(b.value("batch", nlohmann::json())), Figure(b.value("lot", nlohmann::json())),
                         Figure(b.value("expires", nlohmann::json())), donor.empty() ? "-" : Esc(PlaceName(lang, donor)),
                         Figure(b.value("qty", nlohmann::json()))});
    }
  }
  if (!batches.empty()) {
    out += "<section><h2>" + Esc(Text(lang, Msg::kBatchesHeading)) + "</h2>\n" +
           Table({Col(lang, Msg::kColBatch), Col(lang, Msg::kColLot), Col(lang, Msg::kColExpires),
                  Col(lang, Msg::kColDonor), Col(lang, Msg::kColQty)},
                 batches, "batches") +
           "</section>\n";
  }
  std::vector<std::vector<std::string>> history;
  if (o.contains("history") && o["history"].is_array()) {
    for (const auto& e : o["history"]) {
      history.push_back({Esc(TextOf(e, "time")), Esc(StatusName(lang, TextOf(e, "status"))),
                         Esc(WhoName(lang, city, TextOf(e, "who"))), Figure(e.value("qty", nlohmann::json())),
                         Esc(NoteText(lang, city, TextOf(e, "note")))});
    }
  }
  out += "<section><h2>" + Esc(Text(lang, Msg::kHistoryHeading)) + "</h2>\n" +
         Table({Col(lang, Msg::kColTime), Col(lang, Msg::kColStatus), Col(lang, Msg::kColWho), Col(lang, Msg::kColQty),
                Col(lang, Msg::kColNote)},
               history, "history") +
         "</section>\n";
  return out;
}

}  // namespace ppe::web
