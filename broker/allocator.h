// Allocator: turns a snapshot of the city's stock and demand into a plan of dispatch orders.
// Pure and deterministic: no sockets, no SQL, no clock; the same inputs give a byte-identical plan.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/city.h"

namespace ppe {

// Stock a warehouse can still give: on hand minus what open orders have reserved.
struct WarehouseStock {
  std::string warehouse;
  std::string item;
  int64_t available = 0;
};

// What a site holds and uses of one item. in_transit includes every open order to it.
struct SiteDemand {
  std::string site;
  std::string item;
  int64_t on_hand = 0;
  double daily_use = 0;
  int64_t in_transit = 0;
};

struct PlannedOrder {
  std::string from_warehouse;
  std::string to_site;
  std::string item;      // what ships
  std::string for_item;  // the demand it fills (differs from item for a substitute)
  int64_t qty = 0;       // whole lots of `item`
  int tier = 0;
  double days_before = 0;  // the site's days of cover of for_item before this round
  double days_after = 0;   // ... and after the whole round
  double distance_km = 0;
  std::string reason;      // why this warehouse: own county / nearest with stock / city reserve
};

// How a site's round ended for one item: the allocator's part of "why it got what it got".
enum class FillOutcome {
  kAtTarget,       // it needed nothing: its cover was already at the target
  kReachedTarget,  // it got all it needed
  kPoolRanOut,     // short: the stock its tier could use ran out (pool_ran_out_at_days)
};

struct SiteCoverage {
  std::string site;
  std::string item;
  int tier = 0;
  double days_before = 0;
  double days_after = 0;
  int64_t granted_units = 0;  // of item, itself and its substitutes, this round
  FillOutcome outcome = FillOutcome::kAtTarget;
  // kPoolRanOut: the lowest cover any short site of its tier and item ends the round with (the
  // water level the pool reached; a site that already had more got nothing).
  double pool_ran_out_at_days = 0;
};

struct AllocationPlan {
  std::vector<PlannedOrder> orders;     // sorted by (tier, for_item, to_site, from_warehouse, item)
  std::vector<SiteCoverage> coverage;   // every site with demand, sorted by (tier, item, site)
};

// Rations the available stock by the city's policy (see SPEC "Allocation").
AllocationPlan Allocate(const City& city, const std::vector<WarehouseStock>& stock,
                        const std::vector<SiteDemand>& demand);

}  // namespace ppe
