#include "common/handshake_watch.h"

#include <cstring>

namespace ppe {

HandshakeWatch::HandshakeWatch(zmq::context_t& context, zmq::socket_t& socket,
                               const std::string& name)
    : events_(context, zmq::socket_type::pair) {
  const std::string endpoint = "inproc://handshake-" + name;
  zmq_socket_monitor(socket.handle(), endpoint.c_str(),
                     ZMQ_EVENT_HANDSHAKE_FAILED_AUTH | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
                         ZMQ_EVENT_HANDSHAKE_SUCCEEDED);
  events_.set(zmq::sockopt::linger, 0);
  events_.connect(endpoint);
}

bool HandshakeWatch::Refused() {
  for (;;) {
    zmq::message_t event, address;
    if (!events_.recv(event, zmq::recv_flags::dontwait)) break;
    (void)events_.recv(address, zmq::recv_flags::none);  // every event has its address frame
    uint16_t id = 0;
    if (event.size() >= sizeof id) std::memcpy(&id, event.data(), sizeof id);
    if (id == ZMQ_EVENT_HANDSHAKE_SUCCEEDED) {
      succeeded_ = true;
      refused_ = false;
    } else {
      refused_ = true;
    }
  }
  return refused_;
}

}  // namespace ppe
