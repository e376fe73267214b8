// CtlService: answers ppe-ctl requests (status, stock, demand, sites, allocate, orders, log,
// explain, cancel, check) as JSON with the spec's field names, and enforces each command's role.
// Dry-run plans are not made here but on the round planner's thread (round_planner.h).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "broker/broker_store.h"
#include "broker/loop_stats.h"
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

  // Plans a round and commits it, with every site's account (the caller has checked the role).
  // by: who asked. Dry runs are the round planner's (round_planner.h).
  Result<nlohmann::json> Allocate(const std::string& by);
  // `status` reports the loop's longest cycles from here; null: not reported.
  void set_loop_stats(const LoopStats* stats) { loop_stats_ = stats; }

 private:
  nlohmann::json Sites() const;
  nlohmann::json StockRows();
  nlohmann::json DemandRows();
  nlohmann::json Status();
  nlohmann::json Alerts();
  Result<nlohmann::json> ExplainSite(const std::string& site, const std::string& item);

  const City& city_;
  const BrokerConfig& config_;
  BrokerStore& store_;
  OrderBook& orders_;
  const LoopStats* loop_stats_ = nullptr;
};

}  // namespace ppe
