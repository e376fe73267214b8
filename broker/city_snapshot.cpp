#include "broker/city_snapshot.h"

#include <algorithm>
#include <map>
#include <utility>

#include "broker/batch_book.h"

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
  // Expired stock is on the shelf but never ships: what a warehouse can give leaves it out. What
  // orders already hold of it is out already (as reserved), so only the unheld part is taken off.
  std::map<std::pair<std::string, std::string>, int64_t> expired;
  // INDEXED BY: for its GROUP BY the planner would read every batch in history (0.7 s with 1.5
  // million of them) instead of the dated ones still held.
  Statement& q = db.Prepare(
      "SELECT warehouse, item, SUM(MAX(0, on_hand - reserved)) FROM batches INDEXED BY batches_dated WHERE expires != '' AND expires < ?1 "
      "AND on_hand > 0 GROUP BY warehouse, item");
  q.Bind(1, Today(now_ms));
  while (q.Step()) expired[{q.Text(0), q.Text(1)}] = q.Int(2);
  q.Reset();
  PPE_RETURN_IF_ERROR(db.Exec("RELEASE snapshot"));
  CitySnapshot snapshot;
  snapshot.taken_ms = now_ms;
  snapshot.stock.reserve(stock.size());
  for (const StockRow& r : stock) {
    const auto it = expired.find({r.warehouse, r.item});
    const int64_t unusable = it == expired.end() ? 0 : it->second;
    snapshot.stock.push_back({r.warehouse, r.item, std::max<int64_t>(0, r.on_hand - r.reserved - unusable)});
  }
  snapshot.rows = TrustAll(city, std::move(demand), now_ms);
  snapshot.demand.reserve(snapshot.rows.size());
  for (const TrustedDemandRow& t : snapshot.rows) {
    snapshot.demand.push_back({t.row.site, t.row.item, t.row.on_hand, t.trust.used, t.row.in_transit});
  }
  return snapshot;
}

}  // namespace ppe
