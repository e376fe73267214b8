// Pages: the body of every screen as HTML, from the page data (the snapshot, the broker's replies)
// and the page's language; server-rendered, so each works without JavaScript. Every text comes
// from the message tables or the catalogue, escaped. The JSON mirrors are built beside them.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "common/city.h"
#include "web/broker_gateway.h"
#include "web/messages.h"
#include "web/plan_view.h"
#include "web/svg_map.h"

namespace ppe::web {

// A request the page cannot answer: its HTTP status and what to tell the user.
struct PageError {
  int http_status = 400;
  Msg msg = Msg::kErrBadRequest;
  std::string arg;
};

// The dispatch log's filters, as ppe-ctl log takes them; all optional.
struct LogFilter {
  std::string county, site, item, status, since, until;
};
// The broker's `log` arguments for a filter, or what is wrong with it (unknown county, site or
// item, a status outside the vocabulary, an unreadable time).
std::optional<PageError> LogArgs(const City& city, const LogFilter& filter, nlohmann::json* args);
// "2020-02-10" or "2020-02-10 14:00[:00]" in local time, as ms since the epoch; none if unreadable
// or not a day of the calendar (2020-02-30).
std::optional<int64_t> ParseLocalTime(const std::string& text);

// The site a filter names: its id, or its whole name or either half of it ("三明市第一医院") when
// only one site has it; none otherwise.
const Site* SiteByIdOrName(const City& city, const std::string& text);

// The order statuses a filter may name (the broker's closed vocabulary).
bool IsOrderStatus(const std::string& status);
// The orders still moving.
bool IsInFlight(const std::string& status);

std::string CityPage(Lang lang, const City& city, const Snapshot& s, const std::string& item, const BandEdges& edges);
std::string CountyPage(Lang lang, const City& city, const Snapshot& s, const std::string& county_id,
                       const BandEdges& edges);
// /api/county/ID: the county's view, its demand rows and orders in flight.
nlohmann::json CountyJson(const Snapshot& s, const std::string& county_id);

// Days of cover coloured by the map's bands ("–" when there is no demand).
std::string CoverCell(Lang lang, std::optional<double> cover, const BandEdges& edges);
// A demand row's flags: capped (with the reported, ceiling and observed daily use), stale.
std::string DemandFlags(Lang lang, const DemandFact& d);

std::string SitePage(Lang lang, const City& city, const Snapshot& s, const std::string& site_id,
                     const nlohmann::json& history, const nlohmann::json& orders, const BandEdges& edges,
                     int64_t now_ms);
std::string OrderPage(Lang lang, const City& city, const nlohmann::json& order);
std::string LogPage(Lang lang, const City& city, const nlohmann::json& events, const LogFilter& filter);
std::string DonationsPage(Lang lang, const City& city, const nlohmann::json& report);
// Tiers in order, each with its count, lowest cover before and after, and its first rows.
std::string PlanPage(Lang lang, const City& city, const PlanView& plan);

}  // namespace ppe::web
