#include "web/plan_view.h"

#include "web/flat_rows.h"

namespace ppe::web {
namespace {

void Lower(std::optional<double>& lowest, std::optional<double> v) {
  if (v && (!lowest || *v < *lowest)) lowest = v;
}

}  // namespace

Result<PlanView> ReadPlan(std::string_view json_text, size_t rows_per_tier) {
  PlanView plan;
  FlatRow top;
  Status s = ReadFlatRowsIn(json_text, "orders", [&](const FlatRow& r) {
    PlanTier& tier = plan.tiers[static_cast<int>(r.Int("tier"))];
    ++tier.orders;
    ++plan.orders;
    if (tier.rows.size() >= rows_per_tier) return;
    PlanRow row;
    row.from_warehouse = r.Text("from_warehouse");
    row.to_site = r.Text("to_site");
    row.to_county = r.Text("to_county");
    row.item = r.Text("item");
    row.for_item = r.Text("for_item");
    row.reason = r.Text("reason");
    row.qty = r.Int("qty");
    row.days_before = r.Number("days_before");
    row.days_after = r.Number("days_after");
    tier.rows.push_back(std::move(row));
  }, &top);
  if (!s.ok()) return Status::Error("the broker's plan: " + s.message());
  plan.round = top.Int("round");
  s = ReadFlatRowsIn(json_text, "coverage", [&](const FlatRow& r) {
    PlanTier& tier = plan.tiers[static_cast<int>(r.Int("tier"))];
    Lower(tier.lowest_before, r.Number("days_before"));
    Lower(tier.lowest_after, r.Number("days_after"));
  });
  if (!s.ok()) return Status::Error("the broker's plan: " + s.message());
  return plan;
}

}  // namespace ppe::web
