// OrderLifecycle: a dispatch order's states and the one table of which step may follow which.
// The broker and the node decide with the same function, so they can never disagree on a step.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "ppe.pb.h"

namespace ppe {

enum class OrderStatus { kCreated, kAccepted, kShipped, kReceived, kRejected, kCancelled };

// "created", "accepted", "shipped", "received", "rejected", "cancelled": the JSON and store names.
const char* OrderStatusName(OrderStatus status);
std::optional<OrderStatus> ParseOrderStatus(std::string_view name);
wire::OrderStatus ToWire(OrderStatus status);
// A node one release older sends no enum: the name it sends is read instead.
std::optional<OrderStatus> FromWire(const wire::DispatchOrder& order);
// Still holding stock: reserved at its warehouse, or on the road to its site.
bool IsOpen(OrderStatus status);
// "('created', 'accepted', 'shipped')": the open statuses, for a query's IN.
std::string OpenStatusesSql();
// Neither shipped nor closed: its goods are still on the warehouse's shelf.
bool IsUnshipped(OrderStatus status);

// Who takes a step: the source node ships or rejects, the destination node receives, the
// coordinator cancels.
enum class OrderStep { kShip, kReceive, kReject, kCancel };
const char* OrderStepVerb(OrderStep step);     // "ship", "receive", "reject", "cancel"
const char* OrderStepDone(OrderStep step);     // "shipped", "received", "rejected", "cancelled"
std::optional<OrderStep> FromWire(wire::OrderStepKind kind);

// What a step does to an order in a given state. Goods that moved are facts: a step that says
// they moved always wins over one that says they did not, whatever order the news came in.
enum class StepOutcome {
  kApply,           // the step is taken: the order becomes `next`
  kShipAndReceive,  // received before the news of its shipping: the shipment is implied, then the receipt
  kRepeat,          // already in that state (or past it, as a late ship after a receipt): nothing to do
  kConflict,        // the step contradicts what physically happened; the order stays (or becomes) `next`
                    // and the conflict is recorded for the coordinator
  kRefused,         // not allowed (a coordinator's cancel of goods already on the road)
};

struct StepDecision {
  StepOutcome outcome;
  OrderStatus next;  // the status after the step (unchanged for kRepeat and kRefused)
  // For kConflict: shipped or received goods overrode a reject or cancel recorded earlier
  // (`reopens` is true: the order moves again) or later (false: the step is simply void).
  bool reopens = false;
};

// The one table. `step` on an order that is `current`.
StepDecision DecideStep(OrderStatus current, OrderStep step);

// The order as a node knows it: what the broker last said (`delivered`), then the node's own step
// still on its way there, when that step takes.
OrderStatus KnownStatus(OrderStatus delivered, std::optional<OrderStep> pending);

// "order 17 is received; it can no longer be cancelled": why DecideStep refused.
std::string RefusalText(int64_t order_id, OrderStatus current, OrderStep step);

}  // namespace ppe
