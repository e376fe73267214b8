#include "nodes/node_store.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "common/clock.h"

namespace ppe {
namespace {

constexpr int64_t kAckMarkEveryMs = 3600 * 1000;

const std::vector<std::string>& NodeMigrations() {
  static const std::vector<std::string> migrations = {
      R"sql(
      -- AUTOINCREMENT: a seq is never reused, and a rolled-back append leaves no gap.
      -- Kept lean (no secondary index): an import of 100,000 rows is one sequential append.
      CREATE TABLE outbox (
        seq INTEGER PRIMARY KEY AUTOINCREMENT, recorded_ms INTEGER NOT NULL,
        kind TEXT NOT NULL, place TEXT NOT NULL, payload BLOB NOT NULL);
      -- The last count or on-hand figure per place and item, for the implausible-figure check.
      CREATE TABLE last_figure (
        place TEXT NOT NULL, item TEXT NOT NULL, quantity INTEGER NOT NULL,
        PRIMARY KEY (place, item)) WITHOUT ROWID;
      CREATE TABLE link (
        id INTEGER PRIMARY KEY CHECK (id = 1), connected INTEGER NOT NULL DEFAULT 0,
        daemon_seen_ms INTEGER NOT NULL DEFAULT 0, last_ack INTEGER NOT NULL DEFAULT 0,
        last_ack_ms INTEGER NOT NULL DEFAULT 0);
      INSERT INTO link (id) VALUES (1);
      CREATE TABLE refusals (
        seq INTEGER PRIMARY KEY, at_ms INTEGER NOT NULL, code TEXT NOT NULL, text TEXT NOT NULL);
      )sql",
      R"sql(
      -- Dispatch orders naming this node's county, as the broker last delivered them.
      CREATE TABLE orders (
        id INTEGER PRIMARY KEY, round INTEGER NOT NULL, from_warehouse TEXT NOT NULL,
        from_county TEXT NOT NULL, to_site TEXT NOT NULL, to_county TEXT NOT NULL,
        item TEXT NOT NULL, for_item TEXT NOT NULL, qty INTEGER NOT NULL, status TEXT NOT NULL,
        received_qty INTEGER NOT NULL, reason TEXT NOT NULL, updated_ms INTEGER NOT NULL,
        first_seq INTEGER NOT NULL);
      ALTER TABLE link ADD COLUMN orders_held INTEGER NOT NULL DEFAULT 0;
      )sql",
      R"sql(
      -- Outbox rows the daemon could not read back (written by an older release, or damaged):
      -- kept here as they were, while the outbox row becomes a placeholder the broker refuses.
      CREATE TABLE set_aside (
        seq INTEGER PRIMARY KEY, at_ms INTEGER NOT NULL, payload BLOB NOT NULL, reason TEXT NOT NULL);
      -- The acknowledged seq as it stood at various times, so acknowledged reports are kept for
      -- keep_acked_days after their acknowledgement (to resend to a restored broker), no longer.
      CREATE TABLE ack_marks (at_ms INTEGER PRIMARY KEY, acked INTEGER NOT NULL);
      -- The broker's clock minus ours at the last welcome.
      ALTER TABLE link ADD COLUMN clock_skew_ms INTEGER NOT NULL DEFAULT 0;
      )sql",
      R"sql(
      -- The last time the broker had applied more of this key's reports than this store had
      -- recorded (AdvancePast): the head this store had, the broker's, and when.
      ALTER TABLE link ADD COLUMN advanced_from INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE link ADD COLUMN advanced_to INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE link ADD COLUMN advanced_ms INTEGER NOT NULL DEFAULT 0;
      )sql",
      R"sql(
      -- When each last figure was taken (its as_of, else when it was recorded), so counts are
      -- entered oldest first; and a demand's daily use, for the daily-use check. NULL in rows
      -- recorded before: unknown, so nothing is refused for them.
      ALTER TABLE last_figure ADD COLUMN as_of_ms INTEGER;
      ALTER TABLE last_figure ADD COLUMN daily_use REAL;
      )sql",
      R"sql(
      -- What each order takes from which batch (DispatchOrder.batches), line by line in the
      -- broker's order (earliest expiry first, undated last): the warehouse's pick list, and the
      -- trace of which donor's boxes went where. Orders stored before have none, as have orders
      -- from a broker that sends none.
      CREATE TABLE order_batches (
        order_id INTEGER NOT NULL, line INTEGER NOT NULL, batch INTEGER NOT NULL, lot TEXT NOT NULL,
        expires TEXT NOT NULL, donor TEXT NOT NULL, qty INTEGER NOT NULL,
        PRIMARY KEY (order_id, line)) WITHOUT ROWID;
      )sql",
      R"sql(
      -- The live catalogue's changes the broker delivered (CatalogueChange, as sent), gap-free
      -- from 1: the node's city is its city file with these applied, in order.
      CREATE TABLE catalogue_changes (version INTEGER PRIMARY KEY, change BLOB NOT NULL);
      )sql",
  };
  return migrations;
}

// The kind, place and quantity an operator thinks of for a report: for last_figure and the journal.
const char* PlaceOf(const wire::Report& r, std::string* place, std::string* item, int64_t* quantity) {
  switch (r.body_case()) {
    case wire::Report::kStock:
      *place = r.stock().warehouse(), *item = r.stock().item(), *quantity = r.stock().quantity();
      return "stock";
    case wire::Report::kReceipt:
      *place = r.receipt().warehouse(), *item = r.receipt().item(), *quantity = r.receipt().quantity();
      return "receipt";
    case wire::Report::kDemand:
      *place = r.demand().site(), *item = r.demand().item(), *quantity = r.demand().on_hand();
      return "demand";
    case wire::Report::kOrderStep:
      *place = "order:" + std::to_string(r.order_step().order_id()), *item = "",
      *quantity = r.order_step().quantity();
      return "order";
    case wire::Report::BODY_NOT_SET:
      break;
  }
  return "empty";
}

}  // namespace

std::string Summarize(const wire::Report& r) {
  switch (r.body_case()) {
    case wire::Report::kStock:
      return "stock " + r.stock().warehouse() + " " + r.stock().item() + " " +
             std::to_string(r.stock().quantity());
    case wire::Report::kReceipt: {
      std::string source = wire::ReceiptSource_Name(r.receipt().source());
      for (char& c : source) c = static_cast<char>(std::tolower(c));
      std::string s = "receipt " + r.receipt().warehouse() + " " + r.receipt().item() + " " +
                      std::to_string(r.receipt().quantity()) + " (" + source;
      if (!r.receipt().from().empty()) s += " from " + r.receipt().from();
      if (!r.receipt().lot().empty()) s += ", lot " + r.receipt().lot();
      if (!r.receipt().expires().empty()) s += ", expires " + r.receipt().expires();
      return s + ")";
    }
    case wire::Report::kDemand: {
      char use[32];
      std::snprintf(use, sizeof use, "%g", r.demand().daily_use());
      return "demand " + r.demand().site() + " " + r.demand().item() + " on hand " +
             std::to_string(r.demand().on_hand()) + ", daily use " + use;
    }
    case wire::Report::kOrderStep: {
      const auto& step = r.order_step();
      std::string name = wire::OrderStepKind_Name(step.step());
      for (char& c : name) c = static_cast<char>(std::tolower(c));
      std::string s = name + " order " + std::to_string(step.order_id());
      if (step.step() == wire::RECEIVE) s += " qty " + std::to_string(step.quantity());
      if (!step.reason().empty()) s += ": " + step.reason();
      return s;
    }
    case wire::Report::BODY_NOT_SET:
      break;
  }
  return "empty report";
}

LastFigure FigureOf(const wire::Report& r) {
  LastFigure figure;
  const int64_t as_of = r.has_stock() ? r.stock().as_of_ms() : r.demand().as_of_ms();
  figure.as_of_ms = as_of > 0 ? as_of : r.recorded_at_ms();
  if (r.has_stock()) figure.quantity = r.stock().quantity();
  if (r.has_demand()) {
    figure.quantity = r.demand().on_hand();
    figure.daily_use = r.demand().daily_use();
  }
  return figure;
}

Result<std::unique_ptr<NodeStore>> NodeStore::Open(const std::string& path) {
  auto db = SqliteDb::Open(path, NodeMigrations());
  if (!db.ok()) return db.status();
  return std::unique_ptr<NodeStore>(new NodeStore(std::move(*db)));
}

Result<uint64_t> NodeStore::Append(const std::vector<wire::Report>& reports) {
  PPE_RETURN_IF_ERROR(db_->Begin());
  Statement& insert = db_->Prepare(
      "INSERT INTO outbox (recorded_ms, kind, place, payload) VALUES (?1, ?2, ?3, ?4)");
  Statement& figure = db_->Prepare(
      "INSERT INTO last_figure (place, item, quantity, as_of_ms, daily_use) VALUES (?1, ?2, ?3, ?4, ?5) "
      "ON CONFLICT(place, item) DO UPDATE SET quantity = ?3, as_of_ms = ?4, daily_use = ?5");
  std::string payload, place, item;
  for (const wire::Report& report : reports) {
    int64_t quantity = 0;
    const std::string_view kind = PlaceOf(report, &place, &item, &quantity);
    report.SerializeToString(&payload);
    // The guarantee that nothing blocks the outbox: a row is written only if it reads back.
    // (A proto3 string that is not UTF-8 serializes but does not parse.)
    if (wire::Report back; !back.ParseFromString(payload)) {
      db_->Rollback();
      return Status::Error("'" + Summarize(report) + "' holds text that is not valid UTF-8; nothing was recorded");
    }
    insert.Reset().Bind(1, report.recorded_at_ms()).Bind(2, kind).Bind(3, place).BindBlob(4, payload);
    Status s = insert.Run();
    if (s.ok() && (kind == "stock" || kind == "demand")) {
      const LastFigure last = FigureOf(report);
      figure.Reset().Bind(1, place).Bind(2, item).Bind(3, quantity).Bind(4, last.as_of_ms);
      if (last.daily_use) {
        figure.Bind(5, *last.daily_use);
      } else {
        figure.BindNull(5);
      }
      s = figure.Run();
    }
    if (!s.ok()) {
      db_->Rollback();
      return s;
    }
  }
  const uint64_t last = sqlite3_last_insert_rowid(db_->raw());
  if (Status s = db_->Commit(); !s.ok()) {
    db_->Rollback();
    return s;
  }
  return last;
}

Status NodeStore::ReadFrom(uint64_t from, size_t limit, std::vector<wire::Report>* out) {
  Statement& q = db_->Prepare(
      "SELECT seq, payload, recorded_ms FROM outbox WHERE seq >= ?1 ORDER BY seq LIMIT ?2");
  q.Bind(1, static_cast<int64_t>(from)).Bind(2, static_cast<int64_t>(limit));
  struct Unreadable {
    uint64_t seq;
    std::string payload, reason;
  };
  std::vector<Unreadable> unreadable;
  while (q.Step()) {
    wire::Report report;
    const std::string payload = q.Text(1);
    if (!report.ParseFromString(payload)) {
      report.Clear();
      report.set_recorded_at_ms(q.Int(2));
      report.set_unreadable("the node could not read report " + std::to_string(q.Int(0)) +
                            " back from its outbox (" + std::to_string(payload.size()) +
                            " bytes); it is kept at the node, set aside");
      unreadable.push_back({static_cast<uint64_t>(q.Int(0)), payload, report.unreadable()});
    }
    report.set_seq(q.Int(0));
    out->push_back(std::move(report));
  }
  PPE_RETURN_IF_ERROR(q.status());
  for (const Unreadable& row : unreadable) PPE_RETURN_IF_ERROR(SetAside(row.seq, row.payload, row.reason));
  return Status::Ok();
}

// The unreadable row moves, as it was, to set_aside; in the outbox a placeholder takes its place,
// so the stream keeps its gap-free seq and the broker records the seq as refused.
Status NodeStore::SetAside(uint64_t seq, const std::string& payload, const std::string& reason) {
  wire::Report placeholder;
  placeholder.set_unreadable(reason);
  std::string bytes;
  placeholder.SerializeToString(&bytes);
  PPE_RETURN_IF_ERROR(db_->Begin());
  Statement& keep = db_->Prepare(
      "INSERT OR IGNORE INTO set_aside (seq, at_ms, payload, reason) VALUES (?1, ?2, ?3, ?4)");
  Status s = keep.Bind(1, static_cast<int64_t>(seq)).Bind(2, NowMs()).BindBlob(3, payload).Bind(4, reason).Run();
  if (s.ok()) {
    Statement& replace = db_->Prepare("UPDATE outbox SET payload = ?2 WHERE seq = ?1");
    s = replace.Bind(1, static_cast<int64_t>(seq)).BindBlob(2, bytes).Run();
  }
  if (s.ok()) s = db_->Commit();
  if (!s.ok()) {
    db_->Rollback();
    return s;
  }
  spdlog::error("outbox row {} could not be read; set aside (see 'ppe-node status'), the rest go on", seq);
  return Status::Ok();
}

std::vector<SetAsideRow> NodeStore::SetAsideRows() {
  std::vector<SetAsideRow> rows;
  Statement& q = db_->Prepare("SELECT seq, at_ms, reason FROM set_aside ORDER BY seq");
  while (q.Step()) rows.push_back({static_cast<uint64_t>(q.Int(0)), q.Int(1), q.Text(2)});
  return rows;
}

// AUTOINCREMENT's counter: the head stays where it was when acknowledged rows are pruned.
uint64_t NodeStore::RecordedHead() {
  return db_->QueryInt("SELECT COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'outbox'), 0)");
}

uint64_t NodeStore::OldestHeld() {
  const int64_t oldest = db_->QueryInt("SELECT COALESCE(MIN(seq), 0) FROM outbox");
  return oldest > 0 ? oldest : RecordedHead() + 1;
}

Status NodeStore::PruneAcknowledged(int64_t keep_ms, int64_t now_ms) {
  const int64_t cutoff = now_ms - keep_ms;
  // The highest seq that was already acknowledged at the cutoff: the newest mark before it, or
  // the current acknowledgement if that itself is older.
  const int64_t marked = db_->QueryInt(
      "SELECT MAX(acked) FROM (SELECT acked FROM ack_marks WHERE at_ms <= ?1 "
      "UNION ALL SELECT last_ack FROM link WHERE id = 1 AND last_ack_ms <= ?1)", cutoff);
  const int64_t acked = std::min<int64_t>(marked, Link().last_ack);
  if (acked <= 0) return Status::Ok();
  PPE_RETURN_IF_ERROR(db_->Begin());
  Statement& prune = db_->Prepare("DELETE FROM outbox WHERE seq <= ?1");
  Status s = prune.Bind(1, acked).Run();
  const int64_t pruned = db_->changes();
  if (s.ok()) {
    Statement& marks = db_->Prepare("DELETE FROM ack_marks WHERE at_ms < ?1");
    s = marks.Bind(1, cutoff).Run();
  }
  if (s.ok()) s = db_->Commit();
  if (!s.ok()) {
    db_->Rollback();
    return s;
  }
  if (pruned > 0) spdlog::info("pruned {} reports acknowledged before {}", pruned, FormatTime(cutoff));
  return Status::Ok();
}

Status NodeStore::SetAcked(uint64_t seq, int64_t now_ms) {
  Statement& u = db_->Prepare(
      "UPDATE link SET last_ack = ?1, last_ack_ms = ?2 WHERE id = 1 AND last_ack < ?1");
  PPE_RETURN_IF_ERROR(u.Bind(1, static_cast<int64_t>(seq)).Bind(2, now_ms).Run());
  // A mark an hour: enough to know, within the hour, what was acknowledged keep_acked_days ago.
  if (now_ms - db_->QueryInt("SELECT COALESCE(MAX(at_ms), 0) FROM ack_marks") >= kAckMarkEveryMs) {
    Statement& mark = db_->Prepare("INSERT OR REPLACE INTO ack_marks (at_ms, acked) VALUES (?1, ?2)");
    PPE_RETURN_IF_ERROR(mark.Bind(1, now_ms).Bind(2, static_cast<int64_t>(seq)).Run());
  }
  return Status::Ok();
}

Status NodeStore::RewindAck(uint64_t seq, int64_t now_ms) {
  Statement& u = db_->Prepare("UPDATE link SET last_ack = ?1, last_ack_ms = ?2 WHERE id = 1 AND last_ack > ?1");
  PPE_RETURN_IF_ERROR(u.Bind(1, static_cast<int64_t>(seq)).Bind(2, now_ms).Run());
  // Marks past the rewind would prune reports the broker no longer has.
  Statement& marks = db_->Prepare("UPDATE ack_marks SET acked = ?1 WHERE acked > ?1");
  return marks.Bind(1, static_cast<int64_t>(seq)).Run();
}

// Only seqs past the broker's are safe: one it has applied would be acknowledged and not applied.
// Moving AUTOINCREMENT's counter (sqlite_sequence) is how: the next append gets seq + 1.
Status NodeStore::AdvancePast(uint64_t seq) {
  const int64_t now_ms = NowMs();
  const auto target = static_cast<int64_t>(seq);
  PPE_RETURN_IF_ERROR(db_->Begin());
  const int64_t head = db_->QueryInt(
      "SELECT COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'outbox'), 0)");
  if (head >= target) {  // an append got there first: nothing to move
    db_->Rollback();
    return Status::Ok();
  }
  Statement& move = db_->Prepare("UPDATE sqlite_sequence SET seq = ?1 WHERE name = 'outbox'");
  Status s = move.Bind(1, target).Run();
  if (s.ok() && db_->changes() == 0) {  // nothing ever appended: no row yet
    Statement& first = db_->Prepare("INSERT INTO sqlite_sequence (name, seq) VALUES ('outbox', ?1)");
    s = first.Bind(1, target).Run();
  }
  if (s.ok()) {
    // Everything up to `seq` is the broker's: acknowledged (what this store holds there is an
    // older copy's, already applied, or another store's, which the broker would not apply).
    Statement& link = db_->Prepare(
        "UPDATE link SET last_ack = ?1, last_ack_ms = ?2, advanced_from = ?3, advanced_to = ?1, "
        "advanced_ms = ?2 WHERE id = 1");
    s = link.Bind(1, target).Bind(2, now_ms).Bind(3, head).Run();
  }
  if (s.ok()) s = db_->Commit();
  if (!s.ok()) {
    db_->Rollback();
    return s;
  }
  spdlog::error("the broker has applied reports of this node's key up to {}, but this store recorded only up "
                "to {}: it is older than the broker's record (restored from an older copy?) or another store "
                "runs under this key; new reports are numbered from {} so none is taken for one the broker "
                "has (see 'ppe-node status')",
                seq, head, seq + 1);
  return Status::Ok();
}

Status NodeStore::SetClockSkew(int64_t skew_ms) {
  Statement& u = db_->Prepare("UPDATE link SET clock_skew_ms = ?1 WHERE id = 1");
  return u.Bind(1, skew_ms).Run();
}

Status NodeStore::RecordRefusal(uint64_t seq, int64_t now_ms, const std::string& code,
                                const std::string& text) {
  Statement& u = db_->Prepare(
      "INSERT OR REPLACE INTO refusals (seq, at_ms, code, text) VALUES (?1, ?2, ?3, ?4)");
  return u.Bind(1, static_cast<int64_t>(seq)).Bind(2, now_ms).Bind(3, code).Bind(4, text).Run();
}

Status NodeStore::SetLink(bool connected, int64_t now_ms) {
  Statement& u = db_->Prepare("UPDATE link SET connected = ?1, daemon_seen_ms = ?2 WHERE id = 1");
  return u.Bind(1, static_cast<int64_t>(connected)).Bind(2, now_ms).Run();
}

namespace {
// The enum when the broker sends it; the name a broker one release older sends otherwise.
std::string StatusName(const wire::DispatchOrder& o) {
  const std::optional<OrderStatus> status = FromWire(o);
  return status ? OrderStatusName(*status) : o.status();
}
}  // namespace

Result<uint64_t> NodeStore::StoreDeliveries(const wire::OrderDelivery& delivery) {
  uint64_t held = OrdersHeld();
  const uint64_t before = held;
  PPE_RETURN_IF_ERROR(db_->Begin());
  Statement& upsert = db_->Prepare(
      "INSERT INTO orders (id, round, from_warehouse, from_county, to_site, to_county, item, "
      "for_item, qty, status, received_qty, reason, updated_ms, first_seq) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14) "
      "ON CONFLICT(id) DO UPDATE SET round = ?2, from_warehouse = ?3, from_county = ?4, to_site = ?5, "
      "to_county = ?6, item = ?7, for_item = ?8, qty = ?9, status = ?10, received_qty = ?11, "
      "reason = ?12, updated_ms = ?13");
  Statement& clear = db_->Prepare("DELETE FROM order_batches WHERE order_id = ?1");
  Statement& line = db_->Prepare(
      "INSERT INTO order_batches (order_id, line, batch, lot, expires, donor, qty) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
  for (const auto& entry : delivery.entries()) {
    if (entry.seq() <= held) continue;  // already held
    if (entry.seq() != held + 1) break;  // a gap: the broker resends from where we are
    const wire::DispatchOrder& o = entry.order();
    upsert.Reset()
        .Bind(1, static_cast<int64_t>(o.order_id())).Bind(2, static_cast<int64_t>(o.round()))
        .Bind(3, o.from_warehouse()).Bind(4, o.from_county()).Bind(5, o.to_site())
        .Bind(6, o.to_county()).Bind(7, o.item()).Bind(8, o.for_item()).Bind(9, o.qty())
        .Bind(10, StatusName(o)).Bind(11, o.received_qty()).Bind(12, o.reason())
        .Bind(13, o.updated_at_ms()).Bind(14, static_cast<int64_t>(entry.seq()));
    // The state delivered is the order's whole state: its batch lines replace the ones held, so
    // a list the broker changed (or emptied) never leaves a stale pick list behind.
    Status s = upsert.Run();
    if (s.ok()) s = clear.Reset().Bind(1, static_cast<int64_t>(o.order_id())).Run();
    for (int i = 0; s.ok() && i < o.batches_size(); ++i) {
      const wire::BatchLine& b = o.batches(i);
      s = line.Reset()
              .Bind(1, static_cast<int64_t>(o.order_id())).Bind(2, static_cast<int64_t>(i))
              .Bind(3, static_cast<int64_t>(b.batch())).Bind(4, b.lot()).Bind(5, b.expires())
              .Bind(6, b.donor()).Bind(7, b.qty())
              .Run();
    }
    if (!s.ok()) {
      db_->Rollback();
      return s;
    }
    held = entry.seq();
  }
  if (held != before) {
    Statement& u = db_->Prepare("UPDATE link SET orders_held = ?1 WHERE id = 1");
    if (Status s = u.Bind(1, static_cast<int64_t>(held)).Run(); !s.ok()) {
      db_->Rollback();
      return s;
    }
  }
  if (Status s = db_->Commit(); !s.ok()) {
    db_->Rollback();
    return s;
  }
  return held;
}

Result<uint64_t> NodeStore::StoreCatalogue(const wire::CatalogueDelivery& delivery) {
  uint64_t held = CatalogueHeld();
  PPE_RETURN_IF_ERROR(db_->Begin());
  Statement& insert = db_->Prepare("INSERT INTO catalogue_changes (version, change) VALUES (?1, ?2)");
  for (const wire::CatalogueChange& change : delivery.changes()) {
    if (change.version() <= held) continue;       // already held
    if (change.version() != held + 1) break;      // a gap: the broker resends from where we are
    Status s = insert.Reset().Bind(1, static_cast<int64_t>(change.version())).BindBlob(2, change.SerializeAsString()).Run();
    if (!s.ok()) {
      db_->Rollback();
      return s;
    }
    held = change.version();
  }
  PPE_RETURN_IF_ERROR(db_->Commit());
  return held;
}

uint64_t NodeStore::CatalogueHeld() { return db_->QueryInt("SELECT COALESCE(MAX(version), 0) FROM catalogue_changes"); }

Result<std::vector<wire::CatalogueChange>> NodeStore::CatalogueChanges() {
  std::vector<wire::CatalogueChange> changes;
  Statement& q = db_->Prepare("SELECT version, change FROM catalogue_changes ORDER BY version");
  while (q.Step()) {
    if (!changes.emplace_back().ParseFromString(q.Text(1))) {
      const int64_t version = q.Int(0);
      q.Reset();
      return Status::Error("catalogue change " + std::to_string(version) + " in this node's store cannot be read");
    }
  }
  Status s = q.status();
  q.Reset();
  if (!s.ok()) return s;
  return changes;
}

uint64_t NodeStore::OrdersHeld() { return db_->QueryInt("SELECT orders_held FROM link WHERE id = 1"); }

std::vector<NodeOrder> NodeStore::Orders(bool open_only) {
  std::vector<NodeOrder> rows;
  Statement& q = db_->Prepare(
      "SELECT o.id, o.round, o.from_warehouse, o.from_county, o.to_site, o.to_county, o.item, "
      "o.for_item, o.qty, o.status, o.received_qty, o.reason, o.updated_ms, "
      "(SELECT x.payload FROM outbox x WHERE x.seq > (SELECT last_ack FROM link WHERE id = 1) "
      " AND x.kind = 'order' AND x.place = 'order:' || o.id ORDER BY x.seq DESC LIMIT 1) "
      "FROM orders o WHERE ?1 = 0 OR o.status IN " + OpenStatusesSql() + " ORDER BY o.id");
  q.Bind(1, static_cast<int64_t>(open_only));
  while (q.Step()) {
    NodeOrder o;
    o.id = q.Int(0);
    o.round = q.Int(1);
    o.from_warehouse = q.Text(2);
    o.from_county = q.Text(3);
    o.to_site = q.Text(4);
    o.to_county = q.Text(5);
    o.item = q.Text(6);
    o.for_item = q.Text(7);
    o.qty = q.Int(8);
    o.status = q.Text(9);
    o.received_qty = q.Int(10);
    o.reason = q.Text(11);
    o.updated_ms = q.Int(12);
    if (!q.IsNull(13)) {
      wire::Report pending;
      if (pending.ParseFromString(q.Text(13))) {
        o.pending_step = Summarize(pending);
        if (pending.has_order_step()) o.pending = FromWire(pending.order_step().step());
      }
    }
    rows.push_back(std::move(o));
  }
  // After the orders query is done, not nested in it: one primary-key lookup per order.
  Statement& lines = db_->Prepare(
      "SELECT batch, lot, expires, donor, qty FROM order_batches WHERE order_id = ?1 ORDER BY line");
  for (NodeOrder& o : rows) {
    lines.Reset().Bind(1, o.id);
    while (lines.Step()) {
      wire::BatchLine& b = o.batches.emplace_back();
      b.set_batch(static_cast<uint64_t>(lines.Int(0)));
      b.set_lot(lines.Text(1));
      b.set_expires(lines.Text(2));
      b.set_donor(lines.Text(3));
      b.set_qty(lines.Int(4));
    }
  }
  return rows;
}

LinkState NodeStore::Link() {
  LinkState state;
  Statement& q = db_->Prepare(
      "SELECT connected, daemon_seen_ms, last_ack, last_ack_ms, "
      "COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'outbox'), 0), "
      "(SELECT COUNT(*) FROM refusals), clock_skew_ms, (SELECT COUNT(*) FROM set_aside), "
      "advanced_from, advanced_to, advanced_ms "
      "FROM link WHERE id = 1");
  if (q.Step()) {
    state.connected = q.Int(0) != 0;
    state.daemon_seen_ms = q.Int(1);
    state.last_ack = q.Int(2);
    state.last_ack_ms = q.Int(3);
    state.recorded_head = q.Int(4);
    state.refused = q.Int(5);
    state.clock_skew_ms = q.Int(6);
    state.set_aside = q.Int(7);
    state.advanced_from = q.Int(8);
    state.advanced_to = q.Int(9);
    state.advanced_ms = q.Int(10);
  }
  q.Reset();
  return state;
}

std::vector<Refused> NodeStore::Refusals(size_t limit) {
  std::vector<Refused> rows;
  Statement& q = db_->Prepare(
      "SELECT r.seq, r.at_ms, r.code, r.text, o.payload FROM refusals r "
      "LEFT JOIN outbox o ON o.seq = r.seq ORDER BY r.seq DESC LIMIT ?1");
  q.Bind(1, static_cast<int64_t>(limit));
  while (q.Step()) {
    wire::Report report;
    const std::string summary = !q.IsNull(4) && report.ParseFromString(q.Text(4)) ? Summarize(report) : "";
    rows.push_back({static_cast<uint64_t>(q.Int(0)), q.Int(1), q.Text(2), q.Text(3), summary});
  }
  return rows;
}

std::optional<LastFigure> NodeStore::Last(const std::string& place, const std::string& item) {
  Statement& q = db_->Prepare(
      "SELECT quantity, COALESCE(as_of_ms, 0), daily_use FROM last_figure WHERE place = ?1 AND item = ?2");
  q.Bind(1, place).Bind(2, item);
  std::optional<LastFigure> last;
  if (q.Step()) {
    last = LastFigure{q.Int(0), q.Int(1), std::nullopt};
    if (!q.IsNull(2)) last->daily_use = q.Real(2);
  }
  q.Reset();
  return last;
}

}  // namespace ppe
