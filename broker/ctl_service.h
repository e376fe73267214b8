// CtlService: answers ppe-ctl requests (status, stock, demand, sites, allocate, orders, log,
// explain, cancel, check) as JSON with the spec's field names, and enforces each command's role.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "broker/broker_store.h"
#include "broker/order_book.h"
#include "common/city.h"
#include "common/deployment.h"
#include "common/identity.h"
#include "ppe.pb.h"

namespace ppe {

class CtlService {
 public:
  CtlService(const City& city, const BrokerConfig& config, BrokerStore& store, OrderBook& orders)
      : city_(city), config_(config), store_(store), orders_(orders) {}

  // Runs one request; a refusal is a Reply with ok=false and a readable error. Commands that
  // write (allocate, cancel) run in their own transaction, committed before the reply.
  wire::Reply Handle(const Identity& who, const wire::Request& request);

  // Plans a round; commits it when `commit` (the caller has checked the role). by: who asked.
  Result<nlohmann::json> Allocate(bool commit, const std::string& by);

 private:
  nlohmann::json Sites() const;
  nlohmann::json StockRows();
  nlohmann::json DemandRows();
  nlohmann::json Status();
  nlohmann::json Alerts();

  const City& city_;
  const BrokerConfig& config_;
  BrokerStore& store_;
  OrderBook& orders_;
};

}  // namespace ppe
