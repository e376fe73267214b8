#include "broker/zap_handler.h"

#include <spdlog/spdlog.h>
#include <zmq_addon.hpp>

namespace ppe {

ZapHandler::ZapHandler(zmq::context_t& context, const KeyRing* ring)
    : socket_(context, zmq::socket_type::rep), ring_(ring) {
  socket_.set(zmq::sockopt::linger, 0);
  socket_.bind("inproc://zeromq.zap.01");
}

void ZapHandler::HandlePending() {
  for (;;) {
    std::vector<zmq::message_t> request;
    auto received = zmq::recv_multipart(socket_, std::back_inserter(request), zmq::recv_flags::dontwait);
    if (!received) return;
    HandleOne(request);
  }
}

// Request frames (RFC 27): version, request id, domain, address, routing id, mechanism, credentials.
void ZapHandler::HandleOne(std::vector<zmq::message_t>& request) {
  std::string status = "400", text = "unknown key", user_id;
  const std::string request_id = request.size() > 1 ? request[1].to_string() : "";
  const std::string domain = request.size() > 2 ? request[2].to_string() : "";
  const std::string address = request.size() > 3 ? request[3].to_string() : "?";
  const std::string mechanism = request.size() > 5 ? request[5].to_string() : "";
  const Identity* who = nullptr;
  if (mechanism == "CURVE" && request.size() >= 7 && request[6].size() == 32) {
    char z85[41];
    zmq_z85_encode(z85, static_cast<const uint8_t*>(request[6].data()), 32);
    who = ring_->ByKey(z85);
  } else if (mechanism == "PLAIN" && request.size() >= 8) {
    const std::string name = request[6].to_string();
    const std::string key = ring_->KeyOf(name);
    if (!key.empty() && key == request[7].to_string()) who = ring_->ByName(name);
  }
  if (who && domain == "feed" && who->role == Role::kNode) {
    text = "the dispatch feed is for coordinators and viewers";
    who = nullptr;
  }
  if (who) {
    status = "200";
    text = "OK";
    user_id = who->name;
  } else {
    spdlog::warn("refused a {} connection from {}: key not in the broker's key folder", mechanism,
                 address);
  }
  std::array<zmq::const_buffer, 6> reply = {zmq::str_buffer("1.0"), zmq::buffer(request_id),
                                            zmq::buffer(status),      zmq::buffer(text),
                                            zmq::buffer(user_id),     zmq::str_buffer("")};
  zmq::send_multipart(socket_, reply);
}

}  // namespace ppe
