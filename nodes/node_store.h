// NodeStore: a county node's own SQLite store: the outbox of reports (kept until the broker
// acknowledges them, and after, as the node's journal), refusals, and the link's last known state.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

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
};

struct Refused {
  uint64_t seq = 0;
  int64_t at_ms = 0;
  std::string code, text, summary;
};

// A dispatch order naming this node's county, with the step this node queued but the broker has
// not yet confirmed (empty when none).
struct NodeOrder {
  int64_t id = 0, round = 0, qty = 0, received_qty = 0, updated_ms = 0;
  std::string from_warehouse, from_county, to_site, to_county, item, for_item, status, reason;
  std::string pending_step;
};

class NodeStore {
 public:
  static Result<std::unique_ptr<NodeStore>> Open(const std::string& path);

  // Appends reports in one transaction, in order; each gets the next seq (gap-free, from 1).
  // Returns the last seq assigned. Either all are recorded or none.
  Result<uint64_t> Append(const std::vector<wire::Report>& reports);

  // Up to `limit` reports with seq >= from, in seq order, seq filled in.
  Status ReadFrom(uint64_t from, size_t limit, std::vector<wire::Report>* out);
  uint64_t RecordedHead();

  Status SetAcked(uint64_t seq, int64_t now_ms);
  Status RecordRefusal(uint64_t seq, int64_t now_ms, const std::string& code, const std::string& text);
  Status SetLink(bool connected, int64_t now_ms);
  LinkState Link();
  std::vector<Refused> Refusals(size_t limit);
  // The last figure recorded for this place and item (stock count or demand on hand), if any.
  Result<int64_t> LastQuantity(const std::string& place, const std::string& item);

  // Stores delivered order states in delivery order, skipping what it holds and stopping at a
  // gap; returns the highest delivery seq now held (to acknowledge).
  Result<uint64_t> StoreDeliveries(const wire::OrderDelivery& delivery);
  uint64_t OrdersHeld();
  std::vector<NodeOrder> Orders(bool open_only);

  SqliteDb& db() { return *db_; }

 private:
  explicit NodeStore(std::unique_ptr<SqliteDb> db) : db_(std::move(db)) {}
  std::unique_ptr<SqliteDb> db_;
};

// One line saying what a report is, for people: "receipt sanyuan-wh mask.n95 5000 (donation)".
std::string Summarize(const wire::Report& report);

}  // namespace ppe
