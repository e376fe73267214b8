#include "broker/order_book.h"

#include <fmt/format.h>

#include <cmath>
#include <map>
#include <utility>

#include "broker/batch_book.h"
#include "common/clock.h"

namespace ppe {

struct OrderBook::Order {
  int64_t id = 0, round = 0, qty = 0, received_qty = -1, tier = 0;
  std::string from_warehouse, from_county, to_site, to_county, item, for_item;
  OrderStatus status = OrderStatus::kCreated;
  std::string note;  // the last reason given (a reject's or a cancel's), for a conflict's record
};

namespace {

constexpr const char* kOrderColumns =
    "id, round, from_warehouse, from_county, to_site, to_county, item, for_item, qty, status, "
    "received_qty, tier, days_before, days_after, distance_km, reason, created_ms, updated_ms, note";

Refusal Refuse(wire::ErrorCode code, std::string text) { return Refusal{code, std::move(text)}; }

double Rounded(double days) { return std::round(days * 100) / 100; }

// An order row as the spec names its fields, plus the explanation.
nlohmann::json OrderJson(Statement& q) {
  return {{"id", q.Int(0)},
          {"round", q.Int(1)},
          {"from_warehouse", q.Text(2)},
          {"from_county", q.Text(3)},
          {"to_site", q.Text(4)},
          {"to_county", q.Text(5)},
          {"item", q.Text(6)},
          {"for_item", q.Text(7)},
          {"qty", q.Int(8)},
          {"status", q.Text(9)},
          {"received_qty", q.IsNull(10) ? nlohmann::json(nullptr) : nlohmann::json(q.Int(10))},
          {"tier", q.Int(11)},
          {"days_before", Rounded(q.Real(12))},
          {"days_after", Rounded(q.Real(13))},
          {"distance_km", Rounded(q.Real(14))},
          {"reason", q.Text(15)},
          {"created", FormatTime(q.Int(16))},
          {"updated", FormatTime(q.Int(17))},
          {"note", q.IsNull(18) ? nlohmann::json(nullptr) : nlohmann::json(q.Text(18))}};
}

// The columns OrderEventRow reads, over order_events `e` joined to orders `o`.
constexpr const char* kEventColumns =
    "e.id, e.at_ms, e.order_id, o.round, o.from_warehouse, o.from_county, o.to_site, o.to_county, "
    "o.item, e.qty, e.status, e.who, COALESCE(e.note, '')";

// One order event as `ppe-ctl log --json` shows it and the dispatch log file holds it: one
// function for both, so the file and the command cannot drift apart.
nlohmann::json OrderEventRow(Statement& q) {
  return {{"event", q.Int(0)},
          {"time", FormatTime(q.Int(1))}, {"at_ms", q.Int(1)}, {"order", q.Int(2)},
          {"round", q.Int(3)}, {"from", q.Text(4)}, {"from_county", q.Text(5)},
          {"to", q.Text(6)}, {"to_county", q.Text(7)}, {"item", q.Text(8)},
          {"qty", q.Int(9)}, {"status", q.Text(10)}, {"who", q.Text(11)},
          {"note", q.Text(12)}};
}

// SQL conditions and their bindings for a filter over the orders table aliased `o`.
std::string FilterSql(const OrderFilter& f, std::vector<std::string>* binds) {
  std::string where = " WHERE 1 = 1";
  // Each clause names its one parameter as {0}, however often it uses it.
  auto add = [&](const char* clause, const std::string& value) {
    if (value.empty()) return;
    binds->push_back(value);
    where += fmt::format(fmt::runtime(std::string(" AND ") + clause), fmt::format("?{}", binds->size()));
  };
  add("(o.from_county = {0} OR o.to_county = {0})", f.county);
  add("o.to_site = {0}", f.site);
  add("(o.item = {0} OR o.for_item = {0})", f.item);
  // Numbers are bound too (SQLite gives a bound text numeric affinity against an INTEGER
  // column): with every value a parameter, there are few distinct statements to cache.
  if (f.order_id > 0) add("o.id = {0}", std::to_string(f.order_id));
  if (f.round > 0) add("o.round = {0}", std::to_string(f.round));
  return where;
}

}  // namespace

int64_t OrderBook::NextRound() { return store_.db().QueryInt("SELECT COALESCE(MAX(round), 0) + 1 FROM rounds"); }

Result<int64_t> OrderBook::CommitRound(const AllocationPlan& plan, const std::string& by,
                                       int64_t now_ms) {
  const int64_t round = NextRound();
  Statement& r = store_.db().Prepare("INSERT INTO rounds (round, at_ms, by, orders) VALUES (?1, ?2, ?3, ?4)");
  PPE_RETURN_IF_ERROR(r.Bind(1, round).Bind(2, now_ms).Bind(3, by)
                          .Bind(4, static_cast<int64_t>(plan.orders.size())).Run());
  Statement& insert = store_.db().Prepare(
      "INSERT INTO orders (round, from_warehouse, from_county, to_site, to_county, item, for_item, "
      "qty, status, tier, days_before, days_after, distance_km, reason, created_ms, updated_ms) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'created', ?9, ?10, ?11, ?12, ?13, ?14, ?14)");
  // Each warehouse's batches are loaded once per round; picking updates them as orders take lines.
  std::map<std::pair<std::string, std::string>, std::vector<BatchStock>> batches;
  const std::string today = Today(now_ms);
  for (const PlannedOrder& p : plan.orders) {
    const Warehouse* w = city_.FindWarehouse(p.from_warehouse);
    const Site* s = city_.FindSite(p.to_site);
    if (!w || !s) return Status::Error("plan names an unknown warehouse or site");
    insert.Reset()
        .Bind(1, round).Bind(2, p.from_warehouse).Bind(3, w->county).Bind(4, p.to_site)
        .Bind(5, s->county).Bind(6, p.item).Bind(7, p.for_item).Bind(8, p.qty)
        .Bind(9, static_cast<int64_t>(p.tier)).Bind(10, p.days_before).Bind(11, p.days_after)
        .Bind(12, p.distance_km).Bind(13, p.reason).Bind(14, now_ms);
    PPE_RETURN_IF_ERROR(insert.Run());
    const int64_t id = sqlite3_last_insert_rowid(store_.db().raw());
    auto [place, fresh] = batches.try_emplace({p.from_warehouse, p.item});
    if (fresh) place->second = store_.batches().Stocked(p.from_warehouse, p.item);
    PPE_RETURN_IF_ERROR(store_.batches().Reserve(id, PickForOrder(place->second, p.qty, today)));
    Order order;
    PPE_RETURN_IF_ERROR(Load(id, &order) ? Status::Ok() : Status::Error("order vanished"));
    PPE_RETURN_IF_ERROR(SetStatus(order, OrderStatus::kCreated, by, p.qty, p.reason, now_ms));
  }
  return round;
}

bool OrderBook::Load(int64_t id, Order* o) {
  Statement& q = store_.db().Prepare(
      "SELECT id, round, from_warehouse, from_county, to_site, to_county, item, for_item, qty, "
      "status, COALESCE(received_qty, -1), tier, COALESCE(note, '') FROM orders WHERE id = ?1");
  q.Bind(1, id);
  const bool found = q.Step();
  if (found) {
    o->id = q.Int(0);
    o->round = q.Int(1);
    o->from_warehouse = q.Text(2);
    o->from_county = q.Text(3);
    o->to_site = q.Text(4);
    o->to_county = q.Text(5);
    o->item = q.Text(6);
    o->for_item = q.Text(7);
    o->qty = q.Int(8);
    // The store only ever holds names OrderStatusName wrote; `check` reports any other.
    o->status = ParseOrderStatus(q.Text(9)).value_or(OrderStatus::kCreated);
    o->received_qty = q.Int(10);
    o->tier = q.Int(11);
    o->note = q.Text(12);
  }
  q.Reset();
  return found;
}

// Records the new status, its event (order_events: the dispatch log's source), and queues it to
// both nodes.
Status OrderBook::SetStatus(Order& o, OrderStatus next, const std::string& who, int64_t qty,
                            const std::string& note, int64_t now_ms) {
  const std::string status = OrderStatusName(next);
  Statement& u = store_.db().Prepare(
      "UPDATE orders SET status = ?2, updated_ms = ?3, "
      "received_qty = CASE WHEN ?2 = 'received' THEN ?4 ELSE received_qty END, "
      "note = CASE WHEN ?5 = '' THEN note ELSE ?5 END WHERE id = ?1");
  PPE_RETURN_IF_ERROR(u.Bind(1, o.id).Bind(2, status).Bind(3, now_ms).Bind(4, qty).Bind(5, note).Run());
  // Stock that never left goes back to the pool with its batches.
  if (next == OrderStatus::kRejected || next == OrderStatus::kCancelled) {
    PPE_RETURN_IF_ERROR(store_.batches().Release(o.id));
  }
  o.status = next;
  if (!note.empty()) o.note = note;
  Statement& e = store_.db().Prepare(
      "INSERT INTO order_events (order_id, at_ms, status, who, qty, note) VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
  PPE_RETURN_IF_ERROR(e.Bind(1, o.id).Bind(2, now_ms).Bind(3, status).Bind(4, who).Bind(5, qty)
                          .Bind(6, note).Run());
  PPE_RETURN_IF_ERROR(Enqueue(o.from_county, o.id));
  return o.to_county == o.from_county ? Status::Ok() : Enqueue(o.to_county, o.id);
}

Status OrderBook::Enqueue(const std::string& county, int64_t order_id) {
  Statement& q = store_.db().Prepare(
      "INSERT INTO deliveries (county, seq, order_id) VALUES (?1, "
      "(SELECT COALESCE(MAX(seq), 0) + 1 FROM deliveries WHERE county = ?1), ?2)");
  touched_counties_.insert(county);
  return q.Bind(1, county).Bind(2, order_id).Run();
}

Refusal OrderBook::ApplyStep(const Identity& who, const wire::OrderStep& step,
                             const ReportOrigin& origin) {
  Order o;
  if (!Load(static_cast<int64_t>(step.order_id()), &o)) {
    return Refuse(wire::UNKNOWN_ORDER, "unknown order " + std::to_string(step.order_id()));
  }
  const std::optional<OrderStep> kind = FromWire(step.step());
  if (!kind) return Refuse(wire::MALFORMED, "unknown order step");
  const std::string id = "order " + std::to_string(o.id);
  // The source node ships and rejects; the destination node receives.
  if (*kind == OrderStep::kReceive ? who.county != o.to_county : who.county != o.from_county) {
    return Refuse(wire::NOT_YOUR_COUNTY, *kind == OrderStep::kReceive
                                             ? id + " goes to " + o.to_county + ", not to " + who.county
                                             : id + " ships from " + o.from_county + ", not from " + who.county);
  }
  if (*kind == OrderStep::kReject && step.reason().empty()) return Refuse(wire::MALFORMED, "a rejection needs a reason");
  if (*kind == OrderStep::kReceive && (step.quantity() < 0 || step.quantity() > kMaxQuantity)) {
    return Refuse(wire::BAD_QUANTITY, "received quantity out of range");
  }
  const StepDecision decision = DecideStep(o.status, *kind);
  if (decision.outcome == StepOutcome::kRepeat) return {};
  if (decision.outcome == StepOutcome::kRefused) {
    return Refuse(wire::INVALID_STEP, RefusalText(o.id, o.status, *kind));
  }
  const Status s = TakeStep(o, *kind, decision, who, step, origin);
  return s.ok() ? Refusal{} : Refuse(wire::INTERNAL, s.message());
}

// The movements a decided step makes, in the order they physically happened: a shipment the
// step implies first, then the landing, then the record of any conflict.
Status OrderBook::TakeStep(Order& o, OrderStep kind, const StepDecision& decision, const Identity& who,
                           const wire::OrderStep& step, const ReportOrigin& origin) {
  const int64_t now = origin.applied_ms;
  const OrderStatus before = o.status;
  const std::string before_note = o.note;
  if (decision.outcome == StepOutcome::kConflict && !decision.reopens) {
    // A reject that arrives after the goods moved: void; the coordinator is told.
    return RecordConflict(o, kind, who.name,
                          std::string(OrderStepDone(kind)) + " by " + who.name + " (" + step.reason() + ") after it was " +
                              OrderStatusName(before) + ": the " + (before == OrderStatus::kReceived ? "receipt" : "shipment") +
                              " stands",
                          now);
  }
  if (decision.next == OrderStatus::kRejected) return SetStatus(o, OrderStatus::kRejected, who.name, o.qty, step.reason(), now);
  const bool ships_now = before != OrderStatus::kShipped && before != OrderStatus::kReceived;
  if (ships_now) {
    // A rejected or cancelled order's stock went back to the pool: what leaves now is picked
    // afresh from the batches on the shelf.
    if (decision.reopens) PPE_RETURN_IF_ERROR(store_.batches().Forget(o.id));
    PPE_RETURN_IF_ERROR(store_.MoveStock(o.from_warehouse, o.item, -o.qty, now));
    PPE_RETURN_IF_ERROR(store_.AppendEvent(origin, "ship", o.from_warehouse, o.item, o.qty, -o.qty,
                                           nlohmann::json{{"order", o.id}}.dump()));
    PPE_RETURN_IF_ERROR(store_.batches().Ship(store_.last_event_id(), o.id, o.from_warehouse, o.item, o.qty, Today(now)));
    const std::string implied = kind == OrderStep::kReceive ? "implied by its receipt at " + o.to_site : "";
    PPE_RETURN_IF_ERROR(SetStatus(o, OrderStatus::kShipped, who.name, o.qty, implied, now));
  }
  if (decision.next == OrderStatus::kReceived) {
    const int64_t got = step.quantity();
    const int64_t missing = o.qty - got;
    const nlohmann::json detail = {{"order", o.id}, {"shipped", o.qty}};
    PPE_RETURN_IF_ERROR(store_.LandAtSite(o.to_site, o.for_item, got, now));
    PPE_RETURN_IF_ERROR(store_.batches().Land(o.id, got));
    PPE_RETURN_IF_ERROR(store_.AppendEvent(origin, "landed", o.to_site, o.for_item, got, got, detail.dump()));
    if (missing != 0) {
      PPE_RETURN_IF_ERROR(store_.AppendEvent(origin, "discrepancy", o.to_site, o.item, missing, 0, detail.dump()));
    }
    const std::string note = missing == 0 ? "" : "discrepancy: shipped " + std::to_string(o.qty) +
                                                     ", received " + std::to_string(got);
    PPE_RETURN_IF_ERROR(SetStatus(o, OrderStatus::kReceived, who.name, got, note, now));
  }
  if (!decision.reopens) return Status::Ok();
  return RecordConflict(o, kind, who.name,
                        std::string(OrderStepDone(kind)) + " by " + who.name + " after it was " + OrderStatusName(before) +
                            (before_note.empty() ? "" : " (" + before_note + ")") + ": the " +
                            (kind == OrderStep::kReceive ? "receipt" : "shipment") + " stands and its stock left " +
                            o.from_warehouse,
                        now);
}

// A conflict is kept twice: in the dispatch log, as an event of the order, and in
// order_conflicts, which `status` shows per county as an alert.
Status OrderBook::RecordConflict(Order& o, OrderStep kind, const std::string& who, const std::string& text,
                                 int64_t now_ms) {
  Statement& c = store_.db().Prepare(
      "INSERT INTO order_conflicts (order_id, at_ms, step, who, note) VALUES (?1, ?2, ?3, ?4, ?5)");
  PPE_RETURN_IF_ERROR(c.Bind(1, o.id).Bind(2, now_ms).Bind(3, OrderStepVerb(kind)).Bind(4, who).Bind(5, text).Run());
  Statement& e = store_.db().Prepare(
      "INSERT INTO order_events (order_id, at_ms, status, who, qty, note) VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
  return e.Bind(1, o.id).Bind(2, now_ms).Bind(3, OrderStatusName(o.status)).Bind(4, who).Bind(5, o.qty)
      .Bind(6, "conflict: " + text).Run();
}

Refusal OrderBook::Cancel(const Identity& who, int64_t order_id, const std::string& reason,
                          int64_t now_ms) {
  if (who.role != Role::kCoordinator) {
    return Refuse(wire::FORBIDDEN, std::string("a ") + RoleName(who.role) + " key cannot cancel orders");
  }
  if (reason.empty()) return Refuse(wire::MALFORMED, "a cancellation needs --reason");
  Order o;
  if (!Load(order_id, &o)) return Refuse(wire::UNKNOWN_ORDER, "unknown order " + std::to_string(order_id));
  const StepDecision decision = DecideStep(o.status, OrderStep::kCancel);
  if (decision.outcome == StepOutcome::kRepeat) return {};
  if (decision.outcome != StepOutcome::kApply) {
    return Refuse(wire::INVALID_STEP, RefusalText(o.id, o.status, OrderStep::kCancel) +
                                          (o.status == OrderStatus::kShipped ? " (its goods are on the road)" : ""));
  }
  Status s = SetStatus(o, OrderStatus::kCancelled, who.name, o.qty, reason, now_ms);
  return s.ok() ? Refusal{} : Refuse(wire::INTERNAL, s.message());
}

Result<int64_t> OrderBook::CancelOutside(const City& catalogue, const std::string& why, const Identity& who,
                                         int64_t now_ms, std::vector<std::string>* shipped_outside) {
  struct Open {
    int64_t id;
    std::string warehouse, site;
    OrderStatus status;
  };
  std::vector<Open> open;
  Statement& q = store_.db().Prepare(
      "SELECT id, from_warehouse, to_site, status FROM orders WHERE status IN " + OpenStatusesSql() + " ORDER BY id");
  while (q.Step()) {
    open.push_back({q.Int(0), q.Text(1), q.Text(2), ParseOrderStatus(q.Text(3)).value_or(OrderStatus::kCreated)});
  }
  PPE_RETURN_IF_ERROR(q.status());
  int64_t cancelled = 0;
  for (const Open& o : open) {
    std::string reason;
    if (!catalogue.FindSite(o.site)) {
      reason = "site " + o.site + why;
    } else if (!catalogue.FindWarehouse(o.warehouse)) {
      reason = "warehouse " + o.warehouse + why;
    } else {
      continue;
    }
    if (o.status == OrderStatus::kShipped) {
      shipped_outside->push_back("order " + std::to_string(o.id) + " (shipped): " + reason);
      continue;
    }
    const Refusal refusal = Cancel(who, o.id, reason, now_ms);
    if (refusal.refused()) return Status::Error("order " + std::to_string(o.id) + ": " + refusal.text);
    ++cancelled;
  }
  return cancelled;
}

Status OrderBook::Acknowledge(const std::string& county, uint64_t up_to, int64_t now_ms) {
  const uint64_t before = DeliveryAcked(county);
  up_to = std::min(up_to, DeliveryHead(county));
  if (up_to <= before) return Status::Ok();
  Statement& save = store_.db().Prepare(
      "INSERT INTO delivery_acks (county, acked) VALUES (?1, ?2) "
      "ON CONFLICT(county) DO UPDATE SET acked = ?2");
  PPE_RETURN_IF_ERROR(save.Bind(1, county).Bind(2, static_cast<int64_t>(up_to)).Run());
  // The source node holding a created order is what "accepted" means.
  std::vector<int64_t> accepted;
  Statement& q = store_.db().Prepare(
      "SELECT DISTINCT o.id FROM deliveries d JOIN orders o ON o.id = d.order_id "
      "WHERE d.county = ?1 AND d.seq > ?2 AND d.seq <= ?3 AND o.status = 'created' "
      "AND o.from_county = ?1 ORDER BY o.id");
  q.Bind(1, county).Bind(2, static_cast<int64_t>(before)).Bind(3, static_cast<int64_t>(up_to));
  while (q.Step()) accepted.push_back(q.Int(0));
  PPE_RETURN_IF_ERROR(q.status());
  for (int64_t id : accepted) {
    Order o;
    if (Load(id, &o)) PPE_RETURN_IF_ERROR(SetStatus(o, OrderStatus::kAccepted, county, o.qty, "", now_ms));
  }
  return Status::Ok();
}

constexpr uint64_t kMaxDeliverySeq = uint64_t{1} << 40;

// The node holds delivery entries up to `held`, past this store's queue: the store went back to
// an older copy. A marker entry (order 0, which no query joins) takes the queue's seq to `held`,
// so the node neither skips what comes next nor waits for a gap; then every open order of the
// county is queued again, so the node holds each one's state as this store knows it.
Status OrderBook::CatchUpDeliveries(const std::string& county, uint64_t held) {
  // A figure no queue reaches is a hostile or broken node's: ignored, never a failed cycle.
  if (held <= DeliveryHead(county) || held > kMaxDeliverySeq) return Status::Ok();
  Statement& mark = store_.db().Prepare(
      "INSERT OR IGNORE INTO deliveries (county, seq, order_id) VALUES (?1, ?2, 0)");
  PPE_RETURN_IF_ERROR(mark.Bind(1, county).Bind(2, static_cast<int64_t>(held)).Run());
  std::vector<int64_t> open;
  Statement& q = store_.db().Prepare(
      "SELECT id FROM orders WHERE (from_county = ?1 OR to_county = ?1) "
      "AND status IN " + OpenStatusesSql() + " ORDER BY id");
  q.Bind(1, county);
  while (q.Step()) open.push_back(q.Int(0));
  PPE_RETURN_IF_ERROR(q.status());
  for (const int64_t id : open) PPE_RETURN_IF_ERROR(Enqueue(county, id));
  return Status::Ok();
}

uint64_t OrderBook::DeliveryHead(const std::string& county) {
  return store_.db().QueryInt("SELECT COALESCE(MAX(seq), 0) FROM deliveries WHERE county = ?1", county);
}

uint64_t OrderBook::DeliveryAcked(const std::string& county) {
  return store_.db().QueryInt("SELECT acked FROM delivery_acks WHERE county = ?1", county);
}

Status OrderBook::Deliveries(const std::string& county, uint64_t after, size_t limit,
                             wire::OrderDelivery* out) {
  Statement& q = store_.db().Prepare(
      "SELECT d.seq, o.id, o.round, o.from_warehouse, o.from_county, o.to_site, o.to_county, "
      "o.item, o.for_item, o.qty, o.status, COALESCE(o.received_qty, 0), o.reason, o.updated_ms "
      "FROM deliveries d JOIN orders o ON o.id = d.order_id "
      "WHERE d.county = ?1 AND d.seq > ?2 ORDER BY d.seq LIMIT ?3");
  q.Bind(1, county).Bind(2, static_cast<int64_t>(after)).Bind(3, static_cast<int64_t>(limit));
  while (q.Step()) {
    auto* entry = out->add_entries();
    entry->set_seq(q.Int(0));
    wire::DispatchOrder* o = entry->mutable_order();
    o->set_order_id(q.Int(1));
    o->set_round(q.Int(2));
    o->set_from_warehouse(q.Text(3));
    o->set_from_county(q.Text(4));
    o->set_to_site(q.Text(5));
    o->set_to_county(q.Text(6));
    o->set_item(q.Text(7));
    o->set_for_item(q.Text(8));
    o->set_qty(q.Int(9));
    o->set_status(q.Text(10));
    if (const auto status = ParseOrderStatus(q.Text(10))) o->set_state(ToWire(*status));
    o->set_received_qty(q.Int(11));
    o->set_reason(q.Text(12));
    o->set_updated_at_ms(q.Int(13));
    for (wire::BatchLine& line : store_.batches().Lines(q.Int(1))) *o->add_batches() = std::move(line);
  }
  return q.status();
}

nlohmann::json OrderBook::Orders(const OrderFilter& filter) {
  std::vector<std::string> binds;
  std::string sql = std::string("SELECT ") + kOrderColumns + " FROM orders o" + FilterSql(filter, &binds);
  if (!filter.status.empty()) {
    binds.push_back(filter.status);
    sql += " AND o.status = ?" + std::to_string(binds.size());
  }
  sql += " ORDER BY o.id";
  Statement& q = store_.db().Prepare(sql);
  for (size_t i = 0; i < binds.size(); ++i) q.Bind(static_cast<int>(i + 1), binds[i]);
  nlohmann::json rows = nlohmann::json::array();
  while (q.Step()) rows.push_back(WithBatches(OrderJson(q)));
  return rows;
}

nlohmann::json OrderBook::WithBatches(nlohmann::json order) {
  nlohmann::json lines = nlohmann::json::array();
  for (const wire::BatchLine& l : store_.batches().Lines(order["id"].get<int64_t>())) {
    lines.push_back({{"batch", l.batch()},
                     {"lot", l.lot().empty() ? nlohmann::json(nullptr) : nlohmann::json(l.lot())},
                     {"expires", l.expires().empty() ? nlohmann::json(nullptr) : nlohmann::json(l.expires())},
                     {"donor", l.donor().empty() ? nlohmann::json(nullptr) : nlohmann::json(l.donor())},
                     {"qty", l.qty()}});
  }
  order["batches"] = std::move(lines);
  return order;
}

nlohmann::json OrderBook::Log(const OrderFilter& filter) {
  std::vector<std::string> binds;
  std::string sql = std::string("SELECT ") + kEventColumns +
                    " FROM order_events e JOIN orders o ON o.id = e.order_id" + FilterSql(filter, &binds);
  if (!filter.status.empty()) {
    binds.push_back(filter.status);
    sql += " AND e.status = ?" + std::to_string(binds.size());
  }
  if (filter.since_ms > 0) {
    binds.push_back(std::to_string(filter.since_ms));
    sql += " AND e.at_ms >= ?" + std::to_string(binds.size());
  }
  if (filter.until_ms > 0) {
    binds.push_back(std::to_string(filter.until_ms));
    sql += " AND e.at_ms <= ?" + std::to_string(binds.size());
  }
  sql += " ORDER BY e.id";
  Statement& q = store_.db().Prepare(sql);
  for (size_t i = 0; i < binds.size(); ++i) q.Bind(static_cast<int>(i + 1), binds[i]);
  nlohmann::json rows = nlohmann::json::array();
  while (q.Step()) rows.push_back(OrderEventRow(q));
  return rows;
}

Result<nlohmann::json> OrderBook::EventsAfter(int64_t after, int64_t limit) {
  Statement& q = store_.db().Prepare(std::string("SELECT ") + kEventColumns +
                                     " FROM order_events e JOIN orders o ON o.id = e.order_id "
                                     "WHERE e.id > ?1 ORDER BY e.id LIMIT ?2");
  q.Bind(1, after).Bind(2, limit);
  nlohmann::json rows = nlohmann::json::array();
  while (q.Step()) rows.push_back(OrderEventRow(q));
  if (!q.status().ok()) return q.status();
  return rows;
}

int64_t OrderBook::LastEventId() { return store_.db().QueryInt("SELECT COALESCE(MAX(id), 0) FROM order_events"); }

int64_t OrderBook::FindEvent(int64_t order, const std::string& status, int64_t at_ms) {
  return store_.db().QueryInt(
      "SELECT COALESCE(MAX(id), 0) FROM order_events WHERE order_id = ?1 AND status = ?2 AND at_ms = ?3",
      order, status, at_ms);
}

nlohmann::json OrderBook::Explain(int64_t order_id) {
  Statement& q = store_.db().Prepare(std::string("SELECT ") + kOrderColumns + " FROM orders o WHERE id = ?1");
  q.Bind(1, order_id);
  if (!q.Step()) {
    q.Reset();
    return nullptr;
  }
  nlohmann::json order = WithBatches(OrderJson(q));
  q.Reset();
  OrderFilter this_order;
  this_order.order_id = order_id;
  order["history"] = Log(this_order);
  return order;
}

std::set<std::string> OrderBook::TakeTouchedCounties() {
  std::set<std::string> taken;
  taken.swap(touched_counties_);
  return taken;
}

}  // namespace ppe
