// LedgerCheck: `ppe-ctl check`: recomputes every stock figure from the event ledger and the
// orders, and checks the store's integrity. Read-only; lists each difference it finds.
#pragma once

#include <nlohmann/json.hpp>

#include "common/sqlite_db.h"

namespace ppe {

// {ok, problems: [text], integrity: [text], checked: {events, warehouse_items, site_items,
// orders, pages}}; ok is false when any figure disagrees or the store is damaged. `integrity`
// holds SQLite's integrity_check findings (also in `problems`, prefixed "store integrity: "); a
// count the damage made unreadable is null, with the reason in `problems`, never a silent 0.
nlohmann::json CheckLedger(SqliteDb& db);

}  // namespace ppe
