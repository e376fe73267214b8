// Html: what every page is made of: escaping (every text from the broker or the catalogue goes
// through Esc), figures as people read them, the page shell (language, navigation, live region).
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/city.h"
#include "web/messages.h"

namespace ppe::web {

// Text safe inside an HTML element or a quoted attribute.
std::string Esc(std::string_view text);
// A query-string value (RFC 3986 unreserved characters kept).
std::string UrlEncode(std::string_view text);

// 12,000; a figure from JSON (number, or "-" when null/missing).
std::string Count(int64_t n);
std::string Figure(const nlohmann::json& value);
// A daily use: whole units as a count ("1,466"), else two decimals.
std::string Use(double units);
// Days with one decimal ("3.2"), "-" when none.
std::string Days(std::optional<double> days);
std::optional<double> OptionalNumber(const nlohmann::json& value);

// The catalogue's names in the page's language.
std::string ItemName(Lang lang, const City& city, const std::string& item_id);
std::string KindName(Lang lang, const std::string& kind);
std::string CountyName(Lang lang, const City& city, const std::string& county_id);
std::string SiteName(Lang lang, const City& city, const std::string& site_id);
std::string WarehouseName(Lang lang, const City& city, const std::string& warehouse_id);
// An order status or alert kind as the page says it (the closed vocabularies of the broker).
std::string StatusName(Lang lang, const std::string& status);
std::string AlertKindName(Lang lang, const std::string& kind);

// Links to the entities' pages, their names in the page's language.
std::string CountyLink(Lang lang, const City& city, const std::string& county_id);
std::string SiteLink(Lang lang, const City& city, const std::string& site_id);
std::string OrderLink(int64_t id);

// Which part of the site a page belongs to, for the navigation's current entry.
enum class Section { kCity, kLog, kDonations, kPlan, kOther };

// A navigation entry of another program's pages (the county page's).
struct NavLink {
  std::string href;
  Msg label;
  bool current = false;
};

struct PageFrame {
  Lang lang = Lang::kZh;
  Msg app = Msg::kAppTitle;   // the program's name in the header and the title
  std::vector<NavLink> nav;   // empty: the dashboard's, by `section`
  bool live = true;           // load live.js (the dashboard's pages follow the city; forms do not)
  std::string title;          // plain text
  Section section = Section::kOther;
  std::string switch_url;     // this page in the other language
  uint64_t version = 0;       // the city's state the page shows (live.js polls for a newer one)
  std::string as_of;          // when that state was read
  std::string user;           // signed-in user, "" when no login is needed
  std::string notice;         // plain text shown above the content (the broker is down, ...)
  std::string notice_detail;  // the program's own reason for it, in English as it gave it
};

// The whole document: <html lang>, navigation, the language link, `body` in <main id="live">
// (live.js swaps it for a newer one; a page with forms sets live = false, so typing is never lost).
std::string RenderPage(const PageFrame& frame, const std::string& body);

// A table: headers (already text) and rows of cells (already HTML).
std::string Table(const std::vector<std::string>& headers, const std::vector<std::vector<std::string>>& rows,
                  const std::string& css_class = "");

}  // namespace ppe::web
