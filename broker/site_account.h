// SiteAccount: why a site got what it got of an item in a round: its tier, figures, trusted daily
// use, cover before and after, what it got, and the reason in words. The last committed round's
// accounts are kept in the store (round_sites), so `explain --site` answers for it later.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "broker/allocator.h"
#include "broker/city_snapshot.h"
#include "common/city.h"
#include "common/sqlite_db.h"

namespace ppe {

struct SiteAccount {
  std::string site, item;
  int tier = 0;
  int64_t on_hand = 0, in_transit = 0;
  TrustedUse trust;
  int64_t as_of_ms = 0;
  bool planned = false;        // the allocator took part (a daily use above 0)
  double days_before = 0, days_after = 0;
  int64_t granted = 0;         // units of the item, itself and its substitutes
  FillOutcome outcome = FillOutcome::kAtTarget;
  double pool_ran_out_at = 0;  // kPoolRanOut
};

// One account per demand row of the snapshot, in its order (site, item).
std::vector<SiteAccount> AccountForSites(const City& city, const CitySnapshot& snapshot,
                                         const AllocationPlan& plan);

// Replaces the kept accounts with those of `round`; inside the caller's transaction.
Status SaveAccounts(SqliteDb& db, int64_t round, const std::vector<SiteAccount>& accounts);
// The kept accounts of `site` (all items, or `item`), and the round they belong to (0: none kept).
std::vector<SiteAccount> LoadAccounts(SqliteDb& db, const std::string& site, const std::string& item,
                                      int64_t* round);

// Why, in one sentence for people: what it got, and each reason that shaped it (at target, its
// tier's pool ran out at N days, capped by ceiling or observed use, stale, inconsistent counts).
std::string Why(const City& city, const SiteAccount& account);

// The `explain --site` answer: the site, then one entry per item. `orders` are the round's orders
// to the site (spec order rows); items the site reported nothing for say "no demand reported".
nlohmann::json ExplainSite(const City& city, const Site& site, const std::string& item,
                           const std::vector<SiteAccount>& accounts, const nlohmann::json& orders,
                           int64_t round, bool dry_run);

}  // namespace ppe
