// HandshakeWatch: watches a client socket's security handshakes, so a refused key is reported to
// the operator as such instead of as silence. Lives as long as the socket it watches.
#pragma once

#include <string>
#include <zmq.hpp>

namespace ppe {

class HandshakeWatch {
 public:
  HandshakeWatch(zmq::context_t& context, zmq::socket_t& socket, const std::string& name);
  // Drains pending events; true once any handshake was refused by the broker.
  bool Refused();
  bool Succeeded() const { return succeeded_; }
  zmq::socket_t& events() { return events_; }

 private:
  zmq::socket_t events_;
  bool refused_ = false;
  bool succeeded_ = false;
};

}  // namespace ppe
