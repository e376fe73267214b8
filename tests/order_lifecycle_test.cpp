// The order lifecycle's one table (common/order_lifecycle): every state against every step, and
// the properties that make steps crossing on the way safe: goods that moved stay moved, a repeat
// changes nothing, and news arriving in either order ends in the same state.
#include <gtest/gtest.h>

#include <vector>

#include "common/order_lifecycle.h"

namespace ppe {
namespace {

const std::vector<OrderStatus> kAll = {OrderStatus::kCreated,  OrderStatus::kAccepted, OrderStatus::kShipped,
                                       OrderStatus::kReceived, OrderStatus::kRejected, OrderStatus::kCancelled};
const std::vector<OrderStep> kSteps = {OrderStep::kShip, OrderStep::kReceive, OrderStep::kReject, OrderStep::kCancel};

bool GoodsMoved(OrderStatus s) { return s == OrderStatus::kShipped || s == OrderStatus::kReceived; }

// The state after `steps` from `start`; refused steps leave it as it was (their sender is told).
OrderStatus After(OrderStatus start, const std::vector<OrderStep>& steps) {
  for (OrderStep step : steps) start = DecideStep(start, step).next;
  return start;
}

TEST(OrderLifecycle, NamesAndWireValuesRoundTripAndAnOldNodesNameIsRead) {
  for (OrderStatus s : kAll) {
    EXPECT_EQ(ParseOrderStatus(OrderStatusName(s)), s);
    wire::DispatchOrder o;
    o.set_state(ToWire(s));
    EXPECT_EQ(FromWire(o), s);
    wire::DispatchOrder old;  // a broker one release older sends only the name
    old.set_status(OrderStatusName(s));
    EXPECT_EQ(FromWire(old), s);
  }
  EXPECT_EQ(ParseOrderStatus("shipping"), std::nullopt);
  EXPECT_EQ(OpenStatusesSql(), "('created', 'accepted', 'shipped')");
}

TEST(OrderLifecycle, TheTableStepByStep) {
  using S = OrderStatus;
  using O = StepOutcome;
  struct Row {
    S from;
    OrderStep step;
    O outcome;
    S next;
  };
  const std::vector<Row> table = {
      {S::kAccepted, OrderStep::kShip, O::kApply, S::kShipped},
      {S::kAccepted, OrderStep::kReceive, O::kShipAndReceive, S::kReceived},
      {S::kCreated, OrderStep::kReceive, O::kShipAndReceive, S::kReceived},
      {S::kAccepted, OrderStep::kReject, O::kApply, S::kRejected},
      {S::kAccepted, OrderStep::kCancel, O::kApply, S::kCancelled},
      {S::kShipped, OrderStep::kShip, O::kRepeat, S::kShipped},
      {S::kShipped, OrderStep::kReceive, O::kApply, S::kReceived},
      {S::kShipped, OrderStep::kReject, O::kConflict, S::kShipped},
      {S::kShipped, OrderStep::kCancel, O::kRefused, S::kShipped},
      {S::kReceived, OrderStep::kShip, O::kRepeat, S::kReceived},
      {S::kReceived, OrderStep::kReject, O::kConflict, S::kReceived},
      {S::kRejected, OrderStep::kShip, O::kConflict, S::kShipped},
      {S::kCancelled, OrderStep::kReceive, O::kConflict, S::kReceived},
      {S::kCancelled, OrderStep::kReject, O::kRepeat, S::kCancelled},
      {S::kRejected, OrderStep::kCancel, O::kRefused, S::kRejected},
  };
  for (const Row& r : table) {
    const StepDecision d = DecideStep(r.from, r.step);
    EXPECT_EQ(d.outcome, r.outcome) << OrderStatusName(r.from) << " + " << OrderStepVerb(r.step);
    EXPECT_EQ(d.next, r.next) << OrderStatusName(r.from) << " + " << OrderStepVerb(r.step);
  }
  // Only goods moving against a reject or cancel reopen an order.
  EXPECT_TRUE(DecideStep(S::kRejected, OrderStep::kShip).reopens);
  EXPECT_FALSE(DecideStep(S::kShipped, OrderStep::kReject).reopens);
  EXPECT_EQ(RefusalText(17, S::kShipped, OrderStep::kCancel), "order 17 is shipped; it can no longer be cancelled");
}

TEST(OrderLifecycle, GoodsThatMovedStayMovedAndARepeatChangesNothing) {
  for (OrderStatus s : kAll) {
    for (OrderStep step : kSteps) {
      const StepDecision d = DecideStep(s, step);
      if (GoodsMoved(s)) {
        EXPECT_TRUE(GoodsMoved(d.next)) << OrderStatusName(s) << " + " << OrderStepVerb(step);
      }
      if (d.outcome == StepOutcome::kRefused || d.outcome == StepOutcome::kRepeat) {
        EXPECT_EQ(d.next, s);
      }
      // Whatever a step did, the same step again does nothing more.
      const StepDecision again = DecideStep(d.next, step);
      EXPECT_TRUE(again.outcome == StepOutcome::kRepeat || again.outcome == StepOutcome::kRefused ||
                  (again.outcome == StepOutcome::kConflict && again.next == d.next))
          << OrderStatusName(s) << " + " << OrderStepVerb(step) << " twice";
      EXPECT_EQ(again.next, d.next);
    }
  }
}

TEST(OrderLifecycle, AGoodsStepAndAStopStepEndTheSameInEitherOrder) {
  // Two steps taken at two places, with no news between them, reach the broker in either order.
  for (OrderStatus start : {OrderStatus::kCreated, OrderStatus::kAccepted}) {
    for (OrderStep goods : {OrderStep::kShip, OrderStep::kReceive}) {
      for (OrderStep stop : {OrderStep::kReject, OrderStep::kCancel}) {
        const OrderStatus one = After(start, {goods, stop});
        const OrderStatus other = After(start, {stop, goods});
        EXPECT_EQ(one, other) << OrderStepVerb(goods) << " / " << OrderStepVerb(stop);
        EXPECT_EQ(one, goods == OrderStep::kShip ? OrderStatus::kShipped : OrderStatus::kReceived);
      }
    }
    // A late ship after an implied one, and a ship before the receipt, end the same.
    EXPECT_EQ(After(start, {OrderStep::kReceive, OrderStep::kShip}), After(start, {OrderStep::kShip, OrderStep::kReceive}));
  }
}

}  // namespace
}  // namespace ppe
