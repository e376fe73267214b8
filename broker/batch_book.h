// BatchBook: stock held per batch (who gave it, reference, lot, expiry). Receipts make batches,
// counts adjust them by the rule of batch_picking.h, orders reserve lines, ship them and land them.
// Every change of a batch's stock is a row of batch_moves tied to its ledger event, so `check`
// can recompute each batch. All writes happen inside the store's open transaction.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "broker/batch_picking.h"
#include "common/sqlite_db.h"
#include "common/status.h"
#include "ppe.pb.h"

namespace ppe {

class BatchBook {
 public:
  explicit BatchBook(SqliteDb& db) : db_(db) {}

  // The batch a receipt makes at its warehouse (+quantity, in ledger event `event_id`).
  Status Receive(int64_t event_id, const wire::Receipt& receipt, int64_t at_ms);
  // A count `delta` away from the books: a shortfall out of named batches (ChargeShortfall), a
  // surplus as a batch of its own ("count surplus", no donor). Nothing is ever unattributed.
  Status Adjust(int64_t event_id, const std::string& warehouse, const std::string& item, int64_t delta,
                int64_t at_ms);
  // The batches of one warehouse and item that still hold stock.
  std::vector<BatchStock> Stocked(const std::string& warehouse, const std::string& item);
  // Records `lines` as order `order_id`'s and reserves them.
  Status Reserve(int64_t order_id, const std::vector<BatchTake>& lines);
  // A rejected or cancelled order's lines stop holding their batches.
  Status Release(int64_t order_id);
  // A released order whose goods left after all (a conflict): its old lines go, and Ship picks
  // what leaves from the batches on the shelf now.
  Status Forget(int64_t order_id);
  // Moves what left out of batches (ledger event `event_id`) and makes the order's lines say so:
  // each line's batch as far as it still holds the stock, the rest picked from free stock (an
  // order made before batches existed picks all of it now); only what the books lack altogether
  // takes a batch below zero.
  Status Ship(int64_t event_id, int64_t order_id, const std::string& warehouse, const std::string& item,
              int64_t qty, const std::string& today);
  // `received` units of a shipped order, over its lines by SplitReceived.
  Status Land(int64_t order_id, int64_t received);
  // The order's lines, in picking order.
  std::vector<wire::BatchLine> Lines(int64_t order_id);

 private:
  Status InsertLines(int64_t order_id, const std::vector<BatchTake>& lines);
  // A batch move in the ledger only; Move also changes the batch's figure.
  Status Record(int64_t event_id, int64_t batch, int64_t delta);
  Status Move(int64_t event_id, int64_t batch, int64_t delta);
  // A new batch holding `qty` (receipt: its details; else none), with its move; its id in *id.
  Status Create(int64_t event_id, const std::string& warehouse, const std::string& item, std::string_view origin,
                const wire::Receipt* receipt, int64_t qty, int64_t at_ms, int64_t* id = nullptr);

  SqliteDb& db_;
};

// Today's date, YYYY-MM-DD, local time: batches dated before it are expired.
std::string Today(int64_t now_ms);

}  // namespace ppe
