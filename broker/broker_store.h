// BrokerStore: the broker's SQLite database: current stock and demand, the event ledger, orders and
// each node's progress. Writes happen only between Begin() and Commit(); a commit is on disk.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <memory>
#include <string>
#include <vector>

#include "broker/batch_book.h"
#include "broker/trusted_demand.h"
#include "common/report_validator.h"
#include "common/sqlite_db.h"
#include "ppe.pb.h"

namespace ppe {

// What the broker knows of one node's report stream.
struct NodeProgress {
  std::string node;
  std::string county;
  uint64_t last_seq = 0;       // every report up to here is applied or refused, durably
  uint64_t recorded_head = 0;  // the node's own highest seq, from its last hello or heartbeat
  int64_t last_contact_ms = 0;
  int64_t refused = 0;
};

// Who applied a report, and when: the ledger keeps both for every event.
struct ReportOrigin {
  std::string node;
  uint64_t seq = 0;
  int64_t recorded_ms = 0;  // when the operator recorded it
  int64_t applied_ms = 0;   // when the broker applied it
  bool confirmed = false;   // the operator confirmed an implausible figure
};

struct StockRow {
  std::string warehouse, item;
  int64_t on_hand = 0, reserved = 0;
};

struct DemandRow {
  std::string site, item;
  int64_t on_hand = 0;
  double daily_use = 0;  // as reported
  int64_t in_transit = 0;
  int64_t as_of_ms = 0;  // when the count was taken
  UseObservation observed;
};

// A count dated further ahead of the broker's clock than this is refused (OUT_OF_ORDER); a little
// ahead is taken as "now": the node refuses a time ahead of its own clock, which may run fast.
inline constexpr int64_t kCountClockSlackMs = 24 * 3600 * 1000;

// The current figures, read through any connection to the store (the broker's, or the round
// read service's own, read-only). Reserved stock is what open orders hold; in transit, per for_item.
std::vector<StockRow> ReadStock(SqliteDb& db);
std::vector<DemandRow> ReadDemand(SqliteDb& db);

class BrokerStore {
 public:
  // Refuses a store that PRAGMA quick_check finds damaged, saying what it found and what to do.
  static Result<std::unique_ptr<BrokerStore>> Open(const std::string& path);
  // A second connection to a store the broker has opened, for reading only (the read service's
  // thread): no check, no node progress of its own; set_progress gives it the loop's.
  static Result<std::unique_ptr<BrokerStore>> OpenReader(const std::string& path);
  void set_progress(std::map<std::string, NodeProgress> progress) { progress_ = std::move(progress); }

  // The progress of `node`, created (in memory until the next commit) if never seen.
  NodeProgress& Progress(const std::string& node, const std::string& county);
  const std::map<std::string, NodeProgress>& progress() const { return progress_; }

  // Folds the WAL into the database without waiting for readers (the broker calls it between
  // cycles; commits never checkpoint by themselves).
  Status Checkpoint();
  Status Begin();
  // Writes the progress of every node touched in this batch, then commits.
  Status Commit();
  // Discards the batch, and the in-memory progress with it.
  void Rollback();
  // Called after every commit that succeeded, whoever made it (a cycle, ppe-ctl, the broker's
  // start): the fault injection of docs/operations.md hangs here.
  void set_after_commit(std::function<void()> hook) { after_commit_ = std::move(hook); }

  Status ApplyStockCount(const ReportOrigin& origin, const wire::StockCount& count);
  // Whether `receipt` may be applied to the stock as it stands in this batch: refused
  // (BAD_QUANTITY) when it would take the warehouse's stock of the item past kMaxWarehouseStock,
  // so no sum of stock or ledger deltas can wrap. Call it before ApplyReceipt, which applies.
  Refusal CheckReceipt(const wire::Receipt& receipt);
  Status ApplyReceipt(const ReportOrigin& origin, const wire::Receipt& receipt);
  // A count with as_of_ms (--as-of) also gets back what moved at the place after it was taken.
  Status ApplyDemand(const ReportOrigin& origin, const wire::Demand& demand);
  // Refuses (OUT_OF_ORDER) a count dated in the future or before the last count of the same place
  // and item; a count without a date is taken when recorded and always in order.
  Refusal CheckCountTime(const wire::Report& report, const ReportOrigin& origin);
  // The daily use last reported for `site` and `item`.
  std::optional<double> LastDailyUse(const std::string& site, const std::string& item);
  Status RecordRefusal(const ReportOrigin& origin, wire::ErrorCode code, const std::string& text);
  // The last count (warehouse) or on-hand (site) figure reported for `place` and `item`.
  std::optional<int64_t> LastFigure(const std::string& place, const std::string& item);
  // Reports first_seq..last_seq of `node` will never arrive: no node holds them any more.
  Status RecordLostReports(const NodeProgress& node, uint64_t first_seq, uint64_t last_seq, int64_t now_ms);
  // Dispatch movements (the order book records the matching ledger events).
  Status MoveStock(const std::string& warehouse, const std::string& item, int64_t delta, int64_t now_ms);
  Status LandAtSite(const std::string& site, const std::string& item, int64_t qty, int64_t now_ms);
  Status AppendEvent(const ReportOrigin& origin, std::string_view kind, const std::string& place,
                     const std::string& item, int64_t quantity, int64_t delta,
                     const std::string& detail);

  std::vector<StockRow> Stock();
  std::vector<DemandRow> Demand();
  int64_t EventCount();

  SqliteDb& db() { return *db_; }
  BatchBook& batches() { return batches_; }
  // The id of the event AppendEvent wrote last (batch moves name it).
  int64_t last_event_id() const { return last_event_id_; }

 private:
  explicit BrokerStore(std::unique_ptr<SqliteDb> db) : db_(std::move(db)), batches_(*db_) {}
  Status LoadProgress();
  Status SetLastFigure(const std::string& place, const std::string& item, int64_t quantity, int64_t as_of_ms);
  // The event just appended is a figure its operator confirmed past the 100x guard (for alerts).
  Status NoteConfirmedFigure();
  // A warehouse's figure as this transaction has it (in stock_), or as stored outside one.
  int64_t OnHand(const std::string& warehouse, const std::string& item);
  struct PendingStock {
    int64_t on_hand = 0;
    int64_t updated_ms = 0;
    bool moved = false;  // only read (a refused receipt's check): nothing to write
  };
  PendingStock& Touch(const std::string& warehouse, const std::string& item);
  Status WriteStock();  // at Commit, before the COMMIT
  // When a count was taken: its as_of, else when recorded; never after the broker applied it.
  static int64_t CountTime(const ReportOrigin& origin, int64_t as_of_ms);
  // What shipments and landings recorded after `since_ms` moved at `place`.
  int64_t MovedSince(const std::string& place, const std::string& item, int64_t since_ms);
  // What receipts recorded after `since_ms` brought to `warehouse` (found through receipt_marks).
  int64_t ReceivedSince(const std::string& warehouse, const std::string& item, int64_t since_ms);
  int64_t LandedBetween(const std::string& site, const std::string& item, int64_t after_ms, int64_t until_ms);

  std::unique_ptr<SqliteDb> db_;
  BatchBook batches_;
  int64_t last_event_id_ = 0;
  std::map<std::string, NodeProgress> progress_;
  std::map<std::string, bool> touched_;
  // The figures this transaction changed, written at Commit and dropped at Rollback; only the
  // loop's thread writes stock, so no other connection needs them before the commit.
  std::map<std::pair<std::string, std::string>, PendingStock> stock_;
  // The latest recorded_ms of any receipt applied (at least), and the last receipt of this
  // transaction: its commit writes them as a receipt mark (migration 10).
  int64_t receipts_recorded_max_ = 0;
  int64_t unmarked_receipt_ = 0;
  std::string receipt_detail_;  // ApplyReceipt's, kept for its buffer
  std::function<void()> after_commit_;
};

// The schema, one migration per release; never edit a shipped one, append a new one.
const std::vector<std::string>& BrokerMigrations();

}  // namespace ppe
