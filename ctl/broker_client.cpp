#include "ctl/broker_client.h"

#include "common/wire.h"

namespace ppe {

BrokerClient::~BrokerClient() {
  watch_.reset();
  socket_.close();
}

Status BrokerClient::Connect() {
  PPE_RETURN_IF_ERROR(SecureClientSocket(socket_, config_.endpoint));
  watch_ = std::make_unique<HandshakeWatch>(context_, socket_, "ctl");
  try {
    socket_.connect(config_.endpoint.address);
  } catch (const zmq::error_t& e) {
    return Status::Error("cannot connect to '" + config_.endpoint.address + "': " + e.what());
  }
  return Status::Ok();
}

Result<std::string> BrokerClient::CallText(const std::string& command, const nlohmann::json& args,
                                          int timeout_ms) {
  wire::Envelope envelope;
  const uint64_t id = next_id_++;
  envelope.mutable_request()->set_id(id);
  envelope.mutable_request()->set_command(command);
  envelope.mutable_request()->set_args_json(args.dump());
  zmq::message_t frame = Encode(envelope);
  socket_.send(frame, zmq::send_flags::none);
  const int64_t deadline = MonotonicMs() + timeout_ms;
  while (MonotonicMs() < deadline) {
    zmq::pollitem_t items[] = {{socket_.handle(), 0, ZMQ_POLLIN, 0},
                               {watch_->events().handle(), 0, ZMQ_POLLIN, 0}};
    zmq::poll(items, 2, std::chrono::milliseconds(std::max<int64_t>(1, deadline - MonotonicMs())));
    if (watch_->Refused()) {
      return Status::Error("the broker at " + config_.endpoint.address + " refused this key ('" +
                           config_.endpoint.key + "'): it is not, or no longer, in the broker's key folder");
    }
    if (!(items[0].revents & ZMQ_POLLIN)) continue;
    std::vector<zmq::message_t> parts(1);
    if (!socket_.recv(parts.front(), zmq::recv_flags::dontwait)) continue;
    // A large reply comes as one message of several frames: they arrive together.
    while (parts.back().more()) {
      zmq::message_t part;
      if (!socket_.recv(part, zmq::recv_flags::none)) break;
      parts.push_back(std::move(part));
    }
    wire::Envelope reply;
    if (Status s = Decode(parts, &reply); !s.ok()) return s;
    if (reply.has_error()) return Status::Error("broker: " + reply.error().text());
    if (!reply.has_reply() || reply.reply().id() != id) continue;
    if (!reply.reply().ok()) return Status::Error(reply.reply().error());
    return std::move(*reply.mutable_reply()->mutable_json());
  }
  return Status::Error("no answer from the broker at " + config_.endpoint.address + " within " +
                       std::to_string(timeout_ms / 1000) + " s: is ppe-broker running there?");
}


Result<nlohmann::json> BrokerClient::Call(const std::string& command, const nlohmann::json& args,
                                          int timeout_ms) {
  auto text = CallText(command, args, timeout_ms);
  if (!text.ok()) return text.status();
  try {
    return nlohmann::json::parse(*text);
  } catch (const nlohmann::json::exception& e) {
    return Status::Error(std::string("broker sent unreadable JSON: ") + e.what());
  }
}

}  // namespace ppe
