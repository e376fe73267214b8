// SiteHistory: the `site_history` read command: a site's stock on hand per item over time, from its
// counts (site_counts) and what landed there (the ledger), with the days of cover each level gives.
// Reads only indexed rows of that one site, so a dashboard asking for it costs the broker little.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "common/city.h"
#include "common/sqlite_db.h"
#include "common/status.h"

namespace ppe {

// The most points one item's series keeps (the latest ones): a reply stays small however long
// the site has reported.
inline constexpr size_t kSiteHistoryMaxPoints = 500;

// {site, name, county, tier, items: [{item, used_daily_use, points: [{at, at_ms, on_hand, change,
// days_of_cover}]}]}; change is "count" (a count set the level) or "landed" (an order arrived).
// Cover is each level over the site's trusted daily use now (the ledger keeps no earlier trusted
// figure), null when it has no use. `item` empty: every item the site reported. An unknown site or
// item is an error naming it.
Result<nlohmann::json> SiteHistory(SqliteDb& db, const City& city, const std::string& site,
                                   const std::string& item, int64_t now_ms);

}  // namespace ppe
