// OrderBook: dispatch orders from creation to receipt: rounds, lifecycle steps and who may take
// them, stock movements in the ledger, and each county's gap-free delivery queue of order states.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "broker/allocator.h"
#include "broker/broker_store.h"
#include "common/city.h"
#include "common/identity.h"
#include "common/order_lifecycle.h"
#include "common/report_validator.h"
#include "ppe.pb.h"

namespace ppe {

// Filters of `ppe-ctl orders` and `ppe-ctl log`; empty means any.
struct OrderFilter {
  std::string county, site, item, status;
  int64_t since_ms = 0, until_ms = 0;
  int64_t order_id = 0;
  int64_t round = 0;
};

class OrderBook {
 public:
  // Every write happens inside the store's open transaction; the counties whose delivery queue
  // grew are collected until TakeTouchedCounties() so they are pushed only after the commit.
  OrderBook(const City& city, BrokerStore& store) : city_(city), store_(store) {}
  // An order row with its batch lines: batches: [{batch, lot, expires, donor, qty}].
  nlohmann::json WithBatches(nlohmann::json order);

  int64_t NextRound();
  // Stores the plan as a round of orders, queued for delivery to both nodes of each order.
  Result<int64_t> CommitRound(const AllocationPlan& plan, const std::string& by, int64_t now_ms);

  // A node's step (ship, receive, reject), decided by DecideStep (common/order_lifecycle.h): a
  // repeat is a no-op; a receipt implies the shipment; a reject that meets goods that moved is
  // void and recorded as a conflict, as is a shipment or receipt that meets a reject or cancel.
  Refusal ApplyStep(const Identity& who, const wire::OrderStep& step, const ReportOrigin& origin);
  // A coordinator's cancel of an order not yet shipped.
  Refusal Cancel(const Identity& who, int64_t order_id, const std::string& reason, int64_t now_ms);
  // Cancels, through Cancel and as `who`, every order not yet shipped whose site or source
  // warehouse `catalogue` does not name, the reason saying which and `why` ("site X" + why).
  // Shipped ones stay open (the goods are on the road; their county still receives them): listed
  // in `shipped_outside`. Returns how many were cancelled.
  Result<int64_t> CancelOutside(const City& catalogue, const std::string& why, const Identity& who,
                                int64_t now_ms, std::vector<std::string>* shipped_outside);

  // The county node holds every delivery up to `up_to`; the source's copy makes an order accepted.
  Status Acknowledge(const std::string& county, uint64_t up_to, int64_t now_ms);
  uint64_t DeliveryHead(const std::string& county);
  // A node holds deliveries up to `held`, beyond this store's queue (a restored store): the queue
  // jumps there and the county's open orders are queued again.
  Status CatchUpDeliveries(const std::string& county, uint64_t held);
  uint64_t DeliveryAcked(const std::string& county);
  // Delivery entries after `after`, at most `limit`, with each order's current state.
  Status Deliveries(const std::string& county, uint64_t after, size_t limit, wire::OrderDelivery* out);

  nlohmann::json Orders(const OrderFilter& filter);
  // Order events in id order, each as OrderEventRow builds it (`ppe-ctl log --json`).
  nlohmann::json Log(const OrderFilter& filter);
  // The order events after id `after`, at most `limit`, for the dispatch log file: the same rows.
  Result<nlohmann::json> EventsAfter(int64_t after, int64_t limit);
  int64_t LastEventId();
  // The id of the event of `order` that became `status` at `at_ms`; 0 if there is none.
  int64_t FindEvent(int64_t order, const std::string& status, int64_t at_ms);
  // The order with its explanation and history; null when unknown.
  nlohmann::json Explain(int64_t order_id);

  std::set<std::string> TakeTouchedCounties();
  // After a rollback: what it touched is gone.
  void DiscardEvents() { touched_counties_.clear(); }

 private:
  struct Order;
  bool Load(int64_t id, Order* order);
  // Records `next` (and updates `order`), its dispatch-log event, and queues it to both nodes.
  Status SetStatus(Order& order, OrderStatus next, const std::string& who, int64_t qty, const std::string& note,
                   int64_t now_ms);
  Status TakeStep(Order& order, OrderStep kind, const StepDecision& decision, const Identity& who,
                  const wire::OrderStep& step, const ReportOrigin& origin);
  Status RecordConflict(Order& order, OrderStep kind, const std::string& who, const std::string& text,
                        int64_t now_ms);
  Status Enqueue(const std::string& county, int64_t order_id);

  const City& city_;
  BrokerStore& store_;
  std::set<std::string> touched_counties_;
};

}  // namespace ppe
