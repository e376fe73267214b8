#include "broker/batch_book.h"

#include <algorithm>

#include "common/clock.h"

namespace ppe {

std::string Today(int64_t now_ms) { return FormatTime(now_ms).substr(0, 10); }

Status BatchBook::Move(int64_t event_id, int64_t batch, int64_t delta) {
  Statement& move = db_.Prepare("INSERT INTO batch_moves (batch, event_id, delta) VALUES (?1, ?2, ?3)");
  PPE_RETURN_IF_ERROR(move.Bind(1, batch).Bind(2, event_id).Bind(3, delta).Run());
  Statement& update = db_.Prepare("UPDATE batches SET on_hand = on_hand + ?2 WHERE id = ?1");
  return update.Bind(1, batch).Bind(2, delta).Run();
}

Status BatchBook::Create(int64_t event_id, const std::string& warehouse, const std::string& item,
                         std::string_view origin, const wire::Receipt* receipt, int64_t qty, int64_t at_ms,
                         int64_t* id) {
  Statement& insert = db_.Prepare(
      "INSERT INTO batches (warehouse, item, origin, source, donor, reference, lot, expires, received, "
      "on_hand, reserved, received_ms, event_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9, 0, ?10, ?11)");
  // Every text lives until Run below returns: bound in place, as a receipt makes a batch each.
  const std::string_view none = "";  // not a null pointer: that would bind NULL
  insert.BindInPlace(1, warehouse).BindInPlace(2, item).BindInPlace(3, origin);
  insert.BindInPlace(4, receipt ? std::string_view(wire::ReceiptSource_Name(receipt->source())) : none);
  insert.BindInPlace(5, receipt ? std::string_view(receipt->from()) : none);
  insert.BindInPlace(6, receipt ? std::string_view(receipt->reference()) : none);
  insert.BindInPlace(7, receipt ? std::string_view(receipt->lot()) : none);
  insert.BindInPlace(8, receipt ? std::string_view(receipt->expires()) : none);
  insert.Bind(9, qty).Bind(10, at_ms).Bind(11, event_id);
  PPE_RETURN_IF_ERROR(insert.Run());
  const int64_t batch = sqlite3_last_insert_rowid(db_.raw());
  if (id) *id = batch;
  if (qty > 0) {  // one made empty (the unbooked batch a shipment charges) never holds stock
    Shelf& shelf = ShelfOf(warehouse, item);
    shelf.push_back(batch);
    made_.push_back(&shelf);
  }
  return Status::Ok();
}

Status BatchBook::Receive(int64_t event_id, const wire::Receipt& r, int64_t at_ms) {
  return Create(event_id, r.warehouse(), r.item(), "receipt", &r, r.quantity(), at_ms);
}

Status BatchBook::Adjust(int64_t event_id, const std::string& warehouse, const std::string& item, int64_t delta,
                         int64_t at_ms) {
  if (delta > 0) return Create(event_id, warehouse, item, "surplus", nullptr, delta, at_ms);
  std::vector<BatchStock> batches = Stocked(warehouse, item);
  for (const BatchTake& take : ChargeShortfall(batches, -delta)) {
    PPE_RETURN_IF_ERROR(Move(event_id, take.batch, -take.qty));
  }
  return Status::Ok();
}

Status BatchBook::Load() {
  shelves_.clear();
  Begin();
  Statement& q = db_.Prepare("SELECT warehouse, item, id FROM batches WHERE on_hand > 0 ORDER BY id");
  while (q.Step()) ShelfOf(q.Text(0), q.Text(1)).push_back(q.Int(2));
  return q.status();
}

BatchBook::Shelf& BatchBook::ShelfOf(const std::string& warehouse, const std::string& item) {
  const auto it = shelves_.find(PlaceView{warehouse, item});
  if (it != shelves_.end()) return it->second;
  return shelves_.try_emplace({warehouse, item}).first->second;
}

void BatchBook::Begin() {
  made_.clear();
  emptied_.clear();
}

void BatchBook::Committed() {
  std::sort(emptied_.begin(), emptied_.end());
  for (auto from = emptied_.begin(); from != emptied_.end();) {
    const auto to = std::find_if(from, emptied_.end(), [&](const auto& e) { return e.first != from->first; });
    std::erase_if(*from->first, [&](int64_t id) {
      return std::binary_search(from, to, std::make_pair(from->first, id));
    });
    from = to;
  }
  Begin();
}

void BatchBook::RolledBack() {
  // Ids only grow, so this transaction's batches are the last on their shelves.
  for (auto made = made_.rbegin(); made != made_.rend(); ++made) (*made)->pop_back();
  Begin();
}

std::vector<BatchStock> BatchBook::Stocked(const std::string& warehouse, const std::string& item) {
  std::vector<BatchStock> batches;
  const auto shelf = shelves_.find(PlaceView{warehouse, item});
  if (shelf == shelves_.end()) return batches;
  Statement& q = db_.Prepare("SELECT expires, on_hand, reserved FROM batches WHERE id = ?1");
  for (const int64_t id : shelf->second) {
    q.Reset().Bind(1, id);
    if (!q.Step()) continue;
    if (q.Int(1) > 0) {
      batches.push_back({id, q.Text(0), q.Int(1), q.Int(2)});
    } else {
      emptied_.emplace_back(&shelf->second, id);
    }
  }
  q.Reset();
  return batches;
}

Status BatchBook::InsertLines(int64_t order_id, const std::vector<BatchTake>& lines) {
  Statement& insert = db_.Prepare("INSERT INTO order_lines (order_id, batch, qty) VALUES (?1, ?2, ?3)");
  for (const BatchTake& line : lines) {
    PPE_RETURN_IF_ERROR(insert.Reset().Bind(1, order_id).Bind(2, line.batch).Bind(3, line.qty).Run());
  }
  return Status::Ok();
}

Status BatchBook::Reserve(int64_t order_id, const std::vector<BatchTake>& lines) {
  PPE_RETURN_IF_ERROR(InsertLines(order_id, lines));
  Statement& hold = db_.Prepare("UPDATE batches SET reserved = reserved + ?2 WHERE id = ?1");
  for (const BatchTake& line : lines) PPE_RETURN_IF_ERROR(hold.Reset().Bind(1, line.batch).Bind(2, line.qty).Run());
  return Status::Ok();
}

Status BatchBook::Release(int64_t order_id) {
  Statement& release = db_.Prepare(
      "UPDATE batches SET reserved = reserved - (SELECT SUM(l.qty) FROM order_lines l WHERE l.order_id = ?1 "
      "AND l.batch = batches.id) WHERE id IN (SELECT batch FROM order_lines WHERE order_id = ?1)");
  return release.Bind(1, order_id).Run();
}

Status BatchBook::Forget(int64_t order_id) {
  return db_.Prepare("DELETE FROM order_lines WHERE order_id = ?1").Bind(1, order_id).Run();
}

Status BatchBook::Ship(int64_t event_id, int64_t order_id, const std::string& warehouse, const std::string& item,
                       int64_t qty, const std::string& today) {
  Statement& q = db_.Prepare("SELECT batch, qty FROM order_lines WHERE order_id = ?1 ORDER BY id");
  q.Bind(1, order_id);
  std::vector<BatchTake> held;
  while (q.Step()) held.push_back({q.Int(0), q.Int(1)});
  q.Reset();
  Statement& unhold = db_.Prepare("UPDATE batches SET reserved = reserved - ?2 WHERE id = ?1");
  for (const BatchTake& line : held) PPE_RETURN_IF_ERROR(unhold.Reset().Bind(1, line.batch).Bind(2, line.qty).Run());
  // What left, by batch. Each line's batch gives what it still holds free of other orders (a count
  // may have found less than the order held); what it lacks comes from the free stock by the picking
  // rule; what the books lack altogether is charged to the last line, or to a batch of the unknown,
  // so every unit that left has a batch and none goes below zero while another has stock.
  std::vector<BatchStock> batches = Stocked(warehouse, item);
  std::vector<BatchTake> shipped;
  auto add = [&shipped](int64_t batch, int64_t n) {
    const auto same = std::find_if(shipped.begin(), shipped.end(), [&](const BatchTake& t) { return t.batch == batch; });
    if (same != shipped.end()) {
      same->qty += n;
    } else {
      shipped.push_back({batch, n});
    }
  };
  int64_t lacking = held.empty() ? qty : 0;
  for (const BatchTake& line : held) {
    const auto b = std::find_if(batches.begin(), batches.end(), [&](const BatchStock& s) { return s.id == line.batch; });
    const int64_t take = b == batches.end() ? 0 : std::clamp<int64_t>(b->free(), 0, line.qty);
    if (take > 0) {
      b->on_hand -= take;
      add(line.batch, take);
    }
    lacking += line.qty - take;
  }
  for (const BatchTake& more : PickForOrder(batches, lacking, today)) {
    add(more.batch, more.qty);
    lacking -= more.qty;
  }
  if (lacking > 0) {
    int64_t last = !shipped.empty() ? shipped.back().batch : !held.empty() ? held.back().batch : 0;
    if (last == 0) PPE_RETURN_IF_ERROR(Create(event_id, warehouse, item, "unbooked", nullptr, 0, 0, &last));
    add(last, lacking);
  }
  PPE_RETURN_IF_ERROR(db_.Prepare("DELETE FROM order_lines WHERE order_id = ?1").Bind(1, order_id).Run());
  PPE_RETURN_IF_ERROR(InsertLines(order_id, shipped));
  for (const BatchTake& line : shipped) PPE_RETURN_IF_ERROR(Move(event_id, line.batch, -line.qty));
  return Status::Ok();
}

Status BatchBook::Land(int64_t order_id, int64_t received) {
  Statement& q = db_.Prepare("SELECT batch, qty FROM order_lines WHERE order_id = ?1 ORDER BY id");
  q.Bind(1, order_id);
  std::vector<int64_t> batches, qty;
  while (q.Step()) {
    batches.push_back(q.Int(0));
    qty.push_back(q.Int(1));
  }
  q.Reset();
  const std::vector<int64_t> got = SplitReceived(qty, received);
  Statement& update = db_.Prepare("UPDATE order_lines SET received = ?3 WHERE order_id = ?1 AND batch = ?2");
  for (size_t i = 0; i < batches.size(); ++i) {
    PPE_RETURN_IF_ERROR(update.Reset().Bind(1, order_id).Bind(2, batches[i]).Bind(3, got[i]).Run());
  }
  return Status::Ok();
}

std::vector<wire::BatchLine> BatchBook::Lines(int64_t order_id) {
  Statement& q = db_.Prepare(
      "SELECT l.batch, b.lot, b.expires, b.donor, l.qty FROM order_lines l JOIN batches b ON b.id = l.batch "
      "WHERE l.order_id = ?1 ORDER BY l.id");
  q.Bind(1, order_id);
  std::vector<wire::BatchLine> lines;
  while (q.Step()) {
    wire::BatchLine line;
    line.set_batch(static_cast<uint64_t>(q.Int(0)));
    line.set_lot(q.Text(1));
    line.set_expires(q.Text(2));
    line.set_donor(q.Text(3));
    line.set_qty(q.Int(4));
    lines.push_back(std::move(line));
  }
  return lines;
}

}  // namespace ppe
