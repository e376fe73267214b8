#include "web/html.h"

#include <cctype>
#include <cmath>
#include <cstdio>

namespace ppe::web {

std::string Esc(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 16);
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string UrlEncode(std::string_view text) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

std::string Count(int64_t n) {
  std::string digits = std::to_string(n < 0 ? -n : n);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return n < 0 ? "-" + out : out;
}

std::string Figure(const nlohmann::json& value) {
  if (value.is_number_integer()) return Count(value.get<int64_t>());
  if (value.is_number()) {
    char buf[32];
    const double v = value.get<double>();
    std::snprintf(buf, sizeof buf, v == std::floor(v) && std::fabs(v) < 1e15 ? "%.0f" : "%.2f", v);
    return buf;
  }
  if (value.is_string()) return Esc(value.get<std::string>());
  return "-";
}

std::string Use(double units) {
  if (std::fabs(units - std::round(units)) < 0.005 && std::fabs(units) < 1e15) {
    return Count(static_cast<int64_t>(std::llround(units)));
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", units);
  return buf;
}

std::string Days(std::optional<double> days) {
  if (!days) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", *days);
  return buf;
}

std::optional<double> OptionalNumber(const nlohmann::json& value) {
  if (value.is_number()) return value.get<double>();
  return std::nullopt;
}

std::string ItemName(Lang lang, const City& city, const std::string& item_id) {
  const std::string_view word = ItemWord(lang, item_id);
  if (!word.empty()) return std::string(word);
  const Item* item = city.FindItem(item_id);
  return item ? item->name : item_id;
}

std::string KindName(Lang lang, const std::string& kind) {
  const std::string_view word = KindWord(lang, kind);
  return word.empty() ? kind : std::string(word);
}

std::string CountyName(Lang lang, const City& city, const std::string& county_id) {
  if (county_id == kCityCounty) return std::string(Text(lang, Msg::kCityReserve));
  const County* c = city.FindCounty(county_id);
  return c ? PlaceName(lang, c->name) : county_id;
}

std::string SiteName(Lang lang, const City& city, const std::string& site_id) {
  const Site* s = city.FindSite(site_id);
  return s ? PlaceName(lang, s->name) : site_id;
}

std::string WarehouseName(Lang lang, const City& city, const std::string& warehouse_id) {
  const Warehouse* w = city.FindWarehouse(warehouse_id);
  return w ? PlaceName(lang, w->name) : warehouse_id;
}

std::string StatusName(Lang lang, const std::string& status) {
  static const std::pair<const char*, Msg> kStatuses[] = {
      {"created", Msg::kStatusCreated},   {"accepted", Msg::kStatusAccepted}, {"shipped", Msg::kStatusShipped},
      {"received", Msg::kStatusReceived}, {"rejected", Msg::kStatusRejected}, {"cancelled", Msg::kStatusCancelled}};
  for (const auto& [name, msg] : kStatuses) {
    if (status == name) return std::string(Text(lang, msg));
  }
  return status;
}

std::string AlertKindName(Lang lang, const std::string& kind) {
  static const std::pair<const char*, Msg> kKinds[] = {
      {"silent", Msg::kAlertSilent},
      {"refused", Msg::kAlertRefused},
      {"low_cover", Msg::kAlertLowCover},
      {"not_accepted", Msg::kAlertNotAccepted},
      {"not_shipped", Msg::kAlertNotShipped},
      {"discrepancy", Msg::kAlertDiscrepancy},
      {"confirmed_figure", Msg::kAlertConfirmedFigure},
      {"unreadable", Msg::kAlertUnreadable},
      {"lost_reports", Msg::kAlertLostReports},
      {"capped_demand", Msg::kAlertCappedDemand},
      {"stale_demand", Msg::kAlertStaleDemand},
      {"inconsistent_use", Msg::kAlertInconsistentUse},
      {"expiring", Msg::kAlertExpiring},
      {"expired", Msg::kAlertExpired},
      {"order_conflict", Msg::kAlertOrderConflict}};
  for (const auto& [name, msg] : kKinds) {
    if (kind == name) return std::string(Text(lang, msg));
  }
  return std::string(Text(lang, Msg::kAlertOther));
}

std::string CountyLink(Lang lang, const City& city, const std::string& county_id) {
  if (!city.FindCounty(county_id) && county_id != kCityCounty) return Esc(CountyName(lang, city, county_id));
  return "<a href=\"/county/" + UrlEncode(county_id) + "\">" + Esc(CountyName(lang, city, county_id)) + "</a>";
}

std::string SiteLink(Lang lang, const City& city, const std::string& site_id) {
  if (!city.FindSite(site_id)) return Esc(site_id);
  return "<a href=\"/site/" + UrlEncode(site_id) + "\">" + Esc(SiteName(lang, city, site_id)) + "</a>";
}

std::string OrderLink(int64_t id) {
  return "<a href=\"/order/" + std::to_string(id) + "\">" + std::to_string(id) + "</a>";
}

std::string RenderPage(const PageFrame& f, const std::string& body) {
  const Lang lang = f.lang;
  std::string nav;
  const std::pair<Section, std::pair<const char*, Msg>> kNav[] = {
      {Section::kCity, {"/", Msg::kNavCity}},
      {Section::kLog, {"/log", Msg::kNavLog}},
      {Section::kDonations, {"/donations", Msg::kNavDonations}},
      {Section::kPlan, {"/plan", Msg::kNavPlan}}};
  std::vector<NavLink> links = f.nav;
  if (links.empty()) {
    for (const auto& [section, link] : kNav) links.push_back({link.first, link.second, section == f.section});
  }
  for (const NavLink& link : links) {
    nav += "<a href=\"" + Esc(link.href) + "\"" + (link.current ? " class=\"current\"" : "") + ">" +
           Esc(Text(lang, link.label)) + "</a>";
  }
  const Lang other = lang == Lang::kEn ? Lang::kZh : Lang::kEn;
  std::string user;
  if (!f.user.empty()) {
    user = "<span class=\"user\">" + Esc(Format(lang, Msg::kSignedInAs, {f.user})) +
           "</span> <a href=\"/logout\">" + Esc(Text(lang, Msg::kLogout)) + "</a>";
  }
  std::string out;
  out.reserve(body.size() + 2048);
  out += "<!DOCTYPE html>\n<html lang=\"" + std::string(LangTag(lang)) + "\">\n<head>\n<meta charset=\"utf-8\">\n"
         "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>" +
         Esc(f.title) + " · " + Esc(Text(lang, f.app)) +
         "</title>\n<link rel=\"stylesheet\" href=\"/static/style.css\">\n" +
         (f.live ? "<script src=\"/static/live.js\" defer></script>\n" : "") + "</head>\n<body>\n<header><span class=\"app\">" +
         Esc(Text(lang, f.app)) + "</span><nav>" + nav + "</nav><span class=\"side\">" + user +
         " <a id=\"lang-switch\" hreflang=\"" + std::string(LangTag(other)) + "\" lang=\"" +
         std::string(LangTag(other)) + "\" href=\"" + Esc(f.switch_url) + "\">" +
         Esc(Text(lang, Msg::kLangSwitch)) + "</a></span></header>\n";
  out += "<main id=\"live\" data-version=\"" + std::to_string(f.version) + "\">\n";
  if (!f.notice.empty()) {
    out += "<p class=\"notice\">" + Esc(f.notice) +
           (f.notice_detail.empty() ? "" : " <small lang=\"en\">" + Esc(f.notice_detail) + "</small>") + "</p>\n";
  }
  out += body;
  if (f.live) {
    out += "<p class=\"asof\">" + Esc(Format(lang, Msg::kUpdatedAt, {f.as_of})) + " · " +
           Esc(Text(lang, Msg::kLiveNote)) + "</p>\n";
  }
  out += "</main>\n</body>\n</html>\n";
  return out;
}

std::string Table(const std::vector<std::string>& headers, const std::vector<std::vector<std::string>>& rows,
                  const std::string& css_class) {
  std::string out = "<table" + (css_class.empty() ? std::string() : " class=\"" + css_class + "\"") + "><thead><tr>";
  for (const std::string& h : headers) out += "<th>" + Esc(h) + "</th>";
  out += "</tr></thead><tbody>";
  for (const auto& row : rows) {
    out += "<tr>";
    for (const std::string& cell : row) out += "<td>" + cell + "</td>";
    out += "</tr>";
  }
  out += "</tbody></table>\n";
  return out;
}

}  // namespace ppe::web
