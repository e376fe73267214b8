// CitySnapshot: the figures a round is planned on, read in one transaction of any connection to the
// store: the stock warehouses can give, and each site's demand with the daily use it is trusted with.
#pragma once

#include <cstdint>
#include <vector>

#include "broker/allocator.h"
#include "broker/broker_store.h"
#include "broker/trusted_demand.h"
#include "common/city.h"
#include "common/sqlite_db.h"

namespace ppe {

// One demand row with the verdict on its daily use.
struct TrustedDemandRow {
  DemandRow row;
  TrustedUse trust;
};

// The trusted daily use of one row, by the city's policy, at `now_ms` (for staleness).
TrustedUse TrustOf(const City& city, const DemandRow& row, int64_t now_ms);
std::vector<TrustedDemandRow> TrustAll(const City& city, std::vector<DemandRow> rows, int64_t now_ms);

struct CitySnapshot {
  std::vector<WarehouseStock> stock;       // available: on hand minus what open orders reserve
  std::vector<SiteDemand> demand;          // daily_use is the trusted one
  std::vector<TrustedDemandRow> rows;      // the same rows, as read and judged, in the same order
  int64_t taken_ms = 0;
};

// Reads stock and demand in one read transaction (a savepoint: also inside an open transaction).
Result<CitySnapshot> TakeSnapshot(const City& city, SqliteDb& db, int64_t now_ms);

}  // namespace ppe
