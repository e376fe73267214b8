#include "broker/city_snapshot.h"

#include <algorithm>

namespace ppe {

TrustedUse TrustOf(const City& city, const DemandRow& row, int64_t now_ms) {
  return TrustDailyUse(city.policy(), city.FindItem(row.item), city.FindSite(row.site), row.daily_use,
                       row.observed, row.as_of_ms, now_ms);
}

std::vector<TrustedDemandRow> TrustAll(const City& city, std::vector<DemandRow> rows, int64_t now_ms) {
  std::vector<TrustedDemandRow> judged;
  judged.reserve(rows.size());
  for (DemandRow& row : rows) {
    const TrustedUse trust = TrustOf(city, row, now_ms);
    judged.push_back({std::move(row), trust});
  }
  return judged;
}

Result<CitySnapshot> TakeSnapshot(const City& city, SqliteDb& db, int64_t now_ms) {
  PPE_RETURN_IF_ERROR(db.Exec("SAVEPOINT snapshot"));
  std::vector<StockRow> stock = ReadStock(db);
  std::vector<DemandRow> demand = ReadDemand(db);
  PPE_RETURN_IF_ERROR(db.Exec("RELEASE snapshot"));
  CitySnapshot snapshot;
  snapshot.taken_ms = now_ms;
  snapshot.stock.reserve(stock.size());
  for (const StockRow& r : stock) {
    snapshot.stock.push_back({r.warehouse, r.item, std::max<int64_t>(0, r.on_hand - r.reserved)});
  }
  snapshot.rows = TrustAll(city, std::move(demand), now_ms);
  snapshot.demand.reserve(snapshot.rows.size());
  for (const TrustedDemandRow& t : snapshot.rows) {
    snapshot.demand.push_back({t.row.site, t.row.item, t.row.on_hand, t.trust.used, t.row.in_transit});
  }
  return snapshot;
}

}  // namespace ppe
