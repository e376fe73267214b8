// ZapHandler: the ZeroMQ authentication (ZAP) endpoint; admits only keys in the KeyRing.
// Must be bound on inproc://zeromq.zap.01 before any server socket binds, or CURVE admits anyone.
#pragma once

#include <zmq.hpp>

#include "broker/key_ring.h"

namespace ppe {

class ZapHandler {
 public:
  // Binds the ZAP endpoint in `context`; `ring` must outlive this handler (it may be replaced).
  ZapHandler(zmq::context_t& context, const KeyRing* ring);
  zmq::socket_t& socket() { return socket_; }
  void set_ring(const KeyRing* ring) { ring_ = ring; }
  // Answers every pending request without blocking.
  void HandlePending();

 private:
  void HandleOne(std::vector<zmq::message_t>& request);

  zmq::socket_t socket_;
  const KeyRing* ring_;
};

}  // namespace ppe
