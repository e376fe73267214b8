// BatchBook: stock held per batch (who gave it, reference, lot, expiry). Receipts make batches,
// counts adjust them by the rule of batch_picking.h, orders reserve lines, ship them and land them.
// A batch is its `received` plus a batch_moves row tied to its ledger event for every later change,
// so `check` can recompute each batch. All writes happen inside the store's open transaction.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "broker/batch_picking.h"
#include "common/sqlite_db.h"
#include "common/status.h"
#include "ppe.pb.h"

namespace ppe {

class BatchBook {
 public:
  explicit BatchBook(SqliteDb& db) : db_(db) {}

  // Which batches hold stock, per warehouse and item, read once at start: the broker is the only
  // writer, so from then on it knows, and a receipt costs no index entry to be found by picking.
  Status Load();
  // The store's transaction began, committed or rolled back: what memory knows follows it.
  void Begin();
  void Committed();
  void RolledBack();

  // The batch a receipt makes at its warehouse (+quantity, in ledger event `event_id`).
  Status Receive(int64_t event_id, const wire::Receipt& receipt, int64_t at_ms);
  // A count `delta` away from the books: a shortfall out of named batches (ChargeShortfall), a
  // surplus as a batch of its own ("count surplus", no donor). Nothing is ever unattributed.
  Status Adjust(int64_t event_id, const std::string& warehouse, const std::string& item, int64_t delta,
                int64_t at_ms);
  // The batches of one warehouse and item that still hold stock, oldest first.
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
  // A change of a batch's figure, in batch_moves under ledger event `event_id`.
  Status Move(int64_t event_id, int64_t batch, int64_t delta);
  // A new batch holding `qty` (receipt: its details; else none), on its shelf; its id in *id.
  Status Create(int64_t event_id, const std::string& warehouse, const std::string& item, std::string_view origin,
                const wire::Receipt* receipt, int64_t qty, int64_t at_ms, int64_t* id = nullptr);

  // Shelves are keyed by (warehouse, item) and found by views of them: no copy per receipt.
  using PlaceView = std::pair<std::string_view, std::string_view>;
  struct PlaceOrder {
    using is_transparent = void;
    static PlaceView View(const std::pair<std::string, std::string>& p) { return {p.first, p.second}; }
    static PlaceView View(const PlaceView& p) { return p; }
    template <typename A, typename B>
    bool operator()(const A& a, const B& b) const { return View(a) < View(b); }
  };
  using Shelf = std::vector<int64_t>;  // batch ids, ascending
  Shelf& ShelfOf(const std::string& warehouse, const std::string& item);

  SqliteDb& db_;
  // Every batch holding stock is on its shelf; so, until the commit, are those this transaction
  // emptied (a rollback would refill them). Batches only ever lose stock after they are made.
  std::map<std::pair<std::string, std::string>, Shelf, PlaceOrder> shelves_;
  std::vector<Shelf*> made_;                        // this transaction's new batches, in order
  std::vector<std::pair<Shelf*, int64_t>> emptied_;  // found empty in this transaction
};

// Today's date, YYYY-MM-DD, local time: batches dated before it are expired.
std::string Today(int64_t now_ms);

}  // namespace ppe
