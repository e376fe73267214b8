// Alerts: what a coordinator must look at now: silent counties, refused reports, sites short of
// cover, orders not accepted or shipped in time, delivery discrepancies, confirmed odd figures.
#pragma once

#include <string>
#include <vector>

#include "broker/broker_store.h"
#include "common/city.h"
#include "common/deployment.h"

namespace ppe {

struct Alert {
  std::string county;  // the county it concerns ("city" for the reserve)
  std::string kind;    // silent, refused, low_cover, not_accepted, not_shipped, discrepancy,
                       // confirmed_figure, unreadable, lost_reports
  std::string text;    // one line for people
};

// Computed from the store as it is now; read-only.
std::vector<Alert> CityAlerts(const City& city, const BrokerConfig& config, BrokerStore& store,
                              int64_t now_ms);

}  // namespace ppe
