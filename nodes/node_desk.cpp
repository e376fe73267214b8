#include "nodes/node_desk.h"

#include <cstdlib>
#include <iostream>

#include "common/catalogue_change.h"
#include "common/clock.h"
#include "common/text_encoding.h"

namespace ppe {
namespace {

// A clock further off than this dates counts wrongly enough to show in status.
constexpr int64_t kClockSkewAlertMs = 5 * 60 * 1000;

}  // namespace

City LiveCity(City file_city, NodeStore& store) {
  auto changes = store.CatalogueChanges();
  if (!changes.ok()) {
    std::cerr << "ppe-node: warning: " << changes.status().message() << "; using the city file alone\n";
    return file_city;
  }
  if (changes->empty()) return file_city;
  if (auto all = ApplyCatalogueChanges(file_city, *changes); all.ok()) return std::move(*all);
  City city = std::move(file_city);
  for (const wire::CatalogueChange& change : *changes) {
    auto next = ApplyCatalogueChanges(city, {change});
    if (next.ok()) {
      city = std::move(*next);
    } else {
      std::cerr << "ppe-node: warning: catalogue version " << change.version() << " (" << DescribeCatalogueChange(change)
                << ") does not fit this node's city file: " << next.status().message()
                << "; left out. Copy the broker's catalogue here: ppe-ctl catalogue --yaml\n";
    }
  }
  return city;
}

NodeDesk::NodeDesk(const NodeConfig& config, const City& city, NodeStore& store)
    : config_(config), store_(store), entry_(city, Identity{config.node, Role::kNode, config.county}) {}

Result<Recorded> NodeDesk::Record(std::vector<wire::Report> reports) {
  auto last = store_.Append(reports);
  if (!last.ok()) return last.status();
  Recorded done;
  done.last_seq = *last;
  done.first_seq = *last + 1 - reports.size();
  done.pending = store_.Link().pending();
  done.reports = std::move(reports);
  return done;
}

Result<Recorded> NodeDesk::Counted(Result<wire::Report> report, bool confirm, const std::string& how_to_confirm,
                                   EntryError* why) {
  if (!report.ok()) return report.status();
  const auto [place, counted] = PlaceAndItem(*report);
  const std::optional<LastFigure> last = store_.Last(place, counted);
  if (auto s = CheckCountOrder(*report, last, why); !s.ok()) return s;
  if (auto s = CheckPlausible(*report, last, confirm, how_to_confirm, why); !s.ok()) return s;
  report->set_confirmed(confirm);
  return Record({*report});
}

Result<Recorded> NodeDesk::Stock(const StockEntry& e, bool confirm, const std::string& how_to_confirm,
                                 EntryError* why) {
  return Counted(entry_.Stock(e.warehouse, e.item, e.quantity, e.as_of, why), confirm, how_to_confirm, why);
}

Result<Recorded> NodeDesk::Demand(const DemandEntry& e, bool confirm, const std::string& how_to_confirm,
                                  EntryError* why) {
  return Counted(entry_.Demand(e.site, e.item, e.on_hand, e.daily_use, e.as_of, why), confirm, how_to_confirm, why);
}

Result<Recorded> NodeDesk::Receipt(const ReceiptEntry& e, bool confirm, const std::string& how_to_confirm,
                                   EntryError* why) {
  auto report = entry_.Receipt(e.warehouse, e.item, e.quantity, e.source, e.from, e.reference, e.lot, e.expires, why);
  if (!report.ok()) return report.status();
  if (auto s = CheckExpired(*report, confirm, how_to_confirm, NowMs(), why); !s.ok()) return s;
  report->set_confirmed(confirm);
  return Record({*report});
}

Result<Recorded> NodeDesk::Import(const std::string& bytes, const std::string& name, bool confirm_all,
                                  CsvImportResult* result) {
  const auto last = [this](const std::string& place, const std::string& counted) {
    return store_.Last(place, counted);
  };
  *result = ImportCsvBytes(bytes, name, entry_, last, confirm_all);
  if (!result->errors.empty()) {
    return Status::Error("nothing imported: fix the " + std::to_string(result->errors.size()) +
                         (result->errors.size() >= 100 ? "+" : "") + " rows above and import again");
  }
  if (result->reports.empty()) {
    result->problems.push_back({EntryField::kFile, EntryProblem::kCsvNoRows, {}, 0});
    return Status::Error("'" + name + "' has no rows to import");
  }
  auto done = Record(result->reports);
  if (done.ok()) done->encoding = result->encoding;
  return done;
}

Result<StepTaken> NodeDesk::Step(int64_t id, OrderStep kind, const std::string& qty_text, const std::string& reason,
                                 EntryError* why) {
  const std::string& county = config_.county;
  const std::vector<NodeOrder> orders = store_.Orders(false);
  const NodeOrder* order = nullptr;
  for (const auto& o : orders) {
    if (o.id == id) order = &o;
  }
  const std::string id_text = std::to_string(id);
  const std::string name = "order " + id_text;
  if (!order) {
    return Wrong(why, EntryField::kOrder, EntryProblem::kUnknownOrder, {id_text, county},
                 name + " is not known at this node: it does not name " + county +
                     ", or has not been delivered yet (is the daemon running? see 'ppe-node orders')");
  }
  const bool shipping_side = kind != OrderStep::kReceive;
  const char* verb = OrderStepVerb(kind);
  const std::string& side_county = shipping_side ? order->from_county : order->to_county;
  if (side_county != county) {
    return Wrong(why, EntryField::kOrder, EntryProblem::kNotYourOrder, {id_text, side_county},
                 name + (shipping_side ? " ships from " : " goes to ") + side_county + "; only " + side_county +
                     "'s node can " + verb + " it");
  }
  // Decided as the broker will decide it (common/order_lifecycle), on the order as this node
  // knows it: what the broker last said, then this node's own step still on its way there.
  const auto delivered = ParseOrderStatus(order->status);
  if (!delivered) {
    return Wrong(why, EntryField::kOrder, EntryProblem::kUnknownStatus, {id_text, order->status},
                 name + " has a status this release does not know: " + order->status);
  }
  const OrderStatus known = KnownStatus(*delivered, order->pending);
  StepTaken taken;
  taken.shown_status = std::string(OrderStatusName(known)) + (known != *delivered ? " (pending)" : "");
  taken.ordered = order->qty;
  const StepDecision decision = DecideStep(known, kind);
  switch (decision.outcome) {
    case StepOutcome::kRepeat:
      taken.repeat = true;
      return taken;
    case StepOutcome::kConflict:
    case StepOutcome::kRefused:
      // This node knows the step contradicts what happened: it is not recorded. Conflicts arise
      // only where the news crossed on the way, and the broker resolves those.
      return Wrong(why, EntryField::kOrder, EntryProblem::kStepTooLate,
                   {id_text, OrderStatusName(known), OrderStepVerb(kind)},
                   name + " is " + taken.shown_status + "; it can no longer be " + OrderStepDone(kind));
    case StepOutcome::kApply:
    case StepOutcome::kShipAndReceive:
      break;
  }
  wire::Report report;
  report.set_recorded_at_ms(NowMs());
  auto* m = report.mutable_order_step();
  m->set_order_id(id);
  m->set_step(kind == OrderStep::kShip ? wire::SHIP : kind == OrderStep::kReceive ? wire::RECEIVE : wire::REJECT);
  if (kind == OrderStep::kReceive) {
    int64_t qty = order->qty;
    if (!qty_text.empty()) {
      auto parsed = ParseQuantity("--qty", qty_text, EntryField::kQuantity, why);
      if (!parsed.ok()) return parsed.status();
      qty = *parsed;
    }
    m->set_quantity(qty);
    taken.received = qty;
  }
  if (kind == OrderStep::kReject) {
    auto clean = CleanLine(reason, "--reason", kMaxTextLength);
    if (!clean.ok()) return Wrong(why, EntryField::kReason, EntryProblem::kBadText, {}, clean.status().message());
    if (clean->empty()) {
      return Wrong(why, EntryField::kReason, EntryProblem::kReasonNeeded, {},
                   "a rejection needs --reason TEXT (why this order cannot be shipped)");
    }
    m->set_reason(*clean);
  }
  auto recorded = Record({report});
  if (!recorded.ok()) return recorded.status();
  taken.seq = recorded->last_seq;
  taken.pending = recorded->pending;
  taken.summary = Summarize(report);
  taken.report = report;
  taken.implied_shipment = decision.outcome == StepOutcome::kShipAndReceive;
  return taken;
}

nlohmann::json NodeDesk::LinkStatus() {
  const LinkState link = store_.Link();
  const int64_t stale_after = 3 * config_.heartbeat_ms + 2000;
  const bool daemon = NowMs() - link.daemon_seen_ms <= stale_after;
  nlohmann::json refusals = nlohmann::json::array();
  for (const Refused& r : store_.Refusals(10)) {
    refusals.push_back({{"seq", r.seq}, {"report", r.summary}, {"error", r.text}, {"at", FormatTime(r.at_ms)}});
  }
  nlohmann::json set_aside = nlohmann::json::array();
  for (const SetAsideRow& r : store_.SetAsideRows()) {
    set_aside.push_back({{"seq", r.seq}, {"reason", r.reason}, {"at", FormatTime(r.at_ms)}});
  }
  nlohmann::json alerts = nlohmann::json::array();
  if (!set_aside.empty()) {
    alerts.push_back(std::to_string(set_aside.size()) +
                     " reports could not be read back from the outbox and were set aside (the rest "
                     "were sent); re-enter them: see set_aside");
  }
  if (link.advanced_to > 0) {
    alerts.push_back("the broker had applied reports up to " + std::to_string(link.advanced_to) +
                     " from this node's key, but this store had recorded only up to " +
                     std::to_string(link.advanced_from) + " (at " + FormatTime(link.advanced_ms) +
                     "): it was put back to an older copy, or another store runs under this key. New "
                     "reports are numbered from " + std::to_string(link.advanced_to + 1) +
                     "; reports " + std::to_string(link.advanced_from + 1) + " to " +
                     std::to_string(link.advanced_to) +
                     " are the broker's, not in this store: check this county's figures ('ppe-ctl stock')");
  }
  if (std::abs(link.clock_skew_ms) > kClockSkewAlertMs) {
    alerts.push_back("this computer's clock is " + std::to_string(std::abs(link.clock_skew_ms) / 60000) +
                     " minutes " + (link.clock_skew_ms < 0 ? "ahead of" : "behind") +
                     " the broker's: counts are dated wrong; set the clock");
  }
  return {{"node", config_.node},
          {"county", config_.county},
          {"broker", config_.endpoint.address},
          {"daemon_running", daemon},
          {"connected", daemon && link.connected},
          {"outbox_pending", link.pending()},
          {"catalogue_version", store_.CatalogueHeld()},
          {"last_ack", link.last_ack},
          {"last_ack_at", FormatTime(link.last_ack_ms)},
          {"recorded", link.recorded_head},
          {"refused", link.refused},
          {"recent_refusals", refusals},
          {"set_aside", set_aside},
          {"clock_skew_s", link.clock_skew_ms / 1000},
          {"alerts", alerts}};
}

}  // namespace ppe
