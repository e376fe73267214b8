// RawClient: a bare DEALER with a real key from a test deployment, speaking the wire protocol by
// hand, so tests can send what ppe-node never would (other counties, gaps, garbage).
#pragma once

#include <optional>
#include <string>
#include <zmq.hpp>

#include "common/deployment.h"
#include "ppe.pb.h"

namespace ppe::testing {

// `count` stock counts of mask.n95 at `warehouse`, seqs from first_seq, as one batch.
wire::Envelope StockBatch(uint64_t first_seq, int count, const std::string& warehouse, int64_t quantity);
// One demand report (seq, site, mask.n95, nothing on hand) as a batch.
wire::Envelope DemandBatch(uint64_t seq, const std::string& site, double daily_use);

class RawClient {
 public:
  // `config` is a node's or ppe-ctl's YAML from the deployment; its key and broker address are used.
  explicit RawClient(const std::string& node_config_path);
  void Send(const wire::Envelope& envelope);
  void SendRaw(const std::string& bytes);
  // The next message within timeout_ms, or nullopt.
  std::optional<wire::Envelope> Receive(int timeout_ms = 5000);
  // ... as the bytes that came, for a client with a schema of its own (tests/compat).
  std::optional<std::string> ReceiveRaw(int timeout_ms = 5000);
  // Receives until an Ack with up_to_seq >= seq arrives; collects ReportErrors on the way.
  bool WaitAck(uint64_t seq, std::vector<wire::ReportError>* errors, int timeout_ms = 5000);

 private:
  zmq::context_t context_{1};
  zmq::socket_t socket_{context_, zmq::socket_type::dealer};
};

}  // namespace ppe::testing
