// LedgerCheck: `ppe-ctl check`: recomputes every stock figure from the event ledger and the
// orders, and checks the store's integrity. Read-only; lists each difference it finds.
#pragma once

#include <nlohmann/json.hpp>

#include "common/sqlite_db.h"

namespace ppe {

// {ok, problems: [text], checked: {...}}; ok is false when any figure disagrees.
nlohmann::json CheckLedger(SqliteDb& db);

}  // namespace ppe
