#include "broker/donation_trace.h"

#include <map>

#include "common/clock.h"

namespace ppe {
namespace {

nlohmann::json TextOrNull(const std::string& text) { return text.empty() ? nlohmann::json(nullptr) : nlohmann::json(text); }

const char* BatchFilter(TraceBy by) {
  switch (by) {
    case TraceBy::kBatch: return "id = CAST(?1 AS INTEGER)";
    case TraceBy::kReference: return "reference = ?1";
    case TraceBy::kDonor: break;
  }
  return "donor = ?1";
}

}  // namespace

nlohmann::json Trace(SqliteDb& db, const City& city, TraceBy by, const std::string& key) {
  const std::string in_set = std::string("(SELECT id FROM batches WHERE ") + BatchFilter(by) + ")";
  int64_t received = 0, in_warehouses = 0, in_transit = 0, landed = 0, lost = 0;
  nlohmann::json batches = nlohmann::json::array();
  Statement& b = db.Prepare(
      "SELECT id, warehouse, item, origin, source, donor, reference, lot, expires, received, on_hand, reserved, "
      "received_ms FROM batches WHERE id IN " + in_set + " ORDER BY id");
  b.Bind(1, key);
  while (b.Step()) {
    const Warehouse* w = city.FindWarehouse(b.Text(1));
    const Item* item = city.FindItem(b.Text(2));
    received += b.Int(9);
    in_warehouses += b.Int(10);
    batches.push_back({{"batch", b.Int(0)}, {"warehouse", b.Text(1)}, {"county", w ? w->county : ""},
                       {"item", b.Text(2)}, {"item_name", item ? item->name : b.Text(2)}, {"origin", b.Text(3)},
                       {"source", b.Text(4)}, {"donor", TextOrNull(b.Text(5))}, {"reference", TextOrNull(b.Text(6))},
                       {"lot", TextOrNull(b.Text(7))}, {"expires", TextOrNull(b.Text(8))}, {"received", b.Int(9)},
                       {"left", b.Int(10)}, {"reserved", b.Int(11)}, {"date", FormatTime(b.Int(12))}});
  }
  b.Reset();
  nlohmann::json rows = nlohmann::json::array();
  nlohmann::json losses = nlohmann::json::array();
  Statement& l = db.Prepare(
      "SELECT l.order_id, o.to_site, o.to_county, l.qty, COALESCE(l.received, 0), o.status, o.updated_ms, l.batch "
      "FROM order_lines l JOIN orders o ON o.id = l.order_id WHERE l.batch IN " + in_set +
      " AND o.status IN ('created', 'accepted', 'shipped', 'received') ORDER BY l.order_id, l.id");
  l.Bind(1, key);
  while (l.Step()) {
    const std::string status = l.Text(5);
    const int64_t qty = l.Int(3), got = l.Int(4);
    if (status == "shipped") in_transit += qty;
    if (status == "received") {
      landed += got;
      lost += qty - got;
      if (qty != got) {
        losses.push_back({{"how", "delivery discrepancy"}, {"order", l.Int(0)}, {"batch", l.Int(7)},
                          {"site", l.Text(1)}, {"qty", qty - got}, {"date", FormatTime(l.Int(6))}});
      }
    }
    rows.push_back({{"order", l.Int(0)}, {"site", l.Text(1)}, {"county", l.Text(2)},
                    {"qty", status == "received" ? got : qty}, {"status", status}, {"date", FormatTime(l.Int(6))},
                    {"batch", l.Int(7)}});
  }
  l.Reset();
  Statement& c = db.Prepare(
      "SELECT m.batch, -m.delta, e.at_ms, e.place FROM batch_moves m JOIN events e ON e.id = m.event_id "
      "WHERE m.batch IN " + in_set + " AND e.kind = 'count' AND m.delta < 0 ORDER BY e.id");
  c.Bind(1, key);
  while (c.Step()) {
    lost += c.Int(1);
    losses.push_back({{"how", "count adjustment"}, {"batch", c.Int(0)}, {"warehouse", c.Text(3)},
                      {"qty", c.Int(1)}, {"date", FormatTime(c.Int(2))}});
  }
  c.Reset();
  return {{"received", received},   {"in_warehouses", in_warehouses}, {"in_transit", in_transit},
          {"landed", landed},       {"lost", lost},
          {"adds_up", received == in_warehouses + in_transit + landed + lost},
          {"batches", batches},     {"rows", rows},                   {"losses", losses}};
}

nlohmann::json DonationsReport(SqliteDb& db, const City& city, int64_t now_ms) {
  std::vector<std::string> donors;
  Statement& q = db.Prepare("SELECT DISTINCT donor FROM batches WHERE source = 'DONATION' AND donor != '' ORDER BY donor");
  while (q.Step()) donors.push_back(q.Text(0));
  q.Reset();
  nlohmann::json report = nlohmann::json::array();
  bool all_add_up = true;
  for (const std::string& donor : donors) {
    nlohmann::json trace = Trace(db, city, TraceBy::kDonor, donor);
    // The sites it reached: what each received of this donor's goods, and when last.
    std::map<std::string, std::pair<int64_t, std::string>> reached;
    for (const nlohmann::json& row : trace["rows"]) {
      if (row["status"] != "received") continue;
      auto& [qty, date] = reached[row["site"].get<std::string>()];
      qty += row["qty"].get<int64_t>();
      date = std::max(date, row["date"].get<std::string>());
    }
    nlohmann::json sites = nlohmann::json::array();
    for (const auto& [id, figures] : reached) {
      const Site* site = city.FindSite(id);
      sites.push_back({{"site", id}, {"name", site ? site->name : id}, {"county", site ? site->county : ""},
                       {"qty", figures.first}, {"date", figures.second}});
    }
    all_add_up = all_add_up && trace["adds_up"].get<bool>();
    trace["donor"] = donor;
    trace["sites"] = std::move(sites);
    report.push_back(std::move(trace));
  }
  return {{"city", city.name()}, {"generated", FormatTime(now_ms)}, {"donors", report}, {"all_add_up", all_add_up}};
}

}  // namespace ppe
