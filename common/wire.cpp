#include "common/wire.h"

#include <google/protobuf/io/zero_copy_stream_impl.h>

#include <deque>

#include "common/certificate.h"

namespace ppe {

zmq::message_t Encode(const wire::Envelope& envelope) {
  zmq::message_t frame(envelope.ByteSizeLong());
  envelope.SerializeToArray(frame.data(), static_cast<int>(frame.size()));
  return frame;
}

namespace {
Status Known(const wire::Envelope& envelope) {
  if (envelope.body_case() == wire::Envelope::BODY_NOT_SET) return Status::Error("message of an unknown type");
  return Status::Ok();
}
}  // namespace

Status Decode(const zmq::message_t& frame, wire::Envelope* envelope) {
  if (frame.size() == 0) return Status::Error("empty frame");
  if (!envelope->ParseFromArray(frame.data(), static_cast<int>(frame.size()))) {
    return Status::Error("frame is not a valid message (" + std::to_string(frame.size()) +
                         " bytes)");
  }
  return Known(*envelope);
}

Status Decode(const std::vector<zmq::message_t>& parts, wire::Envelope* envelope) {
  if (parts.size() == 1) return Decode(parts.front(), envelope);
  std::deque<google::protobuf::io::ArrayInputStream> arrays;  // neither copied nor moved
  std::vector<google::protobuf::io::ZeroCopyInputStream*> streams;
  size_t bytes = 0;
  for (const zmq::message_t& part : parts) {
    arrays.emplace_back(part.data(), static_cast<int>(part.size()));
    streams.push_back(&arrays.back());
    bytes += part.size();
  }
  google::protobuf::io::ConcatenatingInputStream joined(streams.data(), static_cast<int>(streams.size()));
  if (bytes == 0 || !envelope->ParseFromZeroCopyStream(&joined)) {
    return Status::Error("message of " + std::to_string(parts.size()) + " frames is not valid (" +
                         std::to_string(bytes) + " bytes)");
  }
  return Known(*envelope);
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
