#include "broker/alerts.h"

#include <cmath>
#include <cstdio>
#include <map>

#include "broker/batch_book.h"
#include "broker/city_snapshot.h"
#include "common/clock.h"

namespace ppe {
namespace {

std::string Days(double days) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", days);
  return buf;
}

void ContactAlerts(const City& city, const BrokerConfig& config, BrokerStore& store, int64_t now,
                   std::vector<Alert>* out) {
  std::map<std::string, const NodeProgress*> node_of_county;
  for (const auto& [name, p] : store.progress()) node_of_county[p.county] = &p;
  std::vector<std::string> counties;
  for (const County& c : city.counties()) counties.push_back(c.id);
  counties.push_back(kCityCounty);
  for (const std::string& county : counties) {
    auto it = node_of_county.find(county);
    const NodeProgress* p = it == node_of_county.end() ? nullptr : it->second;
    if (!p) {
      out->push_back({county, AlertKind::kSilent, "node never connected", nlohmann::json::object()});
      continue;
    }
    if (now - p->last_contact_ms > config.silent_after_s * 1000) {
      const bool heard = p->last_contact_ms > 0;
      out->push_back({county, AlertKind::kSilent, heard ? "silent since " + FormatTime(p->last_contact_ms) : "node never heard from",
                      heard ? nlohmann::json{{"since", FormatTime(p->last_contact_ms)}} : nlohmann::json::object()});
    }
    if (p->refused > 0) {
      out->push_back({county, AlertKind::kRefused, std::to_string(p->refused) + " reports refused (see the node's status)",
                      {{"count", p->refused}}});
    }
  }
}

// Sites short of cover, one line per county (items with their count of short sites, and the
// lowest site), so a bad day still fits on the coordinator's screen.
void CoverAlerts(const City& city, const BrokerConfig& config, const std::vector<TrustedDemandRow>& demand,
                 std::vector<Alert>* out) {
  struct Short {
    std::map<std::string, int> sites_of_item;
    double lowest = 1e300;
    std::string lowest_site, lowest_item;
  };
  std::map<std::string, Short> shorts;
  for (const auto& [r, trust] : demand) {
    if (trust.used <= 0) continue;
    const double cover = (r.on_hand + r.in_transit) / trust.used;
    const Site* site = city.FindSite(r.site);
    if (!site || cover >= config.alert_cover_days) continue;
    Short& s = shorts[site->county];
    ++s.sites_of_item[r.item];
    if (cover < s.lowest) {
      s.lowest = cover;
      s.lowest_site = r.site;
      s.lowest_item = r.item;
    }
  }
  for (const auto& [county, s] : shorts) {
    std::string items;
    int sites_short = 0;
    for (const auto& [item, sites] : s.sites_of_item) {
      items += (items.empty() ? "" : ", ") + item + " " + std::to_string(sites);
      sites_short += sites;
    }
    out->push_back({county, AlertKind::kLowCover,
                    "sites under " + Days(config.alert_cover_days) + " days of cover: " + items + " (lowest " +
                        s.lowest_site + ", " + s.lowest_item + " " + Days(s.lowest) + " d)",
                    {{"under_days", config.alert_cover_days}, {"count", sites_short}, {"lowest_site", s.lowest_site},
                     {"lowest_item", s.lowest_item}, {"lowest_days", std::round(s.lowest * 10) / 10}}});
  }
}

// Demand the allocator does not take at its word, counted per county and kind: capped daily uses,
// stale counts, inconsistent counts; the first few sites named, the rest in `ppe-ctl demand`.
void DemandAlerts(const City& city, const std::vector<TrustedDemandRow>& demand, std::vector<Alert>* out) {
  struct Flagged {
    int count = 0;
    std::string sites;
    nlohmann::json ids = nlohmann::json::array();
  };
  std::map<std::pair<std::string, AlertKind>, Flagged> flagged;
  const auto flag = [&](const std::string& county, AlertKind kind, const std::string& site) {
    Flagged& f = flagged[{county, kind}];
    if (++f.count <= 3) {
      f.sites += (f.sites.empty() ? "" : ", ") + site;
      f.ids.push_back(site.substr(0, site.find(' ')));
    }
  };
  for (const auto& [r, trust] : demand) {
    const Site* site = city.FindSite(r.site);
    if (!site) continue;
    const std::string what = r.site + " " + r.item;
    if (trust.capped()) flag(site->county, AlertKind::kCappedDemand, what);
    if (trust.stale) flag(site->county, AlertKind::kStaleDemand, what);
    if (trust.inconsistent) flag(site->county, AlertKind::kInconsistentUse, what);
  }
  for (const auto& [key, f] : flagged) {
    const auto& [county, kind] = key;
    const std::string sites = f.sites + (f.count > 3 ? ", ..." : "");
    const std::string n = std::to_string(f.count);
    nlohmann::json facts = {{"count", f.count}, {"sites", f.ids}};
    if (kind == AlertKind::kStaleDemand) facts["days"] = city.policy().stale_after_days;
    switch (kind) {
      case AlertKind::kCappedDemand:
        out->push_back({county, kind, n + " daily uses capped by headcount ceiling or observed use (" + sites +
                                          "; see ppe-ctl demand)", facts});
        break;
      case AlertKind::kStaleDemand:
        out->push_back({county, kind, n + " demands older than " + Days(city.policy().stale_after_days) +
                                          " days (" + sites + "); ask the county to count again", facts});
        break;
      default:
        out->push_back({county, kind, n + " sites whose counts contradict what they had and received (" + sites +
                                          "); check their counts", facts});
    }
  }
}

// Stock by expiry, one line per county and kind: expired still on a shelf, and expiring soon.
void ExpiryAlerts(const City& city, const BrokerConfig& config, BrokerStore& store, int64_t now,
                  std::vector<Alert>* out) {
  const std::string today = Today(now);
  const std::string horizon = Today(now + std::llround(config.expiry_alert_days * 86'400'000.0));
  Statement& q = store.db().Prepare(
      // INDEXED BY: for its GROUP BY the planner would read every batch in history instead.
      "SELECT warehouse, item, SUM(on_hand), COUNT(*), MIN(expires), expires < ?1 FROM batches "
      "INDEXED BY batches_dated WHERE expires != '' AND expires <= ?2 AND on_hand > 0 GROUP BY warehouse, item, expires < ?1 "
      "ORDER BY warehouse, item");
  q.Bind(1, today).Bind(2, horizon);
  struct Line {
    std::string text;
    int64_t qty = 0, batches = 0;
    std::string first;  // the earliest expiry date among them
  };
  std::map<std::pair<std::string, AlertKind>, Line> lines;
  while (q.Step()) {
    const Warehouse* w = city.FindWarehouse(q.Text(0));
    const AlertKind kind = q.Int(5) ? AlertKind::kExpired : AlertKind::kExpiring;
    Line& line = lines[{w ? w->county : kCityCounty, kind}];
    line.text += (line.text.empty() ? "" : "; ") + q.Text(0) + " " + q.Text(1) + " " + std::to_string(q.Int(2)) + " in " +
                 std::to_string(q.Int(3)) + " batch(es), " + (kind == AlertKind::kExpired ? "expired since " : "first on ") +
                 q.Text(4);
    line.qty += q.Int(2);
    line.batches += q.Int(3);
    if (line.first.empty() || q.Text(4) < line.first) line.first = q.Text(4);
  }
  q.Reset();
  for (const auto& [key, line] : lines) {
    out->push_back({key.first, key.second,
                    key.second == AlertKind::kExpired
                        ? "expired stock on the shelf (never shipped): " + line.text
                        : "stock expiring within " + Days(config.expiry_alert_days) + " days: " + line.text,
                    {{"qty", line.qty}, {"batches", line.batches}, {"first", line.first},
                     {"days", config.expiry_alert_days}}});
  }
}

void OrderAlerts(const BrokerConfig& config, BrokerStore& store, int64_t now, std::vector<Alert>* out) {
  Statement& late = store.db().Prepare(
      "SELECT id, from_county, status, created_ms FROM orders "
      "WHERE (status = 'created' AND created_ms < ?1) OR (status IN ('created', 'accepted') AND created_ms < ?2) "
      "ORDER BY id");
  late.Bind(1, now - config.accept_within_s * 1000).Bind(2, now - config.ship_within_s * 1000);
  while (late.Step()) {
    const bool unshipped = late.Int(3) < now - config.ship_within_s * 1000;
    out->push_back({late.Text(1), unshipped ? AlertKind::kNotShipped : AlertKind::kNotAccepted,
                    "order " + std::to_string(late.Int(0)) + " " + late.Text(2) + " since " +
                        FormatTime(late.Int(3)) + (unshipped ? ", not shipped" : ", its node has not taken it"),
                    {{"order", late.Int(0)}, {"since", FormatTime(late.Int(3))}}});
  }
  Statement& short_orders = store.db().Prepare(
      "SELECT id, to_county, to_site, qty, received_qty FROM orders "
      "WHERE status = 'received' AND received_qty != qty ORDER BY id");
  while (short_orders.Step()) {
    out->push_back({short_orders.Text(1), AlertKind::kDiscrepancy,
                    "order " + std::to_string(short_orders.Int(0)) + " to " + short_orders.Text(2) + ": shipped " +
                        std::to_string(short_orders.Int(3)) + ", received " + std::to_string(short_orders.Int(4)),
                    {{"order", short_orders.Int(0)}, {"site", short_orders.Text(2)}, {"shipped", short_orders.Int(3)},
                     {"received", short_orders.Int(4)}}});
  }
}

// Figures an operator confirmed although they were over 100x the previous one. CROSS JOIN keeps
// SQLite from reading the whole ledger to join the few confirmed figures.
void ConfirmedFigureAlerts(const City& city, BrokerStore& store, int64_t now, std::vector<Alert>* out) {
  Statement& q = store.db().Prepare(
      "SELECT e.place, e.item, e.quantity, e.at_ms, e.node FROM confirmed_figures c CROSS JOIN events e ON e.id = c.event_id "
      "WHERE e.at_ms > ?1 ORDER BY e.at_ms");
  q.Bind(1, now - int64_t{7 * 24 * 3600} * 1000);
  while (q.Step()) {
    const Warehouse* w = city.FindWarehouse(q.Text(0));
    const Site* s = city.FindSite(q.Text(0));
    const std::string county = w ? w->county : s ? s->county : "";
    out->push_back({county, AlertKind::kConfirmedFigure,
                    q.Text(0) + " " + q.Text(1) + " = " + std::to_string(q.Int(2)) +
                        ", confirmed by the operator although over 100x the previous figure (" +
                        FormatTime(q.Int(3)) + ")",
                    {{"place", q.Text(0)}, {"item", q.Text(1)}, {"qty", q.Int(2)}, {"at", FormatTime(q.Int(3))}}});
  }
}

// Steps of the last week that contradicted what happened, shown to both counties of the order.
void ConflictAlerts(BrokerStore& store, int64_t now, std::vector<Alert>* out) {
  Statement& q = store.db().Prepare(
      "SELECT c.order_id, c.note, o.from_county, o.to_county FROM order_conflicts c "
      "JOIN orders o ON o.id = c.order_id WHERE c.at_ms > ?1 ORDER BY c.id");
  q.Bind(1, now - int64_t{7 * 24 * 3600} * 1000);
  while (q.Step()) {
    const std::string text = "order " + std::to_string(q.Int(0)) + ": " + q.Text(1);
    const nlohmann::json facts = {{"order", q.Int(0)}};
    out->push_back({q.Text(2), AlertKind::kOrderConflict, text, facts});
    if (q.Text(3) != q.Text(2)) out->push_back({q.Text(3), AlertKind::kOrderConflict, text, facts});
  }
}

// Reports that will never be applied: set aside at the node as unreadable, or lost to a store
// restored from a copy older than the nodes keep what they sent.
void StreamAlerts(BrokerStore& store, std::vector<Alert>* out) {
  Statement& unreadable = store.db().Prepare(
      "SELECT n.county, r.node, r.seq, r.at_ms FROM refusals r JOIN nodes n ON n.node = r.node "
      "WHERE r.code = 'UNREADABLE' ORDER BY r.node, r.seq LIMIT 100");
  while (unreadable.Step()) {
    out->push_back({unreadable.Text(0), AlertKind::kUnreadable,
                    "report " + std::to_string(unreadable.Int(2)) + " of node " + unreadable.Text(1) +
                        " could not be read at the node; it is set aside there (see its 'ppe-node status'), "
                        "re-enter it (" + FormatTime(unreadable.Int(3)) + ")",
                    {{"report", unreadable.Int(2)}, {"node", unreadable.Text(1)}}});
  }
  Statement& lost = store.db().Prepare(
      "SELECT county, node, first_seq, last_seq, at_ms FROM lost_reports ORDER BY node, first_seq LIMIT 100");
  while (lost.Step()) {
    out->push_back({lost.Text(0), AlertKind::kLostReports,
                    "reports " + std::to_string(lost.Int(2)) + " to " + std::to_string(lost.Int(3)) + " of node " +
                        lost.Text(1) + " are lost: the store was restored from a copy older than the node keeps "
                        "what it sent; ask the county to count again (" + FormatTime(lost.Int(4)) + ")",
                    {{"first", lost.Int(2)}, {"last", lost.Int(3)}, {"node", lost.Text(1)}}});
  }
}

}  // namespace

const char* AlertKindName(AlertKind kind) {
  switch (kind) {
    case AlertKind::kSilent: return "silent";
    case AlertKind::kRefused: return "refused";
    case AlertKind::kLowCover: return "low_cover";
    case AlertKind::kNotAccepted: return "not_accepted";
    case AlertKind::kNotShipped: return "not_shipped";
    case AlertKind::kDiscrepancy: return "discrepancy";
    case AlertKind::kConfirmedFigure: return "confirmed_figure";
    case AlertKind::kUnreadable: return "unreadable";
    case AlertKind::kLostReports: return "lost_reports";
    case AlertKind::kCappedDemand: return "capped_demand";
    case AlertKind::kStaleDemand: return "stale_demand";
    case AlertKind::kInconsistentUse: return "inconsistent_use";
    case AlertKind::kExpiring: return "expiring";
    case AlertKind::kExpired: return "expired";
    case AlertKind::kOrderConflict: return "order_conflict";
  }
  return "unknown";
}

std::vector<Alert> CityAlerts(const City& city, const BrokerConfig& config, BrokerStore& store,
                              int64_t now_ms) {
  return CityAlerts(city, config, store, now_ms, TrustAll(city, store.Demand(), now_ms));
}

std::vector<Alert> CityAlerts(const City& city, const BrokerConfig& config, BrokerStore& store,
                              int64_t now_ms, const std::vector<TrustedDemandRow>& demand) {
  std::vector<Alert> alerts;
  ContactAlerts(city, config, store, now_ms, &alerts);
  CoverAlerts(city, config, demand, &alerts);
  DemandAlerts(city, demand, &alerts);
  ExpiryAlerts(city, config, store, now_ms, &alerts);
  OrderAlerts(config, store, now_ms, &alerts);
  ConfirmedFigureAlerts(city, store, now_ms, &alerts);
  ConflictAlerts(store, now_ms, &alerts);
  StreamAlerts(store, &alerts);
  return alerts;
}

}  // namespace ppe
