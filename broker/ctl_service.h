// CtlService: answers ppe-ctl requests (status, stock, demand, sites, allocate, orders ...) as JSON
// with the spec's field names; enforces which role may run which command.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "broker/broker_store.h"
#include "broker/key_ring.h"
#include "common/city.h"
#include "common/deployment.h"
#include "ppe.pb.h"

namespace ppe {

class CtlService {
 public:
  CtlService(const City& city, const BrokerConfig& config, BrokerStore& store)
      : city_(city), config_(config), store_(store) {}

  // Runs one request; never throws; a refusal is a Reply with ok=false and a readable error.
  wire::Reply Handle(const Identity& who, const wire::Request& request);

  nlohmann::json Sites() const;
  nlohmann::json StockRows();
  nlohmann::json DemandRows();
  nlohmann::json Status();

 private:
  const City& city_;
  const BrokerConfig& config_;
  BrokerStore& store_;
};

}  // namespace ppe
