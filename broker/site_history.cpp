#include "broker/site_history.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <vector>

#include "broker/trusted_demand.h"
#include "common/clock.h"

namespace ppe {
namespace {

struct Change {
  int64_t at_ms = 0;
  int64_t quantity = 0;
  bool count = false;  // a count sets the level; a landing adds to it
};

nlohmann::json Cover(double level, double daily_use) {
  if (daily_use <= 0) return nullptr;
  return std::round(level / daily_use * 100) / 100;
}

}  // namespace

Result<nlohmann::json> SiteHistory(SqliteDb& db, const City& city, const std::string& site_id,
                                   const std::string& item_id, int64_t now_ms) {
  const Site* site = city.FindSite(site_id);
  if (!site) return Status::Error("unknown site '" + site_id + "'");
  if (!item_id.empty() && !city.FindItem(item_id)) return Status::Error("unknown item '" + item_id + "'");

  // The daily use the allocator trusts now, per item, from the site's current demand rows.
  std::map<std::string, double> used;
  Statement& demand = db.Prepare(
      "SELECT item, daily_use, as_of_ms, observed, observed_daily_use FROM demand WHERE site = ?1");
  demand.Bind(1, site_id);
  while (demand.Step()) {
    const std::string item = demand.Text(0);
    if (!item_id.empty() && item != item_id) continue;
    UseObservation observation;
    observation.state = ObservedUseFromName(demand.Text(3));
    observation.daily_use = demand.Real(4);
    used[item] = TrustDailyUse(city.policy(), city.FindItem(item), site, demand.Real(1), observation,
                               demand.Int(2), now_ms).used;
  }
  PPE_RETURN_IF_ERROR(demand.status());
  demand.Reset();

  std::map<std::string, std::vector<Change>> changes;
  Statement& counts = db.Prepare(
      "SELECT item, as_of_ms, on_hand FROM site_counts WHERE site = ?1 ORDER BY item, as_of_ms");
  counts.Bind(1, site_id);
  while (counts.Step()) {
    if (!item_id.empty() && counts.Text(0) != item_id) continue;
    changes[counts.Text(0)].push_back({counts.Int(1), counts.Int(2), true});
  }
  PPE_RETURN_IF_ERROR(counts.status());
  counts.Reset();
  // Word for word the condition of the ledger's partial index events_moves (broker_store.cpp), so
  // SQLite reads this site's landings from it instead of scanning the ledger.
  Statement& landed = db.Prepare(
      "SELECT item, recorded_ms, delta FROM events WHERE place = ?1 "
      "AND (kind = 'ship' OR kind = 'landed') ORDER BY item, recorded_ms");
  landed.Bind(1, site_id);
  while (landed.Step()) {
    if (!item_id.empty() && landed.Text(0) != item_id) continue;
    changes[landed.Text(0)].push_back({landed.Int(1), landed.Int(2), false});
  }
  PPE_RETURN_IF_ERROR(landed.status());
  landed.Reset();

  nlohmann::json items = nlohmann::json::array();
  for (auto& [item, list] : changes) {
    // In time order; at one instant the count first, as it does not include what lands with it.
    std::stable_sort(list.begin(), list.end(), [](const Change& a, const Change& b) {
      return a.at_ms != b.at_ms ? a.at_ms < b.at_ms : a.count > b.count;
    });
    const double use = used.count(item) ? used[item] : 0;
    nlohmann::json points = nlohmann::json::array();
    int64_t level = 0;
    const size_t first = list.size() > kSiteHistoryMaxPoints ? list.size() - kSiteHistoryMaxPoints : 0;
    for (size_t i = 0; i < list.size(); ++i) {
      const Change& c = list[i];
      level = c.count ? c.quantity : level + c.quantity;
      if (i < first) continue;
      points.push_back({{"at", FormatTime(c.at_ms)}, {"at_ms", c.at_ms}, {"on_hand", level},
                        {"change", c.count ? "count" : "landed"},
                        {"days_of_cover", Cover(static_cast<double>(level), use)}});
    }
    items.push_back({{"item", item}, {"used_daily_use", std::round(use * 100) / 100}, {"points", points}});
  }
  return nlohmann::json{{"site", site->id}, {"name", site->name}, {"county", site->county},
                        {"tier", site->tier}, {"items", items}};
}

}  // namespace ppe
