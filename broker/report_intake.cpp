// Reports in: how a node's batch of reports is checked and applied inside the cycle's
// transaction, and how each is acknowledged after the commit (never before). Part of BrokerServer.
#include <spdlog/spdlog.h>

#include <cstdio>

#include "broker/broker_server.h"
#include "common/clock.h"
#include "common/report_validator.h"
#include "common/text_encoding.h"

namespace ppe {
namespace {

// 300000, 12.5: a daily use as the operator typed it.
std::string FormatNumber(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.10g", value);
  return text;
}

}  // namespace

void BrokerServer::HandleReports(const Identity& who, const std::string& routing_id,
                                 const wire::ReportBatch& batch) {
  EnsureBatch();
  NodeProgress& progress = store_->Progress(who.name, who.county);
  const int64_t now = NowMs();
  progress.last_contact_ms = now;
  links_[who.county].routing_id = routing_id;
  links_[who.county].key = who.name;
  for (const wire::Report& report : batch.reports()) {
    if (report.seq() <= progress.last_seq) continue;  // a resend: applied already, ack again
    if (report.seq() != progress.last_seq + 1) {
      // Reports were lost in flight (a reconnect): ask for the stream again from the gap.
      wire::Envelope resume;
      resume.mutable_resume()->set_expected_seq(progress.last_seq + 1);
      after_commit_.push_back({routing_id, resume, ""});
      break;
    }
    if (Status s = ApplyReport(who, routing_id, report, now); !s.ok()) {
      spdlog::error("store failure applying report {} of {}: {}", report.seq(), who.name, s.message());
      batch_failed_ = true;
      return;
    }
    progress.last_seq = report.seq();
  }
  after_commit_.push_back({routing_id, wire::Envelope(), who.name});
}

Status BrokerServer::ApplyReport(const Identity& who, const std::string& routing_id,
                                 const wire::Report& report, int64_t now) {
  const ReportOrigin origin{who.name, report.seq(), report.recorded_at_ms(), now, report.confirmed()};
  Refusal refusal = reader_->Check(who, report);
  if (!refusal.refused() && report.has_receipt()) refusal = store_->CheckReceipt(report.receipt());
  if (!refusal.refused()) refusal = store_->CheckCountTime(report, origin);
  if (!refusal.refused() && !report.confirmed()) refusal = CheckPlausible(report);
  if (!refusal.refused()) {
    switch (report.body_case()) {
      case wire::Report::kStock: return store_->ApplyStockCount(origin, report.stock());
      case wire::Report::kReceipt: return store_->ApplyReceipt(origin, report.receipt());
      case wire::Report::kDemand:
        ++demand_changes_;
        return store_->ApplyDemand(origin, report.demand());
      case wire::Report::kOrderStep:
        refusal = orders_->ApplyStep(who, report.order_step(), origin);
        if (refusal.code == wire::INTERNAL) return Status::Error(refusal.text);
        if (!refusal.refused()) return Status::Ok();
        break;
      default:
        refusal = {wire::MALFORMED, "report " + std::to_string(report.seq()) + " has no content"};
    }
  }
  if (minute_budgets_->TakeLogLine(who.name, now)) {
    spdlog::warn("refused report {} of {}: {}", report.seq(), who.name, EscapeControl(refusal.text));
  }
  store_->Progress(who.name, who.county).refused++;
  wire::Envelope error;
  error.mutable_report_error()->set_seq(report.seq());
  error.mutable_report_error()->set_code(refusal.code);
  error.mutable_report_error()->set_text(refusal.text);
  after_commit_.push_back({routing_id, error, ""});
  // Past its minute's budget a key's refusals are only counted (nodes.refused), so a flood of
  // bad reports cannot fill the disk one row at a time.
  if (!minute_budgets_->TakeRefusalRow(who.name, now)) return Status::Ok();
  return store_->RecordRefusal(origin, refusal.code, refusal.text);
}

// The node asks its operator to confirm a count or on-hand figure over 100x the last one; the
// broker asks again, so a client that is not ppe-node gains nothing by skipping the question.
Refusal BrokerServer::CheckPlausible(const wire::Report& report) {
  std::string place, item;
  int64_t figure = 0;
  if (report.has_stock()) {
    place = report.stock().warehouse(), item = report.stock().item(), figure = report.stock().quantity();
  } else if (report.has_demand()) {
    place = report.demand().site(), item = report.demand().item(), figure = report.demand().on_hand();
  } else {
    return {};
  }
  const std::optional<int64_t> previous = store_->LastFigure(place, item);
  if (previous && Implausible(*previous, figure)) {
    return {wire::BAD_QUANTITY, std::to_string(figure) + " for " + place + " " + item +
                                    " is over 100 times the last figure (" + std::to_string(*previous) +
                                    ") and the operator did not confirm it; if it is right, record it "
                                    "again with --confirm"};
  }
  if (!report.has_demand()) return {};
  // The daily use moves the allocation more than any count: the same slip, checked the same way.
  const std::optional<double> previous_use = store_->LastDailyUse(place, item);
  if (!previous_use || !ImplausibleDailyUse(*previous_use, report.demand().daily_use())) return {};
  return {wire::BAD_QUANTITY, "daily use " + FormatNumber(report.demand().daily_use()) + " for " + place +
                                  " " + item + " is over 10 times the last one (" +
                                  FormatNumber(*previous_use) +
                                  ") and the operator did not confirm it; if it is right, record it "
                                  "again with --confirm"};
}

// After the cycle's commit (FinishCycle): every reply the cycle held goes out. An ack names the
// node's last applied seq as it is now, committed: a node drops from its outbox only what the
// broker can no longer lose. Refusals, Resumes and Welcomes wait for the same commit.
void BrokerServer::AcknowledgeCommitted() {
  for (Outgoing& out : after_commit_) {
    if (!out.ack_node.empty()) {
      const auto it = store_->progress().find(out.ack_node);
      if (it == store_->progress().end()) continue;
      out.envelope.mutable_ack()->set_up_to_seq(it->second.last_seq);
    }
    Send(out.routing_id, out.envelope);
  }
  after_commit_.clear();
}

}  // namespace ppe
