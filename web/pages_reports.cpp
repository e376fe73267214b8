// The dispatch log (filtered like ppe-ctl log), the donations report and the dry-run plan by tier.
#include <ctime>

#include "web/broker_phrases.h"
#include "web/html.h"
#include "web/pages.h"

namespace ppe::web {
namespace {

std::string Col(Lang lang, Msg m) { return std::string(Text(lang, m)); }

std::string TextOf(const nlohmann::json& o, const char* key) {
  return o.contains(key) && o[key].is_string() ? o[key].get<std::string>() : std::string();
}

constexpr const char* kStatuses[] = {"created", "accepted", "shipped", "received", "rejected", "cancelled"};

std::string Select(const std::string& name, const std::string& chosen, const std::string& any,
                   const std::vector<std::pair<std::string, std::string>>& options) {
  std::string out = "<select name=\"" + name + "\" id=\"filter-" + name + "\"><option value=\"\">" + Esc(any) + "</option>";
  for (const auto& [value, label] : options) {
    out += "<option value=\"" + Esc(value) + "\"" + (value == chosen ? " selected" : "") + ">" + Esc(label) + "</option>";
  }
  return out + "</select>";
}

}  // namespace

const Site* SiteByIdOrName(const City& city, const std::string& text) {
  if (const Site* site = city.FindSite(text)) return site;
  const Site* found = nullptr;
  for (const Site& s : city.sites()) {
    if (s.name != text && PlaceName(Lang::kZh, s.name) != text && PlaceName(Lang::kEn, s.name) != text) continue;
    if (found) return nullptr;  // two sites of that name: only the id says which
    found = &s;
  }
  return found;
}

bool IsOrderStatus(const std::string& status) {
  for (const char* s : kStatuses) {
    if (status == s) return true;
  }
  return false;
}

bool IsInFlight(const std::string& status) {
  return status == "created" || status == "accepted" || status == "shipped";
}

std::optional<int64_t> ParseLocalTime(const std::string& text) {
  for (const char* format : {"%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d"}) {
    std::tm tm{};
    const char* end = strptime(text.c_str(), format, &tm);
    if (end && *end == '\0') {
      tm.tm_isdst = -1;
      const std::tm typed = tm;
      const std::time_t t = std::mktime(&tm);
      // mktime moves a day that does not exist (2020-02-30) on to one that does: refused instead.
      if (t == -1 || tm.tm_year != typed.tm_year || tm.tm_mon != typed.tm_mon || tm.tm_mday != typed.tm_mday ||
          tm.tm_hour != typed.tm_hour || tm.tm_min != typed.tm_min) {
        return std::nullopt;
      }
      return static_cast<int64_t>(t) * 1000;
    }
  }
  return std::nullopt;
}

std::optional<PageError> LogArgs(const City& city, const LogFilter& f, nlohmann::json* args) {
  *args = nlohmann::json::object();
  if (!f.county.empty()) {
    if (!city.FindCounty(f.county) && f.county != kCityCounty) return PageError{404, Msg::kErrUnknownCounty, f.county};
    (*args)["county"] = f.county;
  }
  if (!f.site.empty()) {
    const Site* site = SiteByIdOrName(city, f.site);
    if (!site) return PageError{404, Msg::kErrUnknownSite, f.site};
    (*args)["site"] = site->id;
  }
  if (!f.item.empty()) {
    if (!city.FindItem(f.item)) return PageError{404, Msg::kErrUnknownItem, f.item};
    (*args)["item"] = f.item;
  }
  if (!f.status.empty()) {
    if (!IsOrderStatus(f.status)) return PageError{400, Msg::kErrBadStatus, f.status};
    (*args)["status"] = f.status;
  }
  for (const auto& [text, key] : {std::pair{&f.since, "since_ms"}, std::pair{&f.until, "until_ms"}}) {
    if (text->empty()) continue;
    const auto ms = ParseLocalTime(*text);
    if (!ms) return PageError{400, Msg::kErrBadTime, *text};
    (*args)[key] = *ms;
  }
  return std::nullopt;
}

std::string LogPage(Lang lang, const City& city, const nlohmann::json& events, const LogFilter& f) {
  std::string out = "<h1>" + Esc(Text(lang, Msg::kLogHeading)) + "</h1>\n";
  // A plain GET form: the filters are the page's address, so a filtered log can be bookmarked.
  std::vector<std::pair<std::string, std::string>> counties, items, statuses;
  for (const County& c : city.counties()) counties.emplace_back(c.id, PlaceName(lang, c.name));
  counties.emplace_back(kCityCounty, std::string(Text(lang, Msg::kCityReserve)));
  for (const Item& i : city.items()) items.emplace_back(i.id, ItemName(lang, city, i.id));
  for (const char* s : kStatuses) statuses.emplace_back(s, StatusName(lang, s));
  const std::string any(Text(lang, Msg::kFilterAny));
  out += "<form class=\"filter\" method=\"get\" action=\"/log\"><label>" + Esc(Text(lang, Msg::kColCounty)) + " " +
         Select("county", f.county, any, counties) + "</label> <label>" + Esc(Text(lang, Msg::kColSite)) +
         " <input name=\"site\" id=\"filter-site\" size=\"20\" placeholder=\"" + Esc(Text(lang, Msg::kFilterSiteHint)) +
         "\" value=\"" + Esc(f.site) + "\"></label> <label>" +
         Esc(Text(lang, Msg::kColItem)) + " " + Select("item", f.item, any, items) + "</label> <label>" +
         Esc(Text(lang, Msg::kColStatus)) + " " + Select("status", f.status, any, statuses) + "</label> <label>" +
         Esc(Text(lang, Msg::kSince)) + " <input name=\"since\" size=\"16\" placeholder=\"2020-02-10 08:00\" value=\"" +
         Esc(f.since) + "\"></label> <label>" + Esc(Text(lang, Msg::kUntil)) +
         " <input name=\"until\" size=\"16\" value=\"" + Esc(f.until) + "\"></label> <button type=\"submit\">" +
         Esc(Text(lang, Msg::kFilterApply)) + "</button></form>\n";
  if (!events.is_array() || events.empty()) return out + "<p class=\"empty\">" + Esc(Text(lang, Msg::kLogEmpty)) + "</p>\n";
  out += "<p>" + Esc(Format(lang, Msg::kLogCount, {Count(static_cast<int64_t>(events.size()))})) + "</p>\n";
  // Newest first, as people read a log on a screen; at most the 1,000 newest (the API has them all).
  std::vector<std::vector<std::string>> rows;
  for (size_t i = events.size(); i-- > 0 && rows.size() < 1000;) {
    const auto& e = events[i];
    rows.push_back({Esc(TextOf(e, "time")), OrderLink(e.value("order", int64_t{0})),
                    Esc(StatusName(lang, TextOf(e, "status"))), Esc(WarehouseName(lang, city, TextOf(e, "from"))),
                    SiteLink(lang, city, TextOf(e, "to")), Esc(ItemName(lang, city, TextOf(e, "item"))),
                    Figure(e.value("qty", nlohmann::json())), Esc(WhoName(lang, city, TextOf(e, "who"))),
                    Esc(NoteText(lang, city, TextOf(e, "note")))});
  }
  return out + Table({Col(lang, Msg::kColTime), Col(lang, Msg::kColOrder), Col(lang, Msg::kColStatus),
                      Col(lang, Msg::kColFrom), Col(lang, Msg::kColTo), Col(lang, Msg::kColItem), Col(lang, Msg::kColQty),
                      Col(lang, Msg::kColWho), Col(lang, Msg::kColNote)},
                     rows, "log");
}

std::string DonationsPage(Lang lang, const City& city, const nlohmann::json& r) {
  std::string out = "<h1>" + Esc(Text(lang, Msg::kDonationsHeading)) + "</h1>\n<p class=\"caption\">" +
                    Esc(Text(lang, Msg::kDonationsNote)) + " · " +
                    Esc(Format(lang, Msg::kGenerated, {TextOf(r, "generated")})) + "</p>\n";
  if (!r.contains("donors") || !r["donors"].is_array() || r["donors"].empty()) {
    return out + "<p class=\"empty\">" + Esc(Text(lang, Msg::kNoDonations)) + "</p>\n";
  }
  for (const auto& d : r["donors"]) {
    const bool adds_up = d.value("adds_up", false);
    out += "<section class=\"donor\"><h2>" + Esc(PlaceName(lang, TextOf(d, "donor"))) + " <small class=\"" +
           (adds_up ? "ok" : "bad") + "\">" + Esc(Text(lang, adds_up ? Msg::kAddsUp : Msg::kDoesNotAddUp)) +
           "</small></h2>\n<p>" +
           Esc(Format(lang, Msg::kDonorTotals,
                      {Figure(d.value("received", nlohmann::json())), Figure(d.value("in_warehouses", nlohmann::json())),
                       Figure(d.value("in_transit", nlohmann::json())), Figure(d.value("landed", nlohmann::json())),
                       Figure(d.value("lost", nlohmann::json()))})) +
           "</p>\n";
    std::vector<std::vector<std::string>> batches;
    if (d.contains("batches") && d["batches"].is_array()) {
      for (const auto& b : d["batches"]) {
        batches.push_back({Figure(b.value("batch", nlohmann::json())), Esc(TextOf(b, "date")),
                           Esc(WarehouseName(lang, city, TextOf(b, "warehouse"))), Esc(ItemName(lang, city, TextOf(b, "item"))),
                           Figure(b.value("received", nlohmann::json())), Figure(b.value("left", nlohmann::json())),
                           Figure(b.value("lot", nlohmann::json())), Figure(b.value("expires", nlohmann::json()))});
      }
    }
    out += Table({Col(lang, Msg::kColBatch), Col(lang, Msg::kColDate), Col(lang, Msg::kColWarehouse),
                  Col(lang, Msg::kColItem), Col(lang, Msg::kColReceived), Col(lang, Msg::kInWarehouses),
                  Col(lang, Msg::kColLot), Col(lang, Msg::kColExpires)},
                 batches, "donor-batches");
    std::vector<std::vector<std::string>> rows;
    if (d.contains("rows") && d["rows"].is_array()) {
      for (const auto& row : d["rows"]) {
        rows.push_back({OrderLink(row.value("order", int64_t{0})), Figure(row.value("batch", nlohmann::json())),
                        SiteLink(lang, city, TextOf(row, "site")), CountyLink(lang, city, TextOf(row, "county")),
                        Figure(row.value("qty", nlohmann::json())), Esc(StatusName(lang, TextOf(row, "status"))),
                        Esc(TextOf(row, "date"))});
      }
    }
    if (!rows.empty()) {
      out += Table({Col(lang, Msg::kColOrder), Col(lang, Msg::kColBatch), Col(lang, Msg::kColSite),
                    Col(lang, Msg::kColCounty), Col(lang, Msg::kColQty), Col(lang, Msg::kColStatus),
                    Col(lang, Msg::kColDate)},
                   rows, "donor-rows");
    }
    out += "</section>\n";
  }
  return out;
}

std::string PlanPage(Lang lang, const City& city, const PlanView& plan) {
  std::string out = "<h1>" + Esc(Text(lang, Msg::kPlanHeading)) + "</h1>\n<p class=\"caption\">" +
                    Esc(Text(lang, Msg::kPlanNote)) + "</p>\n";
  out += "<p>" + Esc(Format(lang, Msg::kPlanRound, {std::to_string(plan.round), Count(static_cast<int64_t>(plan.orders))})) +
         "</p>\n";
  for (const auto& [tier, t] : plan.tiers) {  // tier 1 first, as it is served first
    out += "<section class=\"tier\" data-tier=\"" + std::to_string(tier) + "\"><h2>" +
           Esc(Format(lang, Msg::kPlanTier, {std::to_string(tier), Count(static_cast<int64_t>(t.orders)),
                                             Days(t.lowest_before), Days(t.lowest_after)})) +
           "</h2>\n";
    if (t.rows.empty()) {
      out += "<p class=\"empty\">" + Esc(Text(lang, Msg::kPlanNoOrders)) + "</p>\n</section>\n";
      continue;
    }
    std::vector<std::vector<std::string>> rows;
    for (const PlanRow& o : t.rows) {
      rows.push_back({Esc(WarehouseName(lang, city, o.from_warehouse)), SiteLink(lang, city, o.to_site),
                      CountyLink(lang, city, o.to_county), Esc(ItemName(lang, city, o.item)),
                      Esc(ItemName(lang, city, o.for_item)), Count(o.qty),
                      Days(o.days_before) + " → " + Days(o.days_after), Esc(SourceText(lang, o.reason))});
    }
    out += Table({Col(lang, Msg::kColFrom), Col(lang, Msg::kColTo), Col(lang, Msg::kColCounty), Col(lang, Msg::kColItem),
                  Col(lang, Msg::kColForItem), Col(lang, Msg::kColQty), Col(lang, Msg::kColCoverChange),
                  Col(lang, Msg::kColReason)},
                 rows, "plan") +
           "</section>\n";
  }
  return out;
}

}  // namespace ppe::web
