// Alerts: what a coordinator must look at now: silent counties, refused reports, sites short of
// cover, orders not accepted or shipped in time, delivery discrepancies, confirmed odd figures.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "broker/broker_store.h"
#include "broker/city_snapshot.h"
#include "common/city.h"
#include "common/deployment.h"

namespace ppe {

enum class AlertKind {
  kSilent,           // a node has not been heard from
  kRefused,          // reports were refused
  kLowCover,         // sites under the alert's days of cover
  kNotAccepted,      // orders not accepted in time
  kNotShipped,       // ... or not shipped in time
  kDiscrepancy,      // less received than shipped
  kConfirmedFigure,  // an implausible figure the operator confirmed
  kUnreadable,       // reports a node could not read back from its outbox
  kLostReports,      // reports no node holds any more
  kCappedDemand,     // daily uses capped by ceiling or observed use
  kStaleDemand,      // demand older than policy.stale_after_days
  kInconsistentUse,  // counts that contradict what the site had and received
  kExpiring,         // stock in batches that expire within expiry_alert_days
  kExpired,          // expired stock still on a shelf
  kOrderConflict,    // a step that contradicted what physically happened (resolved by the goods)
};
// The name in JSON: silent, refused, low_cover, not_accepted, not_shipped, discrepancy,
// confirmed_figure, unreadable, lost_reports, capped_demand, stale_demand, inconsistent_use,
// expiring, expired, order_conflict.
const char* AlertKindName(AlertKind kind);

struct Alert {
  std::string county;  // the county it concerns ("city" for the reserve)
  AlertKind kind;
  std::string text;    // one line for people, in English (ppe-ctl prints it)
  // The same as figures and ids, per kind (docs/protocol.md), for a screen that says it in its
  // user's language: ppe-web's Chinese page builds its sentence from these.
  nlohmann::json facts = nlohmann::json::object();
};

// Computed from the store as it is now; read-only.
std::vector<Alert> CityAlerts(const City& city, const BrokerConfig& config, BrokerStore& store,
                              int64_t now_ms);
// The same with the trusted demand the caller has read already (TrustAll of store.Demand() at
// now_ms): status shows both, and a province's demand rows are its dearest read.
std::vector<Alert> CityAlerts(const City& city, const BrokerConfig& config, BrokerStore& store,
                              int64_t now_ms, const std::vector<TrustedDemandRow>& demand);

}  // namespace ppe
