#include "broker/broker_store.h"

#include <nlohmann/json.hpp>

#include <algorithm>

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
  };
  return migrations;
}

namespace {

// The ledger's detail of a receipt. Most receipts name no donor: their detail is a constant,
// which keeps JSON building off the hot path of a large import.
std::string ReceiptDetail(const wire::Receipt& receipt) {
  if (receipt.from().empty() && receipt.reference().empty()) {
    return "{\"source\":\"" + wire::ReceiptSource_Name(receipt.source()) + "\"}";
  }
  nlohmann::json detail = {{"source", wire::ReceiptSource_Name(receipt.source())}};
  if (!receipt.from().empty()) detail["from"] = receipt.from();
  if (!receipt.reference().empty()) detail["reference"] = receipt.reference();
  return detail.dump();
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
  return store;
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

Status BrokerStore::Begin() { return db_->Begin(); }

Status BrokerStore::Checkpoint() { return db_->Exec("PRAGMA wal_checkpoint(PASSIVE)"); }

Status BrokerStore::Commit() {
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
  if (after_commit_) after_commit_();
  return Status::Ok();
}

void BrokerStore::Rollback() {
  db_->Rollback();
  LoadProgress();
}

Status BrokerStore::AppendEvent(const ReportOrigin& origin, std::string_view kind,
                                const std::string& place, const std::string& item,
                                int64_t quantity, int64_t delta, const std::string& detail) {
  Statement& insert = db_->Prepare(
      "INSERT INTO events (at_ms, recorded_ms, node, seq, kind, place, item, quantity, delta, "
      "detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)");
  insert.Bind(1, origin.applied_ms)
      .Bind(2, origin.recorded_ms)
      .Bind(3, origin.node)
      .Bind(4, static_cast<int64_t>(origin.seq))
      .Bind(5, kind)
      .Bind(6, place)
      .Bind(7, item)
      .Bind(8, quantity)
      .Bind(9, delta);
  if (detail.empty()) {
    insert.BindNull(10);
  } else {
    insert.Bind(10, detail);
  }
  return insert.Run();
}

// A count replaces the books' figure; the ledger records the difference as an adjustment.
Status BrokerStore::ApplyStockCount(const ReportOrigin& origin, const wire::StockCount& count) {
  Statement& read = db_->Prepare("SELECT on_hand FROM stock WHERE warehouse = ?1 AND item = ?2");
  read.Bind(1, count.warehouse()).Bind(2, count.item());
  const int64_t before = read.Step() ? read.Int(0) : 0;
  PPE_RETURN_IF_ERROR(read.status());
  read.Reset();
  Statement& write = db_->Prepare(
      "INSERT INTO stock (warehouse, item, on_hand, updated_ms) VALUES (?1, ?2, ?3, ?4) "
      "ON CONFLICT(warehouse, item) DO UPDATE SET on_hand = ?3, updated_ms = ?4");
  write.Bind(1, count.warehouse()).Bind(2, count.item()).Bind(3, count.quantity());
  write.Bind(4, origin.applied_ms);
  PPE_RETURN_IF_ERROR(write.Run());
  PPE_RETURN_IF_ERROR(SetLastFigure(count.warehouse(), count.item(), count.quantity()));
  return AppendEvent(origin, "count", count.warehouse(), count.item(), count.quantity(),
                     count.quantity() - before,
                     origin.confirmed ? nlohmann::json{{"confirmed", true}}.dump() : "");
}

Refusal BrokerStore::CheckReceipt(const wire::Receipt& receipt) {
  Statement& read = db_->Prepare("SELECT on_hand FROM stock WHERE warehouse = ?1 AND item = ?2");
  read.Bind(1, receipt.warehouse()).Bind(2, receipt.item());
  const int64_t before = read.Step() ? read.Int(0) : 0;
  read.Reset();
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
  return AppendEvent(origin, "receipt", receipt.warehouse(), receipt.item(), receipt.quantity(),
                     receipt.quantity(), ReceiptDetail(receipt));
}

Status BrokerStore::ApplyDemand(const ReportOrigin& origin, const wire::Demand& demand) {
  Statement& write = db_->Prepare(
      "INSERT INTO demand (site, item, on_hand, daily_use, as_of_ms) VALUES (?1, ?2, ?3, ?4, ?5) "
      "ON CONFLICT(site, item) DO UPDATE SET on_hand = ?3, daily_use = ?4, as_of_ms = ?5");
  write.Bind(1, demand.site()).Bind(2, demand.item()).Bind(3, demand.on_hand());
  // A count cannot be taken in the future: a node clock that runs ahead (its status says so)
  // would otherwise keep the figure looking fresh for as long as it is ahead.
  write.Bind(4, demand.daily_use()).Bind(5, std::min(origin.recorded_ms, origin.applied_ms));
  PPE_RETURN_IF_ERROR(write.Run());
  PPE_RETURN_IF_ERROR(SetLastFigure(demand.site(), demand.item(), demand.on_hand()));
  nlohmann::json detail = {{"daily_use", demand.daily_use()}};
  if (origin.confirmed) detail["confirmed"] = true;
  return AppendEvent(origin, "demand", demand.site(), demand.item(), demand.on_hand(), 0,
                     detail.dump());
}

Status BrokerStore::MoveStock(const std::string& warehouse, const std::string& item, int64_t delta,
                              int64_t now_ms) {
  Statement& write = db_->Prepare(
      "INSERT INTO stock (warehouse, item, on_hand, updated_ms) VALUES (?1, ?2, ?3, ?4) "
      "ON CONFLICT(warehouse, item) DO UPDATE SET on_hand = on_hand + ?3, updated_ms = ?4");
  return write.Bind(1, warehouse).Bind(2, item).Bind(3, delta).Bind(4, now_ms).Run();
}

Status BrokerStore::LandAtSite(const std::string& site, const std::string& item, int64_t qty,
                               int64_t now_ms) {
  Statement& write = db_->Prepare(
      "INSERT INTO demand (site, item, on_hand, daily_use, as_of_ms) VALUES (?1, ?2, ?3, 0, ?4) "
      "ON CONFLICT(site, item) DO UPDATE SET on_hand = on_hand + ?3");
  return write.Bind(1, site).Bind(2, item).Bind(3, qty).Bind(4, now_ms).Run();
}

Status BrokerStore::SetLastFigure(const std::string& place, const std::string& item, int64_t quantity) {
  Statement& upsert = db_->Prepare(
      "INSERT INTO last_figures (place, item, quantity) VALUES (?1, ?2, ?3) "
      "ON CONFLICT(place, item) DO UPDATE SET quantity = ?3");
  return upsert.Bind(1, place).Bind(2, item).Bind(3, quantity).Run();
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

std::vector<StockRow> BrokerStore::Stock() {
  std::vector<StockRow> rows;
  Statement& q = db_->Prepare(
      "SELECT s.warehouse, s.item, s.on_hand, COALESCE((SELECT SUM(o.qty) FROM orders o "
      " WHERE o.from_warehouse = s.warehouse AND o.item = s.item "
      " AND o.status IN ('created', 'accepted')), 0) "
      "FROM stock s ORDER BY s.warehouse, s.item");
  while (q.Step()) rows.push_back({q.Text(0), q.Text(1), q.Int(2), q.Int(3)});
  return rows;
}

std::vector<DemandRow> BrokerStore::Demand() {
  std::vector<DemandRow> rows;
  Statement& q = db_->Prepare(
      "SELECT d.site, d.item, d.on_hand, d.daily_use, COALESCE((SELECT SUM(o.qty) FROM orders o "
      " WHERE o.to_site = d.site AND o.for_item = d.item "
      " AND o.status IN ('created', 'accepted', 'shipped')), 0), d.as_of_ms "
      "FROM demand d ORDER BY d.site, d.item");
  while (q.Step()) rows.push_back({q.Text(0), q.Text(1), q.Int(2), q.Real(3), q.Int(4), q.Int(5)});
  return rows;
}

// Events are never deleted, so the highest id is the count, found without a scan of the ledger
// (a COUNT(*) of a million events made restarts slow).
int64_t BrokerStore::EventCount() { return db_->QueryInt("SELECT COALESCE(MAX(id), 0) FROM events"); }

}  // namespace ppe
