#include "broker/ledger_check.h"

#include <string>

namespace ppe {
namespace {

// A statement's error without the statement: "sqlite: database disk image is malformed".
std::string Reason(const Status& status) {
  const std::string& text = status.message();
  return text.substr(0, text.find(" in: "));
}

// Runs a query whose rows are problems: each row's columns joined into one line.
int64_t Collect(SqliteDb& db, const std::string& sql, const std::string& what,
                nlohmann::json* problems) {
  Statement& q = db.Prepare(sql);
  int64_t found = 0;
  while (q.Step()) {
    problems->push_back(what + " " + q.Text(0));
    ++found;
  }
  if (!q.status().ok()) problems->push_back("cannot read the ledger for the " + what + " check: " + Reason(q.status()));
  return found;
}

// The count `sql` gives, or null (and the reason in `problems`) when it cannot be read.
nlohmann::json Count(SqliteDb& db, const std::string& sql, const std::string& what, nlohmann::json* problems) {
  Statement& q = db.Prepare(sql);
  const bool row = q.Step();
  const int64_t value = row ? q.Int(0) : 0;
  const Status status = q.status();
  q.Reset();
  if (!status.ok()) {
    problems->push_back("cannot count " + what + ": " + Reason(status));
    return nullptr;
  }
  return value;
}

}  // namespace

nlohmann::json CheckLedger(SqliteDb& db) {
  nlohmann::json problems = nlohmann::json::array();
  nlohmann::json integrity = nlohmann::json::array();
  {
    Statement& q = db.Prepare("PRAGMA integrity_check");
    while (q.Step()) {
      for (const std::string& line : QuickCheckLines(q.Text(0))) integrity.push_back(line);
    }
    if (!q.status().ok()) integrity.push_back(Reason(q.status()));
    for (const auto& line : integrity) problems.push_back("store integrity: " + line.get<std::string>());
  }
  // Each warehouse figure is the sum of its ledger: counts' adjustments, receipts, shipments.
  Collect(db,
          "WITH ledger AS (SELECT place, item, SUM(delta) AS total FROM events "
          "  WHERE kind IN ('count', 'receipt', 'ship') GROUP BY place, item) "
          "SELECT s.warehouse || ' ' || s.item || ': books say ' || s.on_hand || ', ledger says ' "
          "  || COALESCE(l.total, 0) || ' (difference ' || (s.on_hand - COALESCE(l.total, 0)) || ')' "
          "FROM stock s LEFT JOIN ledger l ON l.place = s.warehouse AND l.item = s.item "
          "WHERE s.on_hand != COALESCE(l.total, 0) "
          "UNION ALL SELECT l.place || ' ' || l.item || ': ledger says ' || l.total || ', books have no row' "
          "FROM ledger l WHERE NOT EXISTS (SELECT 1 FROM stock s WHERE s.warehouse = l.place AND s.item = l.item) "
          "AND l.total != 0",
          "warehouse", &problems);
  // Each site figure is its last report, plus what had landed after the time that count was taken
  // (the report's delta), plus what landed after it.
  Collect(db,
          "WITH last AS (SELECT place, item, MAX(id) AS id FROM events WHERE kind = 'demand' GROUP BY place, item), "
          "expected AS (SELECT d.site, d.item, d.on_hand, "
          "  COALESCE((SELECT e.quantity + e.delta FROM events e JOIN last ON e.id = last.id "
          "            WHERE last.place = d.site AND last.item = d.item), 0) + "
          "  COALESCE((SELECT SUM(e.delta) FROM events e WHERE e.kind = 'landed' AND e.place = d.site "
          "            AND e.item = d.item AND e.id > COALESCE((SELECT id FROM last WHERE last.place = d.site "
          "            AND last.item = d.item), 0)), 0) AS ledger FROM demand d) "
          "SELECT site || ' ' || item || ': books say ' || on_hand || ', ledger says ' || ledger "
          "FROM expected WHERE on_hand != ledger",
          "site", &problems);
  // Every unit that left a warehouse is in transit, landed, or a recorded discrepancy.
  Collect(db,
          "WITH shipped AS (SELECT CAST(json_extract(detail, '$.order') AS INTEGER) AS id, -SUM(delta) AS qty, "
          "  COUNT(*) AS n FROM events WHERE kind = 'ship' GROUP BY 1) "
          "SELECT 'order ' || o.id || ' (' || o.status || '): ' || "
          "  CASE WHEN s.id IS NULL THEN 'no shipment in the ledger' "
          "       WHEN s.n != 1 THEN 'shipped ' || s.n || ' times in the ledger' "
          "       ELSE 'ledger shipped ' || s.qty || ', order says ' || o.qty END "
          "FROM orders o LEFT JOIN shipped s ON s.id = o.id "
          "WHERE o.status IN ('shipped', 'received') AND (s.id IS NULL OR s.n != 1 OR s.qty != o.qty) "
          "UNION ALL SELECT 'order ' || o.id || ' (' || o.status || '): shipped in the ledger but not by its status' "
          "FROM orders o JOIN shipped s ON s.id = o.id WHERE o.status NOT IN ('shipped', 'received')",
          "order", &problems);
  Collect(db,
          "WITH landed AS (SELECT CAST(json_extract(detail, '$.order') AS INTEGER) AS id, SUM(delta) AS qty "
          "  FROM events WHERE kind = 'landed' GROUP BY 1) "
          "SELECT 'order ' || o.id || ': received ' || COALESCE(o.received_qty, 0) || ', ledger landed ' "
          "  || COALESCE(l.qty, 0) FROM orders o LEFT JOIN landed l ON l.id = o.id "
          "WHERE (o.status = 'received' AND COALESCE(l.qty, -1) != o.received_qty) "
          "   OR (o.status != 'received' AND l.id IS NOT NULL)",
          "receipt", &problems);
  Collect(db,
          "SELECT 'order ' || id || ': quantity ' || qty FROM orders WHERE qty <= 0 "
          "UNION ALL SELECT 'order ' || id || ': unknown status ' || status FROM orders WHERE status NOT IN "
          "('created', 'accepted', 'shipped', 'received', 'rejected', 'cancelled')",
          "order", &problems);
  // Each batch is what it was made with (a receipt, a count's surplus, the opening stock) plus its
  // moves (count adjustments, shipments); it holds what the lines of its unshipped orders say; and
  // a warehouse's batches add up to its figure.
  Collect(db,
          "WITH moved AS (SELECT batch, SUM(delta) AS total FROM batch_moves GROUP BY batch) "
          "SELECT 'batch ' || b.id || ' (' || b.warehouse || ' ' || b.item || '): books say ' || b.on_hand || "
          "  ', received ' || b.received || ' and its moves say ' || (b.received + COALESCE(m.total, 0)) "
          "FROM batches b LEFT JOIN moved m ON m.batch = b.id WHERE b.on_hand != b.received + COALESCE(m.total, 0) "
          "UNION ALL SELECT 'batch ' || m.batch || ': moves of a batch that does not exist' FROM moved m "
          "WHERE NOT EXISTS (SELECT 1 FROM batches b WHERE b.id = m.batch)",
          "batch", &problems);
  Collect(db,
          "SELECT 'batch ' || b.id || ' (' || b.warehouse || ' ' || b.item || '): made with ' || b.received || "
          "  ' by event ' || b.event_id || ', which the ledger does not record' FROM batches b "
          "LEFT JOIN events e ON e.id = b.event_id WHERE b.origin IN ('receipt', 'surplus') AND (e.id IS NULL "
          "  OR e.kind != CASE b.origin WHEN 'receipt' THEN 'receipt' ELSE 'count' END OR e.delta != b.received "
          "  OR e.place != b.warehouse OR e.item != b.item)",
          "batch", &problems);
  Collect(db,
          "WITH held AS (SELECT l.batch, SUM(l.qty) AS qty FROM order_lines l JOIN orders o ON o.id = l.order_id "
          "  WHERE o.status IN ('created', 'accepted') GROUP BY l.batch) "
          "SELECT 'batch ' || b.id || ': reserved ' || b.reserved || ', its open order lines hold ' || COALESCE(h.qty, 0) "
          "FROM batches b LEFT JOIN held h ON h.batch = b.id WHERE b.reserved != COALESCE(h.qty, 0)",
          "batch", &problems);
  Collect(db,
          "WITH sums AS (SELECT warehouse, item, SUM(on_hand) AS total FROM batches GROUP BY warehouse, item) "
          "SELECT s.warehouse || ' ' || s.item || ': books say ' || s.on_hand || ', its batches ' || COALESCE(b.total, 0) "
          "FROM stock s LEFT JOIN sums b ON b.warehouse = s.warehouse AND b.item = s.item "
          "WHERE s.on_hand != COALESCE(b.total, 0)",
          "warehouse batches", &problems);
  Collect(db,
          "WITH lines AS (SELECT order_id, SUM(qty) AS qty FROM order_lines GROUP BY order_id) "
          "SELECT 'order ' || o.id || ' (' || o.status || '): ' || o.qty || ' ordered, its batch lines ' || COALESCE(l.qty, 0) "
          "FROM orders o LEFT JOIN lines l ON l.order_id = o.id "
          "WHERE l.order_id IS NOT NULL AND l.qty != o.qty",
          "order", &problems);
  nlohmann::json checked = {
      {"batches", Count(db, "SELECT COUNT(*) FROM batches", "batches", &problems)},
      {"events", Count(db, "SELECT COUNT(*) FROM events", "ledger events", &problems)},
      {"warehouse_items", Count(db, "SELECT COUNT(*) FROM stock", "warehouse figures", &problems)},
      {"site_items", Count(db, "SELECT COUNT(*) FROM demand", "site figures", &problems)},
      {"orders", Count(db, "SELECT COUNT(*) FROM orders", "orders", &problems)},
      {"pages", Count(db, "PRAGMA page_count", "store pages", &problems)}};
  return {{"ok", problems.empty()}, {"problems", problems}, {"integrity", integrity}, {"checked", checked}};
}

}  // namespace ppe
