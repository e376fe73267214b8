// FrameReader: the broker's judgement of one frame before anything touches the store: bytes to a
// decoded Envelope within the wire limits, or a refusal naming why. Pure, so the fuzzer drives it.
#pragma once

#include <vector>
#include <zmq.hpp>

#include "common/city.h"
#include "common/identity.h"
#include "common/report_validator.h"
#include "ppe.pb.h"

namespace ppe {

// A node sends at most 512 reports a frame; a batch eight times that is no node's.
inline constexpr size_t kMaxReportsPerBatch = 4096;

class FrameReader {
 public:
  // `city` must outlive the reader.
  explicit FrameReader(const City& city) : validator_(city) {}

  // Decodes one frame into `envelope`. Refuses (MALFORMED) an empty or unparsable frame, a
  // message of no known type, and a batch of more than kMaxReportsPerBatch reports, of which
  // nothing may then be applied.
  Refusal Read(const zmq::message_t& frame, wire::Envelope* envelope) const;

  // Whether `who` may have `report` applied, as far as the report alone can tell: bounded ids and
  // texts first (so no refusal echoes a huge field), then the validator's rules. An order step
  // is checked against its order by the order book.
  Refusal Check(const Identity& who, const wire::Report& report) const;

  // Read, then Check on each report of a batch: everything the broker decides from the bytes.
  struct Verdict {
    Refusal frame;
    std::vector<Refusal> reports;  // one per report when the frame is a batch
  };
  Verdict Judge(const Identity& who, const zmq::message_t& frame) const;

 private:
  ReportValidator validator_;
};

}  // namespace ppe
