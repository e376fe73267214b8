// BrokerClient: ppe-ctl's connection to the broker: one request, one reply, bounded in time.
// Says plainly when the broker is not there or refused the key, rather than hanging.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <zmq.hpp>

#include "common/deployment.h"
#include "common/handshake_watch.h"
#include "common/status.h"

namespace ppe {

class BrokerClient {
 public:
  explicit BrokerClient(const ClientConfig& config) : config_(config) {}
  ~BrokerClient();
  Status Connect();
  // Sends `command` with `args`; the reply's JSON, or an error saying what went wrong.
  Result<nlohmann::json> Call(const std::string& command, const nlohmann::json& args,
                              int timeout_ms = 15000);
  // The same, with the reply's JSON text as the broker sent it (compact), unparsed.
  Result<std::string> CallText(const std::string& command, const nlohmann::json& args,
                               int timeout_ms = 15000);

 private:
  const ClientConfig& config_;
  zmq::context_t context_{1};
  zmq::socket_t socket_{context_, zmq::socket_type::dealer};
  std::unique_ptr<HandshakeWatch> watch_;
  uint64_t next_id_ = 1;
};

}  // namespace ppe
