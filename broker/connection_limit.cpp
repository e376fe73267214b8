#include "broker/connection_limit.h"

#include <spdlog/spdlog.h>

#include <cstdint>
#include <cstring>

namespace ppe {

ConnectionLimit::ConnectionLimit(zmq::context_t& context, zmq::socket_t& router, int per_key)
    : monitor_(context, zmq::socket_type::pair), per_key_(per_key) {
  const std::string endpoint = "inproc://ppe-router-monitor";
  if (zmq_socket_monitor(router.handle(), endpoint.c_str(), ZMQ_EVENT_DISCONNECTED) != 0) {
    spdlog::error("cannot monitor connections: {}; the per-key connection limit is off", zmq_strerror(zmq_errno()));
    per_key_ = 0;
    return;
  }
  monitor_.connect(endpoint);
}

void ConnectionLimit::Update() {
  if (per_key_ <= 0) return;
  for (;;) {
    zmq::message_t event, address;
    if (!monitor_.recv(event, zmq::recv_flags::dontwait)) return;
    if (event.more()) (void)monitor_.recv(address, zmq::recv_flags::dontwait);
    if (event.size() < 6) continue;
    uint16_t kind;
    uint32_t fd;
    std::memcpy(&kind, event.data(), 2);
    std::memcpy(&fd, static_cast<const char*>(event.data()) + 2, 4);
    if (kind != ZMQ_EVENT_DISCONNECTED) continue;
    auto it = by_fd_.find(static_cast<int>(fd));
    if (it == by_fd_.end()) continue;
    if (it->second.admitted && --admitted_[it->second.key] <= 0) admitted_.erase(it->second.key);
    by_fd_.erase(it);
  }
}

bool ConnectionLimit::Admit(const zmq::message_t& message, const std::string& key) {
  if (per_key_ <= 0) return true;
  // ZMQ_SRCFD: the descriptor the message came on (deprecated in libzmq for lack of a better
  // per-connection handle on a ROUTER; it is what identifies a connection here).
  const int fd = zmq_msg_get(const_cast<zmq_msg_t*>(message.handle()), ZMQ_SRCFD);
  if (fd < 0) return true;
  auto it = by_fd_.find(fd);
  if (it == by_fd_.end() || it->second.key != key) {
    if (it != by_fd_.end() && it->second.admitted) --admitted_[it->second.key];  // a reused descriptor
    Connection c{key, admitted_[key] < per_key_};
    if (c.admitted) ++admitted_[key];
    it = by_fd_.insert_or_assign(fd, c).first;
  }
  return it->second.admitted;
}

}  // namespace ppe
