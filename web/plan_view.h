// PlanView: a dry-run plan (allocate --dry-run's reply) as the plan page shows it: per tier, tier
// 1 first, how many orders, the lowest site cover before and after, and the first rows. Read
// row by row from the reply's text: a province's plan is megabytes, never a JSON tree here.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace ppe::web {

struct PlanRow {
  std::string from_warehouse, to_site, to_county, item, for_item, reason;
  int64_t qty = 0;
  std::optional<double> days_before, days_after;
};

struct PlanTier {
  size_t orders = 0;
  std::optional<double> lowest_before, lowest_after;  // over the tier's sites (coverage)
  std::vector<PlanRow> rows;                           // the first rows_per_tier orders
};

struct PlanView {
  int64_t round = 0;
  size_t orders = 0;
  std::map<int, PlanTier> tiers;
};

Result<PlanView> ReadPlan(std::string_view json_text, size_t rows_per_tier = 500);

}  // namespace ppe::web
