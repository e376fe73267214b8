#include "tests/raw_client.h"

#include <gtest/gtest.h>

#include "common/wire.h"

namespace ppe::testing {

wire::Envelope StockBatch(uint64_t first_seq, int count, const std::string& warehouse, int64_t quantity) {
  wire::Envelope envelope;
  for (int i = 0; i < count; ++i) {
    wire::Report* r = envelope.mutable_reports()->add_reports();
    r->set_seq(first_seq + i);
    r->mutable_stock()->set_warehouse(warehouse);
    r->mutable_stock()->set_item("mask.n95");
    r->mutable_stock()->set_quantity(quantity);
  }
  return envelope;
}

wire::Envelope DemandBatch(uint64_t seq, const std::string& site, double daily_use) {
  wire::Envelope envelope;
  wire::Report* d = envelope.mutable_reports()->add_reports();
  d->set_seq(seq);
  d->mutable_demand()->set_site(site);
  d->mutable_demand()->set_item("mask.n95");
  d->mutable_demand()->set_daily_use(daily_use);
  return envelope;
}

RawClient::RawClient(const std::string& node_config_path) {
  // A node's config, or a ppe-ctl one (ctl.yaml, viewer.yaml): only the endpoint is used.
  auto node = NodeConfig::Load(node_config_path);
  auto client = node.ok() ? Result<ClientConfig>(Status::Error("")) : ClientConfig::Load(node_config_path);
  if (!node.ok() && !client.ok()) {
    ADD_FAILURE() << client.status().message();
    return;
  }
  const BrokerEndpoint& endpoint = node.ok() ? node->endpoint : client->endpoint;
  EXPECT_TRUE(SecureClientSocket(socket_, endpoint).ok());
  socket_.connect(endpoint.address);
}

void RawClient::Send(const wire::Envelope& envelope) {
  zmq::message_t frame = Encode(envelope);
  socket_.send(frame, zmq::send_flags::none);
}

void RawClient::SendRaw(const std::string& bytes) { socket_.send(zmq::buffer(bytes), zmq::send_flags::none); }

std::optional<wire::Envelope> RawClient::Receive(int timeout_ms) {
  const std::optional<std::string> bytes = ReceiveRaw(timeout_ms);
  wire::Envelope envelope;
  if (!bytes || bytes->empty() || !envelope.ParseFromString(*bytes) ||
      envelope.body_case() == wire::Envelope::BODY_NOT_SET) {
    return std::nullopt;
  }
  return envelope;
}

std::optional<std::string> RawClient::ReceiveRaw(int timeout_ms) {
  zmq::pollitem_t items[] = {{socket_.handle(), 0, ZMQ_POLLIN, 0}};
  zmq::poll(items, 1, std::chrono::milliseconds(timeout_ms));
  if (!(items[0].revents & ZMQ_POLLIN)) return std::nullopt;
  zmq::message_t frame;
  if (!socket_.recv(frame, zmq::recv_flags::dontwait)) return std::nullopt;
  return frame.to_string();
}

bool RawClient::WaitAck(uint64_t seq, std::vector<wire::ReportError>* errors, int timeout_ms) {
  const int64_t deadline = MonotonicMs() + timeout_ms;
  while (MonotonicMs() < deadline) {
    auto envelope = Receive(static_cast<int>(std::max<int64_t>(1, deadline - MonotonicMs())));
    if (!envelope) continue;
    if (envelope->has_report_error() && errors) errors->push_back(envelope->report_error());
    if (envelope->has_ack() && envelope->ack().up_to_seq() >= seq) return true;
  }
  return false;
}

}  // namespace ppe::testing
