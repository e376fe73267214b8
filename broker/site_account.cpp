#include "broker/site_account.h"

#include <cmath>
#include <cstdio>
#include <unordered_map>

#include "common/clock.h"

namespace ppe {
namespace {

double Rounded(double value) { return std::round(value * 100) / 100; }

std::string Figure(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.10g", Rounded(value));
  return text;
}

std::string_view OutcomeName(FillOutcome outcome) {
  switch (outcome) {
    case FillOutcome::kReachedTarget: return "reached_target";
    case FillOutcome::kPoolRanOut: return "pool_ran_out";
    case FillOutcome::kAtTarget: break;
  }
  return "at_target";
}

FillOutcome OutcomeFromName(std::string_view name) {
  for (FillOutcome o : {FillOutcome::kReachedTarget, FillOutcome::kPoolRanOut}) {
    if (OutcomeName(o) == name) return o;
  }
  return FillOutcome::kAtTarget;
}

CapBy CapByFromName(std::string_view name) {
  for (CapBy by : {CapBy::kCeiling, CapBy::kObserved}) {
    if (CapByName(by) == name) return by;
  }
  return CapBy::kReported;
}

nlohmann::json Optional(const std::optional<double>& value) {
  return value ? nlohmann::json(Rounded(*value)) : nlohmann::json(nullptr);
}

}  // namespace

std::vector<SiteAccount> AccountForSites(const City& city, const CitySnapshot& snapshot,
                                         const AllocationPlan& plan) {
  std::unordered_map<std::string, const SiteCoverage*> coverage;
  coverage.reserve(plan.coverage.size());
  for (const SiteCoverage& c : plan.coverage) coverage.emplace(c.site + '\n' + c.item, &c);
  std::vector<SiteAccount> accounts;
  accounts.reserve(snapshot.rows.size());
  for (const TrustedDemandRow& t : snapshot.rows) {
    const Site* site = city.FindSite(t.row.site);
    if (!site || !city.FindItem(t.row.item)) continue;
    SiteAccount a{t.row.site, t.row.item, site->tier, t.row.on_hand, t.row.in_transit, t.trust,
                  t.row.as_of_ms};
    if (const auto it = coverage.find(t.row.site + '\n' + t.row.item); it != coverage.end()) {
      const SiteCoverage& c = *it->second;
      a.planned = true;
      a.days_before = c.days_before;
      a.days_after = c.days_after;
      a.granted = c.granted_units;
      a.outcome = c.outcome;
      a.pool_ran_out_at = c.pool_ran_out_at_days;
    }
    accounts.push_back(std::move(a));
  }
  return accounts;
}

Status SaveAccounts(SqliteDb& db, int64_t round, const std::vector<SiteAccount>& accounts) {
  PPE_RETURN_IF_ERROR(db.Exec("DELETE FROM round_sites"));
  Statement& insert = db.Prepare(
      "INSERT INTO round_sites (site, item, round, tier, on_hand, in_transit, reported, ceiling, "
      "observed, used, set_by, stale, inconsistent, as_of_ms, days_before, days_after, granted, "
      "outcome, pool_ran_out_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, "
      "?15, ?16, ?17, ?18, ?19)");
  for (const SiteAccount& a : accounts) {
    insert.Reset();
    insert.Bind(1, a.site).Bind(2, a.item).Bind(3, round).Bind(4, static_cast<int64_t>(a.tier));
    insert.Bind(5, a.on_hand).Bind(6, a.in_transit).Bind(7, a.trust.reported);
    a.trust.ceiling ? (void)insert.Bind(8, *a.trust.ceiling) : (void)insert.BindNull(8);
    a.trust.observed ? (void)insert.Bind(9, *a.trust.observed) : (void)insert.BindNull(9);
    insert.Bind(10, a.trust.used).Bind(11, CapByName(a.trust.set_by));
    insert.Bind(12, int64_t{a.trust.stale}).Bind(13, int64_t{a.trust.inconsistent}).Bind(14, a.as_of_ms);
    a.planned ? (void)insert.Bind(15, a.days_before) : (void)insert.BindNull(15);
    a.planned ? (void)insert.Bind(16, a.days_after) : (void)insert.BindNull(16);
    insert.Bind(17, a.granted).Bind(18, OutcomeName(a.outcome)).Bind(19, a.pool_ran_out_at);
    PPE_RETURN_IF_ERROR(insert.Run());
  }
  return Status::Ok();
}

std::vector<SiteAccount> LoadAccounts(SqliteDb& db, const std::string& site, const std::string& item,
                                      int64_t* round) {
  *round = db.QueryInt("SELECT COALESCE(MAX(round), 0) FROM round_sites");
  Statement& q = db.Prepare(
      "SELECT site, item, tier, on_hand, in_transit, reported, ceiling, observed, used, set_by, stale, "
      "inconsistent, as_of_ms, days_before, days_after, granted, outcome, pool_ran_out_at "
      "FROM round_sites WHERE site = ?1 AND (?2 = '' OR item = ?2) ORDER BY item");
  q.Bind(1, site).Bind(2, item);
  std::vector<SiteAccount> accounts;
  while (q.Step()) {
    SiteAccount a;
    a.site = q.Text(0);
    a.item = q.Text(1);
    a.tier = static_cast<int>(q.Int(2));
    a.on_hand = q.Int(3);
    a.in_transit = q.Int(4);
    a.trust.reported = q.Real(5);
    if (!q.IsNull(6)) a.trust.ceiling = q.Real(6);
    if (!q.IsNull(7)) a.trust.observed = q.Real(7);
    a.trust.used = q.Real(8);
    a.trust.set_by = CapByFromName(q.Text(9));
    a.trust.stale = q.Int(10) != 0;
    a.trust.inconsistent = q.Int(11) != 0;
    a.as_of_ms = q.Int(12);
    a.planned = !q.IsNull(13);
    a.days_before = q.Real(13);
    a.days_after = q.Real(14);
    a.granted = q.Int(15);
    a.outcome = OutcomeFromName(q.Text(16));
    a.pool_ran_out_at = q.Real(17);
    accounts.push_back(std::move(a));
  }
  return accounts;
}

std::string Why(const City& city, const SiteAccount& a) {
  const Policy& policy = city.policy();
  const std::string target = Figure(policy.target_days);
  std::string why;
  if (!a.planned) {
    why = "no daily use reported, so nothing was planned for it";
  } else if (a.outcome == FillOutcome::kAtTarget) {
    why = "at target: it had " + Figure(a.days_before) + " days of cover (target " + target +
          "), so it needed nothing";
  } else if (a.granted == 0) {
    why = "got nothing: its tier's pool ran out at " + Figure(a.pool_ran_out_at) + " days";
    if (a.days_before > a.pool_ran_out_at + 0.005) why += ", and it already had " + Figure(a.days_before);
  } else {
    why = "got " + std::to_string(a.granted) + ", from " + Figure(a.days_before) + " to " +
          Figure(a.days_after) + " days of cover";
    why += a.outcome == FillOutcome::kReachedTarget
               ? " (target " + target + ")"
               : "; its tier's pool ran out at " + Figure(a.pool_ran_out_at) + " days";
  }
  const Site* site = city.FindSite(a.site);
  const Item* item = city.FindItem(a.item);
  if (a.trust.set_by == CapBy::kCeiling && site && item) {
    why += "; its daily use is capped at " + Figure(a.trust.used) + " by the ceiling (" +
           Figure(policy.use_ceiling) + " x headcount " + std::to_string(site->headcount) + " x " +
           Figure(item->per_head_daily) + " a head) instead of the " + Figure(a.trust.reported) + " reported";
  } else if (a.trust.set_by == CapBy::kObserved && a.trust.observed) {
    why += "; its daily use is capped at " + Figure(a.trust.used) + " (" + Figure(policy.observed_margin) +
           " x the " + Figure(*a.trust.observed) + " a day its counts show it used) instead of the " +
           Figure(a.trust.reported) + " reported";
  }
  if (a.trust.stale) {
    why += "; its demand is stale: counted " + FormatTime(a.as_of_ms) + ", more than " +
           Figure(policy.stale_after_days) + " days before the round";
  }
  if (a.trust.inconsistent) {
    why += "; its counts are inconsistent (no use, or more on hand than it had and received), so they "
           "cap nothing";
  }
  return why;
}

nlohmann::json ExplainSite(const City& city, const Site& site, const std::string& item,
                           const std::vector<SiteAccount>& accounts, const nlohmann::json& orders,
                           int64_t round, bool dry_run) {
  nlohmann::json items = nlohmann::json::array();
  const auto orders_for = [&](const std::string& for_item) {
    nlohmann::json rows = nlohmann::json::array();
    for (const nlohmann::json& o : orders) {
      if (o.value("for_item", "") == for_item) rows.push_back(o);
    }
    return rows;
  };
  for (const Item& i : city.items()) {
    if (!item.empty() && i.id != item) continue;
    const SiteAccount* account = nullptr;
    for (const SiteAccount& a : accounts) {
      if (a.item == i.id) account = &a;
    }
    if (!account) {
      items.push_back({{"item", i.id}, {"tier", site.tier}, {"outcome", "no_demand"}, {"got", 0},
                       {"orders", nlohmann::json::array()},
                       {"why", "no demand reported for " + i.id + (round ? " before the round" : "")}});
      continue;
    }
    const SiteAccount& a = *account;
    items.push_back({{"item", a.item},
                     {"tier", a.tier},
                     {"on_hand", a.on_hand},
                     {"in_transit", a.in_transit},
                     {"reported_daily_use", Rounded(a.trust.reported)},
                     {"ceiling", Optional(a.trust.ceiling)},
                     {"observed_daily_use", Optional(a.trust.observed)},
                     {"used_daily_use", Rounded(a.trust.used)},
                     {"capped", a.trust.capped()},
                     {"capped_by", a.trust.capped() ? nlohmann::json(CapByName(a.trust.set_by)) : nlohmann::json(nullptr)},
                     {"stale", a.trust.stale},
                     {"inconsistent", a.trust.inconsistent},
                     {"as_of", FormatTime(a.as_of_ms)},
                     {"days_before", a.planned ? nlohmann::json(Rounded(a.days_before)) : nlohmann::json(nullptr)},
                     {"days_after", a.planned ? nlohmann::json(Rounded(a.days_after)) : nlohmann::json(nullptr)},
                     {"got", a.granted},
                     {"outcome", a.planned ? OutcomeName(a.outcome) : "no_demand"},
                     {"pool_ran_out_at_days", a.planned && a.outcome == FillOutcome::kPoolRanOut
                                                  ? nlohmann::json(Rounded(a.pool_ran_out_at))
                                                  : nlohmann::json(nullptr)},
                     {"orders", orders_for(a.item)},
                     {"why", Why(city, a)}});
  }
  return {{"site", site.id},     {"name", site.name},   {"county", site.county},
          {"kind", site.kind},   {"tier", site.tier},   {"headcount", site.headcount},
          {"round", round},      {"dry_run", dry_run},  {"items", items}};
}

}  // namespace ppe
