#include "broker/broker_store.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <tuple>

#include "broker/trusted_demand.h"
#include "common/clock.h"
#include "common/text_encoding.h"

namespace ppe {

const std::vector<std::string>& BrokerMigrations() {
  static const std::vector<std::string> migrations = {
      // 1: the report spine.
      R"sql(
      CREATE TABLE nodes (
        node TEXT PRIMARY KEY, county TEXT NOT NULL,
        last_seq INTEGER NOT NULL DEFAULT 0, recorded_head INTEGER NOT NULL DEFAULT 0,
        last_contact_ms INTEGER NOT NULL DEFAULT 0, refused INTEGER NOT NULL DEFAULT 0);
      CREATE TABLE stock (
        warehouse TEXT NOT NULL, item TEXT NOT NULL, on_hand INTEGER NOT NULL,
        updated_ms INTEGER NOT NULL, PRIMARY KEY (warehouse, item)) WITHOUT ROWID;
      CREATE TABLE demand (
        site TEXT NOT NULL, item TEXT NOT NULL, on_hand INTEGER NOT NULL,
        daily_use REAL NOT NULL, as_of_ms INTEGER NOT NULL,
        PRIMARY KEY (site, item)) WITHOUT ROWID;
      -- The ledger: every applied change, in order. delta is the change to `place`'s stock.
      CREATE TABLE events (
        id INTEGER PRIMARY KEY, at_ms INTEGER NOT NULL, recorded_ms INTEGER NOT NULL,
        node TEXT NOT NULL, seq INTEGER NOT NULL, kind TEXT NOT NULL, place TEXT NOT NULL,
        item TEXT NOT NULL, quantity INTEGER NOT NULL, delta INTEGER NOT NULL, detail TEXT);
      CREATE TABLE refusals (
        node TEXT NOT NULL, seq INTEGER NOT NULL, at_ms INTEGER NOT NULL,
        code TEXT NOT NULL, text TEXT NOT NULL, PRIMARY KEY (node, seq));
      )sql",
      // 2: allocation rounds and dispatch orders.
      R"sql(
      CREATE TABLE rounds (
        round INTEGER PRIMARY KEY, at_ms INTEGER NOT NULL, by TEXT NOT NULL,
        orders INTEGER NOT NULL);
      CREATE TABLE orders (
        id INTEGER PRIMARY KEY, round INTEGER NOT NULL,
        from_warehouse TEXT NOT NULL, from_county TEXT NOT NULL,
        to_site TEXT NOT NULL, to_county TEXT NOT NULL,
        item TEXT NOT NULL, for_item TEXT NOT NULL, qty INTEGER NOT NULL,
        status TEXT NOT NULL, received_qty INTEGER,
        tier INTEGER NOT NULL, days_before REAL NOT NULL, days_after REAL NOT NULL,
        distance_km REAL NOT NULL, reason TEXT NOT NULL,
        created_ms INTEGER NOT NULL, updated_ms INTEGER NOT NULL, note TEXT);
      CREATE INDEX orders_open ON orders (status);
      -- Every step of every order, for the dispatch log.
      CREATE TABLE order_events (
        id INTEGER PRIMARY KEY, order_id INTEGER NOT NULL, at_ms INTEGER NOT NULL,
        status TEXT NOT NULL, who TEXT NOT NULL, qty INTEGER, note TEXT);
      CREATE INDEX order_events_order ON order_events (order_id);
      -- Each county node's delivery queue: seq is per county and gap-free.
      CREATE TABLE deliveries (
        county TEXT NOT NULL, seq INTEGER NOT NULL, order_id INTEGER NOT NULL,
        PRIMARY KEY (county, seq)) WITHOUT ROWID;
      CREATE TABLE delivery_acks (county TEXT PRIMARY KEY, acked INTEGER NOT NULL);
      )sql",
      // 3: what reserved stock and in-transit demand are summed by, so a snapshot of the city
      // stays linear in its size however many orders accumulate.
      R"sql(
      CREATE INDEX orders_from ON orders (from_warehouse, item, status);
      CREATE INDEX orders_to ON orders (to_site, for_item, status);
      -- The few figures operators confirmed, for alerts, without scanning the ledger.
      CREATE INDEX events_confirmed ON events (at_ms)
        WHERE json_extract(detail, '$.confirmed') = 1;
      )sql",
      // 4: reports no node holds any more (the broker's store went back further than the nodes
      // keep acknowledged reports): each range is said, never skipped in silence.
      R"sql(
      CREATE TABLE lost_reports (
        node TEXT NOT NULL, county TEXT NOT NULL, first_seq INTEGER NOT NULL,
        last_seq INTEGER NOT NULL, at_ms INTEGER NOT NULL, PRIMARY KEY (node, first_seq));
      -- The last count or on-hand figure reported per place and item, for the broker's own
      -- implausible-figure check (the node's is only a courtesy to its operator).
      CREATE TABLE last_figures (
        place TEXT NOT NULL, item TEXT NOT NULL, quantity INTEGER NOT NULL,
        PRIMARY KEY (place, item)) WITHOUT ROWID;
      INSERT INTO last_figures SELECT warehouse, item, on_hand FROM stock;
      INSERT OR REPLACE INTO last_figures SELECT site, item, on_hand FROM demand;
      )sql",
      // 5: trusted demand. Every site count with the time it was taken (the history seeded from
      // the ledger), what the last pair of counts a day apart showed the site used, and the last
      // committed round's account of every site, for `explain --site`.
      R"sql(
      ALTER TABLE demand ADD COLUMN observed TEXT NOT NULL DEFAULT 'none';
      ALTER TABLE last_figures ADD COLUMN as_of_ms INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE demand ADD COLUMN observed_daily_use REAL NOT NULL DEFAULT 0;
      CREATE TABLE site_counts (
        site TEXT NOT NULL, item TEXT NOT NULL, as_of_ms INTEGER NOT NULL, on_hand INTEGER NOT NULL,
        PRIMARY KEY (site, item, as_of_ms)) WITHOUT ROWID;
      INSERT OR REPLACE INTO site_counts SELECT place, item, recorded_ms, quantity FROM events
        WHERE kind = 'demand';
      -- What moved stock at a place, by when it was recorded: what a count taken earlier missed.
      CREATE INDEX events_moves ON events (place, item, recorded_ms)
        WHERE kind IN ('receipt', 'ship', 'landed');
      CREATE TABLE round_sites (
        site TEXT NOT NULL, item TEXT NOT NULL, round INTEGER NOT NULL, tier INTEGER NOT NULL,
        on_hand INTEGER NOT NULL, in_transit INTEGER NOT NULL, reported REAL NOT NULL,
        ceiling REAL, observed REAL, used REAL NOT NULL, set_by TEXT NOT NULL,
        stale INTEGER NOT NULL, inconsistent INTEGER NOT NULL, as_of_ms INTEGER NOT NULL,
        days_before REAL, days_after REAL, granted INTEGER NOT NULL, outcome TEXT NOT NULL,
        pool_ran_out_at REAL, PRIMARY KEY (site, item)) WITHOUT ROWID;
      )sql",
      // 6: stock per batch. What each warehouse held becomes one opening batch per item, with no
      // donor (below zero too, when orders shipped more than was counted: the books must agree); every later change of a batch is a batch_moves row tied to its ledger event (0 for
      // the opening). Orders hold their batches through order_lines, in picking order.
      R"sql(
      CREATE TABLE batches (
        id INTEGER PRIMARY KEY, warehouse TEXT NOT NULL, item TEXT NOT NULL,
        origin TEXT NOT NULL, source TEXT NOT NULL, donor TEXT NOT NULL, reference TEXT NOT NULL,
        lot TEXT NOT NULL, expires TEXT NOT NULL, received INTEGER NOT NULL, on_hand INTEGER NOT NULL,
        reserved INTEGER NOT NULL, received_ms INTEGER NOT NULL, event_id INTEGER NOT NULL);
      CREATE INDEX batches_place ON batches (warehouse, item);
      -- Most receipts name no donor or reference: only those that do cost an index entry.
      CREATE INDEX batches_donor ON batches (donor) WHERE donor != '';
      CREATE INDEX batches_reference ON batches (reference) WHERE reference != '';
      -- Dated stock still held: what expiry alerts and the snapshot's expired stock read, however
      -- many undated receipts the history holds.
      CREATE INDEX batches_dated ON batches (expires) WHERE expires != '' AND on_hand > 0;
      -- Keyed by batch: a new batch's moves append at the end of the tree.
      CREATE TABLE batch_moves (
        batch INTEGER NOT NULL, event_id INTEGER NOT NULL, delta INTEGER NOT NULL,
        PRIMARY KEY (batch, event_id)) WITHOUT ROWID;
      CREATE TABLE order_lines (
        id INTEGER PRIMARY KEY, order_id INTEGER NOT NULL, batch INTEGER NOT NULL,
        qty INTEGER NOT NULL, received INTEGER);
      CREATE INDEX order_lines_order ON order_lines (order_id);
      CREATE INDEX order_lines_batch ON order_lines (batch);
      INSERT INTO batches (warehouse, item, origin, source, donor, reference, lot, expires, received,
                           on_hand, reserved, received_ms, event_id)
        SELECT warehouse, item, 'opening', '', '', '', '', '', on_hand, on_hand, 0, updated_ms, 0
        FROM stock WHERE on_hand != 0;
      INSERT INTO batch_moves (batch, event_id, delta) SELECT id, 0, on_hand FROM batches;
      )sql",
      // 7: the two ledger indexes every receipt paid for, made cheap. SQLite evaluated the old
      // partial-index condition `kind IN (...)` by building a list for each insert (1.6 us of a
      // receipt's ~9); confirmed figures were found by parsing every event's JSON on insert.
      R"sql(
      DROP INDEX events_moves;
      CREATE INDEX events_moves ON events (place, item, recorded_ms)
        WHERE kind = 'receipt' OR kind = 'ship' OR kind = 'landed';
      -- The few figures operators confirmed past the 100x guard, for alerts.
      CREATE TABLE confirmed_figures (event_id INTEGER PRIMARY KEY);
      INSERT INTO confirmed_figures SELECT id FROM events WHERE json_extract(detail, '$.confirmed') = 1;
      DROP INDEX events_confirmed;
      )sql",
      // 8: steps that contradicted what physically happened (a reject after the goods left, a
      // receipt of a cancelled order), each resolved by the goods and kept for the coordinator.
      R"sql(
      CREATE TABLE order_conflicts (
        id INTEGER PRIMARY KEY, order_id INTEGER NOT NULL, at_ms INTEGER NOT NULL,
        step TEXT NOT NULL, who TEXT NOT NULL, note TEXT NOT NULL);
      )sql",
      // 9: the live catalogue (broker/catalogue_book.h): the city file it was last seeded from
      // (as `catalogue --yaml` writes it) at its version, and every change since, with who, when,
      // what it found and what it left; `change` is the change as nodes get it.
      R"sql(
      CREATE TABLE catalogue_seed (
        id INTEGER PRIMARY KEY CHECK (id = 1), yaml TEXT NOT NULL, version INTEGER NOT NULL,
        file TEXT NOT NULL, at_ms INTEGER NOT NULL);
      CREATE TABLE catalogue_changes (
        version INTEGER PRIMARY KEY, at_ms INTEGER NOT NULL, by TEXT NOT NULL, kind TEXT NOT NULL,
        subject TEXT NOT NULL, before TEXT NOT NULL, after TEXT NOT NULL, reason TEXT NOT NULL,
        change BLOB NOT NULL);
      )sql",
      // 10: a receipt writes its ledger row and its batch row, no index entry besides (each cost
      // more than 1 us of the 4 a receipt may take at 250,000 reports/s). Picking finds a
      // warehouse's stocked batches in the broker's memory (batch_book.h), so batches_place goes;
      // a count dated earlier finds the receipts recorded since through receipt_marks, so
      // events_moves keeps shipments and landings only; a batch's creation is its `received`, so
      // batch_moves keeps only what changed a batch after it was made.
      R"sql(
      DROP INDEX batches_place;
      -- No receipt with an id up to event_id was recorded after recorded_max (recorded_ms: the
      -- node's clock, in no order across nodes). One row per commit that applied receipts.
      CREATE TABLE receipt_marks (
        recorded_max INTEGER NOT NULL, event_id INTEGER NOT NULL,
        PRIMARY KEY (recorded_max, event_id)) WITHOUT ROWID;
      INSERT INTO receipt_marks (recorded_max, event_id)
        SELECT MAX(running), MAX(id) FROM (
          SELECT id, MAX(recorded_ms) OVER (ORDER BY id) AS running FROM events WHERE kind = 'receipt')
        GROUP BY id / 4096;
      DROP INDEX events_moves;
      CREATE INDEX events_moves ON events (place, item, recorded_ms) WHERE kind = 'ship' OR kind = 'landed';
      DELETE FROM batch_moves WHERE (batch, event_id) IN (SELECT id, event_id FROM batches WHERE received != 0);
      )sql",
  };
  return migrations;
}

namespace {

// The ledger's detail of a receipt, in *detail (its buffer reused). Most receipts name no donor:
// their detail is a constant, which keeps JSON building and allocation off the hot path.
void ReceiptDetail(const wire::Receipt& receipt, std::string* detail) {
  if (receipt.from().empty() && receipt.reference().empty() && receipt.lot().empty() && receipt.expires().empty()) {
    detail->assign("{\"source\":\"").append(wire::ReceiptSource_Name(receipt.source())).append("\"}");
    return;
  }
  nlohmann::json json = {{"source", wire::ReceiptSource_Name(receipt.source())}};
  if (!receipt.from().empty()) json["from"] = receipt.from();
  if (!receipt.reference().empty()) json["reference"] = receipt.reference();
  if (!receipt.lot().empty()) json["lot"] = receipt.lot();
  if (!receipt.expires().empty()) json["expires"] = receipt.expires();
  *detail = json.dump();
}

}  // namespace

// The broker acknowledges what it stores, and the nodes then forget it after keep_acked_days: a
// damaged store that kept running would lose reports for good. So it is checked before anything
// is written to it, and refused whole; the fix is a restore, which the nodes then top up.
Result<std::unique_ptr<BrokerStore>> BrokerStore::Open(const std::string& path) {
  auto check = SqliteDb::QuickCheck(path, 20);
  if (!check.ok()) return check.status();
  if (!check->problems.empty()) {
    std::string found;
    for (size_t i = 0; i < check->problems.size() && i < 5; ++i) found += (i ? "; " : "") + check->problems[i];
    if (check->problems.size() > 5) found += "; ...";
    return Status::Error("the store '" + path + "' is damaged: PRAGMA quick_check over its " +
                         std::to_string(check->pages) + " pages found " +
                         (check->problems.size() >= 20 ? "20 or more" : std::to_string(check->problems.size())) +
                         " problem(s): " + found +
                         ". The broker will not run on it: restore the last backup (docs/operations.md); "
                         "the nodes resend what they still hold.");
  }
  auto db = SqliteDb::Open(path, BrokerMigrations());
  if (!db.ok()) return db.status();
  std::unique_ptr<BrokerStore> store(new BrokerStore(std::move(*db)));
  PPE_RETURN_IF_ERROR(store->db_->Exec("PRAGMA wal_autocheckpoint=0"));
  PPE_RETURN_IF_ERROR(store->LoadProgress());
  PPE_RETURN_IF_ERROR(store->batches_.Load());
  store->receipts_recorded_max_ = store->db_->QueryInt("SELECT COALESCE(MAX(recorded_max), 0) FROM receipt_marks");
  return store;
}

Result<std::unique_ptr<BrokerStore>> BrokerStore::OpenReader(const std::string& path) {
  auto db = SqliteDb::Open(path, BrokerMigrations());
  if (!db.ok()) return db.status();
  return std::unique_ptr<BrokerStore>(new BrokerStore(std::move(*db)));
}

Status BrokerStore::LoadProgress() {
  progress_.clear();
  touched_.clear();
  Statement& q = db_->Prepare(
      "SELECT node, county, last_seq, recorded_head, last_contact_ms, refused FROM nodes");
  while (q.Step()) {
    NodeProgress p;
    p.node = q.Text(0);
    p.county = q.Text(1);
    p.last_seq = q.Int(2);
    p.recorded_head = q.Int(3);
    p.last_contact_ms = q.Int(4);
    p.refused = q.Int(5);
    progress_[p.node] = p;
  }
  return q.status();
}

NodeProgress& BrokerStore::Progress(const std::string& node, const std::string& county) {
  touched_[node] = true;
  NodeProgress& p = progress_[node];
  if (p.node.empty()) {
    p.node = node;
    p.county = county;
  }
  return p;
}

Status BrokerStore::Begin() {
  batches_.Begin();
  return db_->Begin();
}

Status BrokerStore::Checkpoint() { return db_->Exec("PRAGMA wal_checkpoint(PASSIVE)"); }

Status BrokerStore::Commit() {
  Status written = WriteStock();
  if (written.ok() && unmarked_receipt_ != 0) {
    written = db_->Prepare("INSERT OR IGNORE INTO receipt_marks (recorded_max, event_id) VALUES (?1, ?2)")
                 .Bind(1, receipts_recorded_max_).Bind(2, unmarked_receipt_).Run();
  }
  if (!written.ok()) {
    Rollback();
    return written;
  }
  Statement& save = db_->Prepare(
      "INSERT INTO nodes (node, county, last_seq, recorded_head, last_contact_ms, refused) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT(node) DO UPDATE SET county = ?2, "
      "last_seq = ?3, recorded_head = ?4, last_contact_ms = ?5, refused = ?6");
  for (const auto& [node, unused] : touched_) {
    const NodeProgress& p = progress_[node];
    save.Reset()
        .Bind(1, p.node)
        .Bind(2, p.county)
        .Bind(3, static_cast<int64_t>(p.last_seq))
        .Bind(4, static_cast<int64_t>(p.recorded_head))
        .Bind(5, p.last_contact_ms)
        .Bind(6, p.refused);
    Status status = save.Run();
    if (!status.ok()) {
      Rollback();
      return status;
    }
  }
  Status status = db_->Commit();
  if (!status.ok()) {
    Rollback();
    return status;
  }
  touched_.clear();
  unmarked_receipt_ = 0;
  batches_.Committed();
  if (after_commit_) after_commit_();
  return Status::Ok();
}

void BrokerStore::Rollback() {
  stock_.clear();
  unmarked_receipt_ = 0;  // receipts_recorded_max_ may stay higher: a mark above the truth still holds
  db_->Rollback();
  batches_.RolledBack();
  LoadProgress();
}

Status BrokerStore::AppendEvent(const ReportOrigin& origin, std::string_view kind,
                                const std::string& place, const std::string& item,
                                int64_t quantity, int64_t delta, const std::string& detail) {
  Statement& insert = db_->Prepare(
      "INSERT INTO events (at_ms, recorded_ms, node, seq, kind, place, item, quantity, delta, "
      "detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)");
  // Every text lives until Run below returns: bound in place (once per report, the copies counted).
  insert.Bind(1, origin.applied_ms)
      .Bind(2, origin.recorded_ms)
      .BindInPlace(3, origin.node)
      .Bind(4, static_cast<int64_t>(origin.seq))
      .BindInPlace(5, kind)
      .BindInPlace(6, place)
      .BindInPlace(7, item)
      .Bind(8, quantity)
      .Bind(9, delta);
  if (detail.empty()) {
    insert.BindNull(10);
  } else {
    insert.BindInPlace(10, detail);
  }
  PPE_RETURN_IF_ERROR(insert.Run());
  last_event_id_ = sqlite3_last_insert_rowid(db_->raw());
  return Status::Ok();
}

// A count replaces the books' figure; the ledger records the difference as an adjustment. A count
// taken earlier than it was recorded did not see what moved since: that is added back, so a
// receipt typed before yesterday's paper count is neither lost nor counted twice.
Status BrokerStore::ApplyStockCount(const ReportOrigin& origin, const wire::StockCount& count) {
  const int64_t before = OnHand(count.warehouse(), count.item());
  const int64_t as_of = CountTime(origin, count.as_of_ms());
  const int64_t since = count.as_of_ms() > 0 ? ReceivedSince(count.warehouse(), count.item(), as_of) +
                                                   MovedSince(count.warehouse(), count.item(), as_of)
                                             : 0;
  PPE_RETURN_IF_ERROR(MoveStock(count.warehouse(), count.item(), count.quantity() + since - before, origin.applied_ms));
  PPE_RETURN_IF_ERROR(SetLastFigure(count.warehouse(), count.item(), count.quantity(), as_of));
  nlohmann::json detail = nlohmann::json::object();
  if (origin.confirmed) detail["confirmed"] = true;
  if (count.as_of_ms() > 0) detail["as_of_ms"] = as_of;
  if (since != 0) detail["moved_since"] = since;
  PPE_RETURN_IF_ERROR(AppendEvent(origin, "count", count.warehouse(), count.item(), count.quantity(),
                                  count.quantity() + since - before, detail.empty() ? "" : detail.dump()));
  if (origin.confirmed) PPE_RETURN_IF_ERROR(NoteConfirmedFigure());
  return batches_.Adjust(last_event_id_, count.warehouse(), count.item(), count.quantity() + since - before,
                         origin.applied_ms);
}

int64_t BrokerStore::CountTime(const ReportOrigin& origin, int64_t as_of_ms) {
  // A count cannot be taken in the future: a node clock that runs ahead (its status says so)
  // would otherwise keep the figure looking fresh for as long as it is ahead.
  return std::min(as_of_ms > 0 ? as_of_ms : origin.recorded_ms, origin.applied_ms);
}

// Word for word the condition of the partial index events_moves (migration 10): SQLite uses the
// index only when a query repeats it.
constexpr std::string_view kMovesIndexed = "(kind = 'ship' OR kind = 'landed')";

// The ledger after the last mark that no receipt before it was recorded later than since_ms: from
// there on, in id order, whatever the order of the nodes' clocks. Normally the last few cycles.
int64_t BrokerStore::ReceivedSince(const std::string& warehouse, const std::string& item, int64_t since_ms) {
  return db_->QueryInt(
      "SELECT COALESCE(SUM(delta), 0) FROM events WHERE id > COALESCE((SELECT event_id FROM receipt_marks "
      "WHERE recorded_max <= ?3 ORDER BY recorded_max DESC, event_id DESC LIMIT 1), 0) "
      "AND kind = 'receipt' AND place = ?1 AND item = ?2 AND recorded_ms > ?3",
      warehouse, item, since_ms);
}

int64_t BrokerStore::MovedSince(const std::string& place, const std::string& item, int64_t since_ms) {
  return db_->QueryInt(
      "SELECT COALESCE(SUM(delta), 0) FROM events WHERE place = ?1 AND item = ?2 AND recorded_ms > ?3 "
      "AND " + std::string(kMovesIndexed),
      place, item, since_ms);
}

int64_t BrokerStore::LandedBetween(const std::string& site, const std::string& item, int64_t after_ms,
                                   int64_t until_ms) {
  return db_->QueryInt(
      "SELECT COALESCE(SUM(delta), 0) FROM events WHERE place = ?1 AND item = ?2 AND recorded_ms > ?3 "
      "AND recorded_ms <= ?4 AND " + std::string(kMovesIndexed),
      site, item, after_ms, until_ms);
}

Refusal BrokerStore::CheckCountTime(const wire::Report& report, const ReportOrigin& origin) {
  std::string place, item;
  int64_t as_of_ms = 0;
  if (report.has_stock()) {
    place = report.stock().warehouse(), item = report.stock().item(), as_of_ms = report.stock().as_of_ms();
  } else if (report.has_demand()) {
    place = report.demand().site(), item = report.demand().item(), as_of_ms = report.demand().as_of_ms();
  } else {
    return {};
  }
  if (as_of_ms == 0) return {};  // counted when recorded: the stream's own order is the order
  if (as_of_ms < 0 || as_of_ms > origin.applied_ms + kCountClockSlackMs) {
    return {wire::OUT_OF_ORDER, "the count of " + EscapeControl(place) + " " + EscapeControl(item) +
                                    " is dated " + FormatTime(as_of_ms) +
                                    ", in the future; a count can only be recorded for a time that has passed"};
  }
  Statement& q = db_->Prepare("SELECT as_of_ms FROM last_figures WHERE place = ?1 AND item = ?2");
  q.Bind(1, place).Bind(2, item);
  const int64_t previous = q.Step() ? q.Int(0) : 0;
  q.Reset();
  const int64_t taken = CountTime(origin, as_of_ms);
  if (taken >= previous) return {};
  return {wire::OUT_OF_ORDER, "the count of " + EscapeControl(place) + " " + EscapeControl(item) + " taken " +
                                  FormatTime(taken) + " is older than the one already recorded (taken " +
                                  FormatTime(previous) + "); counts must be entered oldest first"};
}

std::optional<double> BrokerStore::LastDailyUse(const std::string& site, const std::string& item) {
  Statement& q = db_->Prepare("SELECT daily_use FROM demand WHERE site = ?1 AND item = ?2");
  q.Bind(1, site).Bind(2, item);
  std::optional<double> use;
  if (q.Step()) use = q.Real(0);
  q.Reset();
  return use;
}

Refusal BrokerStore::CheckReceipt(const wire::Receipt& receipt) {
  const int64_t before = OnHand(receipt.warehouse(), receipt.item());
  // Both within bounds (the quantity by the validator, kMaxQuantity), so the sum cannot wrap; a
  // negative `before` (stock moved out by orders) is no risk.
  const int64_t qty = receipt.quantity();
  if (qty >= 0 && qty <= kMaxQuantity && before <= kMaxWarehouseStock - qty) return {};
  return {wire::BAD_QUANTITY, "a receipt of " + std::to_string(receipt.quantity()) + " would take the stock of " +
                                  EscapeControl(receipt.item()) + " at " + EscapeControl(receipt.warehouse()) +
                                  " from " + std::to_string(before) + " past " +
                                  std::to_string(kMaxWarehouseStock) +
                                  " units, the most one warehouse may hold; count the stock instead "
                                  "(a count replaces the figure)"};
}

Status BrokerStore::ApplyReceipt(const ReportOrigin& origin, const wire::Receipt& receipt) {
  PPE_RETURN_IF_ERROR(MoveStock(receipt.warehouse(), receipt.item(), receipt.quantity(), origin.applied_ms));
  ReceiptDetail(receipt, &receipt_detail_);
  PPE_RETURN_IF_ERROR(AppendEvent(origin, "receipt", receipt.warehouse(), receipt.item(), receipt.quantity(),
                                  receipt.quantity(), receipt_detail_));
  receipts_recorded_max_ = std::max(receipts_recorded_max_, origin.recorded_ms);
  unmarked_receipt_ = last_event_id_;
  return batches_.Receive(last_event_id_, receipt, origin.applied_ms);
}

// The site's count as of when it was taken, plus what landed there after that time (the count did
// not see it); the pair of this count and the latest one a day or more before it gives the observed use.
Status BrokerStore::ApplyDemand(const ReportOrigin& origin, const wire::Demand& demand) {
  const int64_t as_of = CountTime(origin, demand.as_of_ms());
  const int64_t landed_since = demand.as_of_ms() > 0 ? MovedSince(demand.site(), demand.item(), as_of) : 0;
  Statement& earlier = db_->Prepare(
      "SELECT as_of_ms, on_hand FROM site_counts WHERE site = ?1 AND item = ?2 AND as_of_ms <= ?3 "
      "ORDER BY as_of_ms DESC LIMIT 1");
  earlier.Bind(1, demand.site()).Bind(2, demand.item()).Bind(3, as_of - kObservationSpanMs);
  UseObservation observation;
  if (earlier.Step()) {
    const int64_t from_ms = earlier.Int(0), from_on_hand = earlier.Int(1);
    earlier.Reset();
    observation = ObserveUse(from_on_hand, LandedBetween(demand.site(), demand.item(), from_ms, as_of),
                             demand.on_hand(), as_of - from_ms);
  }
  earlier.Reset();
  Statement& write = db_->Prepare(
      "INSERT INTO demand (site, item, on_hand, daily_use, as_of_ms, observed, observed_daily_use) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT(site, item) DO UPDATE SET on_hand = ?3, "
      "daily_use = ?4, as_of_ms = ?5, observed = ?6, observed_daily_use = ?7");
  write.Bind(1, demand.site()).Bind(2, demand.item()).Bind(3, demand.on_hand() + landed_since);
  write.Bind(4, demand.daily_use()).Bind(5, as_of).Bind(6, ObservedUseName(observation.state));
  write.Bind(7, observation.daily_use);
  PPE_RETURN_IF_ERROR(write.Run());
  Statement& history = db_->Prepare(
      "INSERT OR REPLACE INTO site_counts (site, item, as_of_ms, on_hand) VALUES (?1, ?2, ?3, ?4)");
  PPE_RETURN_IF_ERROR(history.Bind(1, demand.site()).Bind(2, demand.item()).Bind(3, as_of)
                          .Bind(4, demand.on_hand()).Run());
  PPE_RETURN_IF_ERROR(SetLastFigure(demand.site(), demand.item(), demand.on_hand(), as_of));
  nlohmann::json detail = {{"daily_use", demand.daily_use()}};
  if (origin.confirmed) detail["confirmed"] = true;
  if (demand.as_of_ms() > 0) detail["as_of_ms"] = as_of;
  // The books keep what landed after the count was taken: the ledger check adds delta back.
  PPE_RETURN_IF_ERROR(AppendEvent(origin, "demand", demand.site(), demand.item(), demand.on_hand(), landed_since,
                                  detail.dump()));
  return origin.confirmed ? NoteConfirmedFigure() : Status::Ok();
}

Status BrokerStore::NoteConfirmedFigure() {
  return db_->Prepare("INSERT INTO confirmed_figures (event_id) VALUES (?1)").Bind(1, last_event_id_).Run();
}

// Inside a transaction the figure changes in memory (stock_) and is written once, at Commit: a
// cycle's thousands of receipts into a dozen warehouses were as many upserts of the same rows.
Status BrokerStore::MoveStock(const std::string& warehouse, const std::string& item, int64_t delta,
                              int64_t now_ms) {
  if (sqlite3_get_autocommit(db_->raw())) {
    Statement& write = db_->Prepare(
        "INSERT INTO stock (warehouse, item, on_hand, updated_ms) VALUES (?1, ?2, ?3, ?4) "
        "ON CONFLICT(warehouse, item) DO UPDATE SET on_hand = on_hand + ?3, updated_ms = ?4");
    return write.Bind(1, warehouse).Bind(2, item).Bind(3, delta).Bind(4, now_ms).Run();
  }
  PendingStock& figure = Touch(warehouse, item);
  figure.on_hand += delta;
  figure.updated_ms = now_ms;
  figure.moved = true;
  return Status::Ok();
}

int64_t BrokerStore::OnHand(const std::string& warehouse, const std::string& item) {
  if (!sqlite3_get_autocommit(db_->raw())) return Touch(warehouse, item).on_hand;
  return db_->QueryInt("SELECT on_hand FROM stock WHERE warehouse = ?1 AND item = ?2", warehouse, item);
}

BrokerStore::PendingStock& BrokerStore::Touch(const std::string& warehouse, const std::string& item) {
  auto [it, fresh] = stock_.try_emplace({warehouse, item});
  if (fresh) {
    Statement& read = db_->Prepare("SELECT on_hand, updated_ms FROM stock WHERE warehouse = ?1 AND item = ?2");
    read.Bind(1, warehouse).Bind(2, item);
    if (read.Step()) it->second = {read.Int(0), read.Int(1), false};
    read.Reset();
  }
  return it->second;
}

Status BrokerStore::WriteStock() {
  Statement& write = db_->Prepare(
      "INSERT INTO stock (warehouse, item, on_hand, updated_ms) VALUES (?1, ?2, ?3, ?4) "
      "ON CONFLICT(warehouse, item) DO UPDATE SET on_hand = ?3, updated_ms = ?4");
  for (const auto& [place, figure] : stock_) {
    if (!figure.moved) continue;
    PPE_RETURN_IF_ERROR(
        write.Reset().Bind(1, place.first).Bind(2, place.second).Bind(3, figure.on_hand).Bind(4, figure.updated_ms).Run());
  }
  stock_.clear();
  return Status::Ok();
}

Status BrokerStore::LandAtSite(const std::string& site, const std::string& item, int64_t qty,
                               int64_t now_ms) {
  Statement& write = db_->Prepare(
      "INSERT INTO demand (site, item, on_hand, daily_use, as_of_ms) VALUES (?1, ?2, ?3, 0, ?4) "
      "ON CONFLICT(site, item) DO UPDATE SET on_hand = on_hand + ?3");
  return write.Bind(1, site).Bind(2, item).Bind(3, qty).Bind(4, now_ms).Run();
}

Status BrokerStore::SetLastFigure(const std::string& place, const std::string& item, int64_t quantity,
                                  int64_t as_of_ms) {
  Statement& upsert = db_->Prepare(
      "INSERT INTO last_figures (place, item, quantity, as_of_ms) VALUES (?1, ?2, ?3, ?4) "
      "ON CONFLICT(place, item) DO UPDATE SET quantity = ?3, as_of_ms = ?4");
  return upsert.Bind(1, place).Bind(2, item).Bind(3, quantity).Bind(4, as_of_ms).Run();
}

std::optional<int64_t> BrokerStore::LastFigure(const std::string& place, const std::string& item) {
  Statement& q = db_->Prepare("SELECT quantity FROM last_figures WHERE place = ?1 AND item = ?2");
  q.Bind(1, place).Bind(2, item);
  std::optional<int64_t> figure;
  if (q.Step()) figure = q.Int(0);
  q.Reset();
  return figure;
}

Status BrokerStore::RecordLostReports(const NodeProgress& node, uint64_t first_seq, uint64_t last_seq,
                                      int64_t now_ms) {
  Statement& insert = db_->Prepare(
      "INSERT OR REPLACE INTO lost_reports (node, county, first_seq, last_seq, at_ms) "
      "VALUES (?1, ?2, ?3, ?4, ?5)");
  return insert.Bind(1, node.node).Bind(2, node.county).Bind(3, static_cast<int64_t>(first_seq))
      .Bind(4, static_cast<int64_t>(last_seq)).Bind(5, now_ms).Run();
}

Status BrokerStore::RecordRefusal(const ReportOrigin& origin, wire::ErrorCode code,
                                  const std::string& text) {
  Statement& insert = db_->Prepare(
      "INSERT OR REPLACE INTO refusals (node, seq, at_ms, code, text) VALUES (?1, ?2, ?3, ?4, ?5)");
  insert.Bind(1, origin.node).Bind(2, static_cast<int64_t>(origin.seq)).Bind(3, origin.applied_ms);
  insert.Bind(4, wire::ErrorCode_Name(code)).Bind(5, text);
  return insert.Run();
}

namespace {

// Sums of open orders by (place, item), in that order: merged into rows sorted the same way, which
// costs one pass over the open orders instead of one index probe per row.
struct OpenSum {
  std::string place, item;
  int64_t qty = 0;
};

std::vector<OpenSum> OpenSums(SqliteDb& db, const std::string& sql) {
  std::vector<OpenSum> sums;
  Statement& q = db.Prepare(sql);
  while (q.Step()) sums.push_back({q.Text(0), q.Text(1), q.Int(2)});
  return sums;
}

template <typename Row, typename Place, typename Set>
void MergeOpenSums(std::vector<Row>& rows, const std::vector<OpenSum>& sums, Place place, Set set) {
  size_t next = 0;
  for (Row& row : rows) {
    const auto key = std::tie(place(row), row.item);
    while (next < sums.size() && std::tie(sums[next].place, sums[next].item) < key) ++next;
    if (next < sums.size() && std::tie(sums[next].place, sums[next].item) == key) set(row, sums[next].qty);
  }
}

}  // namespace

// BINARY collation orders text like std::string's operator<, so SQL's ORDER BY and the merge agree.
std::vector<StockRow> ReadStock(SqliteDb& db) {
  std::vector<StockRow> rows;
  Statement& q = db.Prepare("SELECT warehouse, item, on_hand FROM stock ORDER BY warehouse, item");
  while (q.Step()) rows.push_back({q.Text(0), q.Text(1), q.Int(2), 0});
  MergeOpenSums(rows,
                OpenSums(db, "SELECT from_warehouse, item, SUM(qty) FROM orders WHERE status IN ('created', "
                             "'accepted') GROUP BY from_warehouse, item ORDER BY from_warehouse, item"),
                [](const StockRow& r) -> const std::string& { return r.warehouse; },
                [](StockRow& r, int64_t qty) { r.reserved = qty; });
  return rows;
}

std::vector<DemandRow> ReadDemand(SqliteDb& db) {
  std::vector<DemandRow> rows;
  Statement& q = db.Prepare(
      "SELECT site, item, on_hand, daily_use, as_of_ms, observed, observed_daily_use FROM demand "
      "ORDER BY site, item");
  while (q.Step()) {
    rows.push_back({q.Text(0), q.Text(1), q.Int(2), q.Real(3), 0, q.Int(4),
                    {ObservedUseFromName(q.Text(5)), q.Real(6)}});
  }
  MergeOpenSums(rows,
                OpenSums(db, "SELECT to_site, for_item, SUM(qty) FROM orders WHERE status IN ('created', "
                             "'accepted', 'shipped') GROUP BY to_site, for_item ORDER BY to_site, for_item"),
                [](const DemandRow& r) -> const std::string& { return r.site; },
                [](DemandRow& r, int64_t qty) { r.in_transit = qty; });
  return rows;
}

std::vector<StockRow> BrokerStore::Stock() { return ReadStock(*db_); }
std::vector<DemandRow> BrokerStore::Demand() { return ReadDemand(*db_); }

// Events are never deleted, so the highest id is the count, found without a scan of the ledger
// (a COUNT(*) of a million events made restarts slow).
int64_t BrokerStore::EventCount() { return db_->QueryInt("SELECT COALESCE(MAX(id), 0) FROM events"); }

}  // namespace ppe
