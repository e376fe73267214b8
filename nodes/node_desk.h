// NodeDesk: what a county operator does at the node — a stock count, a receipt, a site's demand, a
// CSV import, a step on an order — checked and recorded by one code path for the commands and the page.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/city.h"
#include "common/deployment.h"
#include "nodes/csv_import.h"
#include "nodes/entry_error.h"
#include "nodes/node_store.h"
#include "nodes/report_entry.h"

namespace ppe {

// What the operator typed, field by field, as text (the commands' arguments, the page's form).
struct StockEntry {
  std::string warehouse, item, quantity, as_of;
};
struct ReceiptEntry {
  std::string warehouse, item, quantity, source, from, reference, lot, expires;
};
struct DemandEntry {
  std::string site, item, on_hand, daily_use, as_of;
};

// What was recorded: reports first_seq..last_seq, and how many still wait for the broker.
struct Recorded {
  uint64_t first_seq = 0, last_seq = 0;
  uint64_t pending = 0;
  std::vector<wire::Report> reports;
  std::string encoding;  // an import's file encoding ("UTF-8", "GBK/GB18030", ...)
};

// An order step that passed: recorded (seq > 0), or a repeat of what the order already is.
struct StepTaken {
  uint64_t seq = 0;          // 0: nothing recorded (a repeat)
  uint64_t pending = 0;      // reports waiting for the broker, this one included
  std::string summary;       // the report recorded, for people (Summarize)
  wire::Report report;       // ... and as it was recorded
  std::string shown_status;  // the order as this node knows it: "shipped", "shipped (pending)"
  bool repeat = false;
  bool implied_shipment = false;  // received before the news of its shipping
  int64_t ordered = 0, received = 0;
};

// The city this node validates against: its city file with every catalogue change the broker
// delivered. A change that cannot apply to this file (a county or kind the file lacks) is left
// out and said (on stderr), never a reason to stop recording reports.
City LiveCity(City file_city, NodeStore& store);

class NodeDesk {
 public:
  // `how_to_confirm` ends every message asking for a confirmation: the commands say "repeat the
  // command with --confirm", the page shows a box to tick.
  NodeDesk(const NodeConfig& config, const City& city, NodeStore& store);

  // Each checks as the broker will (ReportEntry), then against this node's last figure (counts
  // in order, a slip of a digit, an expired batch); nothing is recorded unless everything passes.
  // On error the Status is the English sentence and *why (when given) the same as data.
  Result<Recorded> Stock(const StockEntry& entry, bool confirm, const std::string& how_to_confirm,
                         EntryError* why = nullptr);
  Result<Recorded> Receipt(const ReceiptEntry& entry, bool confirm, const std::string& how_to_confirm,
                           EntryError* why = nullptr);
  Result<Recorded> Demand(const DemandEntry& entry, bool confirm, const std::string& how_to_confirm,
                          EntryError* why = nullptr);
  // A whole CSV file, all rows or none: on error `result` holds every row's error (errors, problems).
  Result<Recorded> Import(const std::string& bytes, const std::string& name, bool confirm_all,
                          CsvImportResult* result);

  // The operator's step on an order, decided as the broker will decide it (common/order_lifecycle)
  // on the order as this node knows it; a wrong step is refused at once and recorded nowhere.
  // qty_text: a receipt's quantity ("" = the order's); reason: a rejection's.
  Result<StepTaken> Step(int64_t order_id, OrderStep step, const std::string& qty_text, const std::string& reason,
                         EntryError* why = nullptr);

  // What 'ppe-node status --json' prints: outbox_pending, connected, last_ack, refusals, alerts.
  nlohmann::json LinkStatus();

  const ReportEntry& entry() const { return entry_; }
  NodeStore& store() { return store_; }
  const NodeConfig& config() const { return config_; }

 private:
  Result<Recorded> Record(std::vector<wire::Report> reports);
  Result<Recorded> Counted(Result<wire::Report> report, bool confirm, const std::string& how_to_confirm,
                           EntryError* why);

  const NodeConfig& config_;
  NodeStore& store_;
  ReportEntry entry_;
};

}  // namespace ppe
