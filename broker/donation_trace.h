// DonationTrace: where every unit of a donor's, a batch's or a reference's goods is, from the
// ledger alone: still in which warehouse, in transit on which order, landed at which site on which
// day, lost in which count adjustment or delivery discrepancy; and the public donations report.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

#include "common/city.h"
#include "common/sqlite_db.h"

namespace ppe {

enum class TraceBy { kDonor, kBatch, kReference };

// {received, in_warehouses, in_transit, landed, lost, adds_up, batches: [...], rows: [{order, site,
// county, qty, status, date}], losses: [{how, batch, qty, date, ...}]}; received always equals
// in_warehouses + in_transit + landed + lost, and adds_up says whether it does. Nothing matched:
// every figure 0.
nlohmann::json Trace(SqliteDb& db, const City& city, TraceBy by, const std::string& key);

// Every donor (batches received as donations), each with its trace and the sites it reached
// (name, county, quantity received, date); all_add_up says whether every donor's figures do.
nlohmann::json DonationsReport(SqliteDb& db, const City& city, int64_t now_ms);

}  // namespace ppe
