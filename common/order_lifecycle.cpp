#include "common/order_lifecycle.h"

#include <array>
#include <utility>

namespace ppe {

namespace {

constexpr std::array<std::pair<OrderStatus, const char*>, 6> kNames = {{
    {OrderStatus::kCreated, "created"},
    {OrderStatus::kAccepted, "accepted"},
    {OrderStatus::kShipped, "shipped"},
    {OrderStatus::kReceived, "received"},
    {OrderStatus::kRejected, "rejected"},
    {OrderStatus::kCancelled, "cancelled"},
}};

StepDecision Apply(OrderStatus next) { return {StepOutcome::kApply, next}; }
StepDecision Repeat(OrderStatus current) { return {StepOutcome::kRepeat, current}; }
StepDecision Refused(OrderStatus current) { return {StepOutcome::kRefused, current}; }
// The goods moved although a reject or cancel had been applied: the order moves again.
StepDecision Reopened(OrderStatus next) { return {StepOutcome::kConflict, next, true}; }
// A reject or cancel that arrives after the goods moved: void, and recorded.
StepDecision Void(OrderStatus current) { return {StepOutcome::kConflict, current, false}; }

}  // namespace

const char* OrderStatusName(OrderStatus status) {
  for (const auto& [s, name] : kNames) {
    if (s == status) return name;
  }
  return "unknown";
}

std::optional<OrderStatus> ParseOrderStatus(std::string_view name) {
  for (const auto& [s, n] : kNames) {
    if (name == n) return s;
  }
  return std::nullopt;
}

wire::OrderStatus ToWire(OrderStatus status) {
  switch (status) {
    case OrderStatus::kCreated: return wire::ORDER_CREATED;
    case OrderStatus::kAccepted: return wire::ORDER_ACCEPTED;
    case OrderStatus::kShipped: return wire::ORDER_SHIPPED;
    case OrderStatus::kReceived: return wire::ORDER_RECEIVED;
    case OrderStatus::kRejected: return wire::ORDER_REJECTED;
    case OrderStatus::kCancelled: return wire::ORDER_CANCELLED;
  }
  return wire::ORDER_STATUS_UNSPECIFIED;
}

std::optional<OrderStatus> FromWire(const wire::DispatchOrder& order) {
  switch (order.state()) {
    case wire::ORDER_CREATED: return OrderStatus::kCreated;
    case wire::ORDER_ACCEPTED: return OrderStatus::kAccepted;
    case wire::ORDER_SHIPPED: return OrderStatus::kShipped;
    case wire::ORDER_RECEIVED: return OrderStatus::kReceived;
    case wire::ORDER_REJECTED: return OrderStatus::kRejected;
    case wire::ORDER_CANCELLED: return OrderStatus::kCancelled;
    default: return ParseOrderStatus(order.status());
  }
}

bool IsOpen(OrderStatus status) {
  return status == OrderStatus::kCreated || status == OrderStatus::kAccepted || status == OrderStatus::kShipped;
}

std::string OpenStatusesSql() {
  std::string list;
  for (const auto& [s, name] : kNames) {
    if (IsOpen(s)) list += (list.empty() ? "('" : ", '") + std::string(name) + "'";
  }
  return list + ")";
}

bool IsUnshipped(OrderStatus status) {
  return status == OrderStatus::kCreated || status == OrderStatus::kAccepted;
}

const char* OrderStepVerb(OrderStep step) {
  switch (step) {
    case OrderStep::kShip: return "ship";
    case OrderStep::kReceive: return "receive";
    case OrderStep::kReject: return "reject";
    case OrderStep::kCancel: return "cancel";
  }
  return "?";
}

const char* OrderStepDone(OrderStep step) {
  switch (step) {
    case OrderStep::kShip: return "shipped";
    case OrderStep::kReceive: return "received";
    case OrderStep::kReject: return "rejected";
    case OrderStep::kCancel: return "cancelled";
  }
  return "?";
}

std::optional<OrderStep> FromWire(wire::OrderStepKind kind) {
  switch (kind) {
    case wire::SHIP: return OrderStep::kShip;
    case wire::RECEIVE: return OrderStep::kReceive;
    case wire::REJECT: return OrderStep::kReject;
    default: return std::nullopt;
  }
}

OrderStatus KnownStatus(OrderStatus delivered, std::optional<OrderStep> pending) {
  if (!pending) return delivered;
  const StepDecision decision = DecideStep(delivered, *pending);
  return decision.outcome == StepOutcome::kRefused ? delivered : decision.next;
}

StepDecision DecideStep(OrderStatus current, OrderStep step) {
  using S = OrderStatus;
  switch (current) {
    case S::kCreated:
    case S::kAccepted:
      switch (step) {
        case OrderStep::kShip: return Apply(S::kShipped);
        // The goods are in the room before the shipping news: the receipt implies the shipment.
        case OrderStep::kReceive: return {StepOutcome::kShipAndReceive, S::kReceived};
        case OrderStep::kReject: return Apply(S::kRejected);
        case OrderStep::kCancel: return Apply(S::kCancelled);
      }
      break;
    case S::kShipped:
      switch (step) {
        case OrderStep::kShip: return Repeat(current);
        case OrderStep::kReceive: return Apply(S::kReceived);
        case OrderStep::kReject: return Void(current);
        // The coordinator is answered at once: the goods are on the road, nothing to cancel.
        case OrderStep::kCancel: return Refused(current);
      }
      break;
    case S::kReceived:
      switch (step) {
        // The shipment a receipt implied, or a repeat: either way the books already hold it.
        case OrderStep::kShip:
        case OrderStep::kReceive: return Repeat(current);
        case OrderStep::kReject: return Void(current);
        case OrderStep::kCancel: return Refused(current);
      }
      break;
    case S::kRejected:
    case S::kCancelled:
      switch (step) {
        case OrderStep::kShip: return Reopened(S::kShipped);
        case OrderStep::kReceive: return Reopened(S::kReceived);
        // Both say the goods never left: nothing contradicts, nothing to do.
        case OrderStep::kReject: return Repeat(current);
        case OrderStep::kCancel: return current == S::kCancelled ? Repeat(current) : Refused(current);
      }
      break;
  }
  return Refused(current);
}

std::string RefusalText(int64_t order_id, OrderStatus current, OrderStep step) {
  return "order " + std::to_string(order_id) + " is " + OrderStatusName(current) + "; it can no longer be " +
         OrderStepDone(step);
}

}  // namespace ppe
