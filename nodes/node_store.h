// NodeStore: a county node's own SQLite store: the outbox of reports (kept until the broker
// acknowledges them, and after, as the node's journal), refusals, the link's last known state,
// the orders delivered to it and the live catalogue's changes.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/order_lifecycle.h"
#include "common/sqlite_db.h"
#include "ppe.pb.h"

namespace ppe {

struct LinkState {
  bool connected = false;
  int64_t daemon_seen_ms = 0;  // the daemon's last sign of life; stale means it is not running
  uint64_t last_ack = 0;       // highest seq the broker acknowledged
  int64_t last_ack_ms = 0;
  uint64_t recorded_head = 0;  // highest seq recorded
  int64_t refused = 0;
  int64_t clock_skew_ms = 0;  // the broker's clock minus ours, at the last welcome
  int64_t set_aside = 0;      // outbox rows that could not be read back
  // The last AdvancePast: this store's head then, the broker's, and when (0: never).
  uint64_t advanced_from = 0, advanced_to = 0;
  int64_t advanced_ms = 0;
  // Reports recorded and not yet acknowledged (never "negative": the ack may pass the head
  // for a moment, as the broker's record is ahead of this store's).
  uint64_t pending() const { return recorded_head > last_ack ? recorded_head - last_ack : 0; }
};

// An outbox row the daemon could not read back, kept as it was.
struct SetAsideRow {
  uint64_t seq = 0;
  int64_t at_ms = 0;
  std::string reason;
};

struct Refused {
  uint64_t seq = 0;
  int64_t at_ms = 0;
  std::string code, text, summary;
};

// A dispatch order naming this node's county, with the step this node queued but the broker has
// not yet confirmed (empty when none), and what it takes from which batch (the pick list, in the
// broker's order: earliest expiry first, undated last; empty from a broker that sends none).
struct NodeOrder {
  int64_t id = 0, round = 0, qty = 0, received_qty = 0, updated_ms = 0;
  std::string from_warehouse, from_county, to_site, to_county, item, for_item, status, reason;
  std::string pending_step;               // this node's last step not yet acknowledged, for people
  std::optional<OrderStep> pending;       // ... and which step it is

  std::vector<wire::BatchLine> batches;
};

// What this node last recorded for a place and item (a stock count, or a site's demand): what a
// new count is checked against, so a slip of a digit or a paper count entered late is caught.
struct LastFigure {
  int64_t quantity = 0;  // the count, or the demand's on-hand
  // When it was taken: its as_of, else when it was recorded; 0 when unknown (a figure recorded
  // before the store kept it).
  int64_t as_of_ms = 0;
  std::optional<double> daily_use;  // a demand's; none for a stock count, or when unknown
};

class NodeStore {
 public:
  static Result<std::unique_ptr<NodeStore>> Open(const std::string& path);

  // Appends reports in one transaction, in order; each gets the next seq (gap-free, from 1).
  // Returns the last seq assigned. Either all are recorded or none.
  Result<uint64_t> Append(const std::vector<wire::Report>& reports);

  // Up to `limit` reports with seq >= from, in seq order, seq filled in. A row that cannot be
  // read back is set aside durably and comes out as a placeholder (only `unreadable` set), so
  // one bad row never stalls the stream.
  Status ReadFrom(uint64_t from, size_t limit, std::vector<wire::Report>* out);
  uint64_t RecordedHead();
  // The lowest seq still in the outbox (RecordedHead() + 1 when it is empty).
  uint64_t OldestHeld();
  std::vector<SetAsideRow> SetAsideRows();
  // Deletes reports acknowledged more than keep_ms ago; the rest stay, to resend to a broker
  // restored from an older copy.
  Status PruneAcknowledged(int64_t keep_ms, int64_t now_ms);

  // Raises the acknowledged seq (never lowers it).
  Status SetAcked(uint64_t seq, int64_t now_ms);
  // Lowers it: the broker has applied only up to `seq` (its store went back to an older copy).
  Status RewindAck(uint64_t seq, int64_t now_ms);
  // The broker has applied this key's reports up to `seq`, past RecordedHead(): the store is older
  // than the broker's record of it (put back to an older copy, or two stores under one key).
  // Moves the outbox's seq past `seq`, so no new report reuses a seq the broker has applied
  // (it would be acknowledged and never applied), takes everything up to it as acknowledged, and
  // records it for 'ppe-node status'; logs an error. Nothing when `seq` <= RecordedHead().
  Status AdvancePast(uint64_t seq);
  Status SetClockSkew(int64_t skew_ms);
  Status RecordRefusal(uint64_t seq, int64_t now_ms, const std::string& code, const std::string& text);
  Status SetLink(bool connected, int64_t now_ms);
  LinkState Link();
  std::vector<Refused> Refusals(size_t limit);
  // The last stock count or demand recorded for this place and item, if any.
  std::optional<LastFigure> Last(const std::string& place, const std::string& item);

  // Stores delivered order states in delivery order, skipping what it holds and stopping at a
  // gap; returns the highest delivery seq now held (to acknowledge). Each state replaces the
  // order's batch lines with its own, as it replaces the rest of the order.
  Result<uint64_t> StoreDeliveries(const wire::OrderDelivery& delivery);
  uint64_t OrdersHeld();
  // Stores the catalogue changes that follow the ones held, in one transaction; returns the
  // version now held (the CatalogueAck). The broker's word: stored whether or not they apply.
  Result<uint64_t> StoreCatalogue(const wire::CatalogueDelivery& delivery);
  uint64_t CatalogueHeld();
  Result<std::vector<wire::CatalogueChange>> CatalogueChanges();
  std::vector<NodeOrder> Orders(bool open_only);

  SqliteDb& db() { return *db_; }

 private:
  explicit NodeStore(std::unique_ptr<SqliteDb> db) : db_(std::move(db)) {}
  Status SetAside(uint64_t seq, const std::string& payload, const std::string& reason);
  std::unique_ptr<SqliteDb> db_;
};

// One line saying what a report is, for people: "receipt sanyuan-wh mask.n95 5000 (donation)".
std::string Summarize(const wire::Report& report);
// The figure a stock count or demand leaves as the last for its place and item.
LastFigure FigureOf(const wire::Report& report);

}  // namespace ppe
