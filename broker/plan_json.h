// PlanJson: a planned round as the spec's JSON (allocate --dry-run): order rows with status
// "planned" and id null, and the coverage of every site. Written straight into text, because a
// province's 60,000 rows through a JSON tree cost the city half a second it should not wait.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>

#include "broker/allocator.h"
#include "common/city.h"

namespace ppe {

// One planned order as a row (what PlanJsonText writes for it, as a tree).
nlohmann::json PlannedOrderRow(const City& city, const PlannedOrder& order, int64_t round);

// {"round", "dry_run": true, "orders": [...], "coverage": [{site, item, tier, days_before,
// days_after}]}: the same fields and values as PlannedOrderRow, compact.
std::string PlanJsonText(const City& city, const AllocationPlan& plan, int64_t round);

}  // namespace ppe
