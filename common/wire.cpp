#include "common/wire.h"

#include "common/certificate.h"

namespace ppe {

zmq::message_t Encode(const wire::Envelope& envelope) {
  zmq::message_t frame(envelope.ByteSizeLong());
  envelope.SerializeToArray(frame.data(), static_cast<int>(frame.size()));
  return frame;
}

Status Decode(const zmq::message_t& frame, wire::Envelope* envelope) {
  if (frame.size() == 0) return Status::Error("empty frame");
  if (!envelope->ParseFromArray(frame.data(), static_cast<int>(frame.size()))) {
    return Status::Error("frame is not a valid message (" + std::to_string(frame.size()) +
                         " bytes)");
  }
  if (envelope->body_case() == wire::Envelope::BODY_NOT_SET) {
    return Status::Error("message of an unknown type");
  }
  return Status::Ok();
}

Status SecureClientSocket(zmq::socket_t& socket, const BrokerEndpoint& endpoint) {
  auto mine = Certificate::Load(endpoint.key);
  if (!mine.ok()) return mine.status();
  if (mine->secret_key.empty()) {
    return Status::Error("'" + endpoint.key + "' is a public certificate; the secret one is needed");
  }
  socket.set(zmq::sockopt::linger, 0);
  if (!endpoint.secure) {
    socket.set(zmq::sockopt::plain_username, mine->Meta("name"));
    socket.set(zmq::sockopt::plain_password, mine->public_key);
    return Status::Ok();
  }
  auto broker = Certificate::Load(endpoint.broker_key);
  if (!broker.ok()) return broker.status();
  socket.set(zmq::sockopt::curve_serverkey, broker->public_key);
  socket.set(zmq::sockopt::curve_publickey, mine->public_key);
  socket.set(zmq::sockopt::curve_secretkey, mine->secret_key);
  return Status::Ok();
}

}  // namespace ppe
