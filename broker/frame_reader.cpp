#include "broker/frame_reader.h"

#include "common/text_encoding.h"
#include "common/wire.h"

namespace ppe {
namespace {

struct BoundedField {
  const char* name;
  const std::string* value;
  size_t limit;
};

// The free-text and id fields of a report, with their limits.
std::vector<BoundedField> BoundedFields(const wire::Report& report) {
  switch (report.body_case()) {
    case wire::Report::kStock:
      return {{"warehouse id", &report.stock().warehouse(), kMaxIdLength},
              {"item id", &report.stock().item(), kMaxIdLength}};
    case wire::Report::kReceipt:
      return {{"warehouse id", &report.receipt().warehouse(), kMaxIdLength},
              {"item id", &report.receipt().item(), kMaxIdLength}};
    case wire::Report::kDemand:
      return {{"site id", &report.demand().site(), kMaxIdLength},
              {"item id", &report.demand().item(), kMaxIdLength}};
    case wire::Report::kOrderStep:
      return {{"rejection reason", &report.order_step().reason(), kMaxTextLength}};
    case wire::Report::BODY_NOT_SET:
      break;
  }
  return {};
}

}  // namespace

Refusal FrameReader::Read(const zmq::message_t& frame, wire::Envelope* envelope) const {
  if (Status s = Decode(frame, envelope); !s.ok()) return {wire::MALFORMED, s.message()};
  const size_t reports = envelope->has_reports() ? envelope->reports().reports_size() : 0;
  if (reports > kMaxReportsPerBatch) {
    return {wire::MALFORMED, "a batch of " + std::to_string(reports) + " reports; at most " +
                                 std::to_string(kMaxReportsPerBatch) + " a frame (nothing in it was applied)"};
  }
  return {};
}

Refusal FrameReader::Check(const Identity& who, const wire::Report& report) const {
  for (const BoundedField& field : BoundedFields(report)) {
    if (Utf8Length(*field.value) > field.limit) {
      return {wire::MALFORMED, "report " + std::to_string(report.seq()) + ": " + field.name + " is " +
                                   std::to_string(Utf8Length(*field.value)) + " characters long; at most " +
                                   std::to_string(field.limit)};
    }
  }
  return validator_.Check(who, report);
}

FrameReader::Verdict FrameReader::Judge(const Identity& who, const zmq::message_t& frame) const {
  Verdict verdict;
  wire::Envelope envelope;
  verdict.frame = Read(frame, &envelope);
  if (verdict.frame.refused() || !envelope.has_reports()) return verdict;
  for (const wire::Report& report : envelope.reports().reports()) {
    verdict.reports.push_back(Check(who, report));
  }
  return verdict;
}

}  // namespace ppe
