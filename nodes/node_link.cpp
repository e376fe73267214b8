#include "nodes/node_link.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdlib>

#include "common/catalogue_change.h"
#include "common/wire.h"

namespace ppe {
namespace {

constexpr size_t kReportsPerFrame = 512;
// Reports on the wire without an ack: enough to hide the round trip, small enough to resend.
// Keep it at most half of the broker's per-key budget (kReportsPerKeyPerCycle in
// broker/broker_server.cpp), or a full window would be refused as a flood.
constexpr uint64_t kWindow = 64 * kReportsPerFrame;
// Unacknowledged reports this long after the last progress are presumed lost and resent.
constexpr int64_t kResendAfterMs = 3000;
constexpr int64_t kOutboxPollMs = 20;
constexpr int64_t kAckPersistMs = 100;
constexpr int64_t kRateLimitPauseMs = 100;
constexpr const char* kVersion = "ppe-node 2";
constexpr int64_t kPruneEveryMs = 3600 * 1000;
// Beyond this a node's clock dates counts wrongly enough to matter (staleness is in days).
constexpr int64_t kClockSkewWarnMs = 5 * 60 * 1000;

}  // namespace

NodeLink::NodeLink(const NodeConfig& config, NodeStore& store)
    : config_(config), store_(store), context_(1), socket_(context_, zmq::socket_type::dealer) {}

Status NodeLink::Connect() {
  PPE_RETURN_IF_ERROR(SecureClientSocket(socket_, config_.endpoint));
  socket_.set(zmq::sockopt::sndhwm, 100000);
  socket_.set(zmq::sockopt::rcvhwm, 100000);
  socket_.set(zmq::sockopt::reconnect_ivl, 100);
  socket_.set(zmq::sockopt::reconnect_ivl_max, 2000);
  try {
    socket_.connect(config_.endpoint.address);
  } catch (const zmq::error_t& e) {
    return Status::Error("cannot connect to '" + config_.endpoint.address + "': " + e.what());
  }
  Prune();
  const LinkState link = store_.Link();
  acked_ = persisted_ack_ = link.last_ack;
  next_to_send_ = acked_ + 1;
  head_ = link.recorded_head;
  spdlog::info("node {} ({}) connecting to {}; {} reports pending", config_.node, config_.county,
               config_.endpoint.address, head_ - acked_);
  SendHello();
  next_tick_ms_ = MonotonicMs() + config_.heartbeat_ms;  // the next hello only if no welcome by then
  return Status::Ok();
}

void NodeLink::Run(const std::atomic<bool>& stop) {
  while (!stop.load()) {
    PersistAck();
    zmq::pollitem_t items[] = {{socket_.handle(), 0, ZMQ_POLLIN, 0}};
    try {
      zmq::poll(items, 1, std::chrono::milliseconds(kOutboxPollMs));
    } catch (const zmq::error_t& e) {
      if (e.num() != EINTR) throw;
    }
    const int64_t now = MonotonicMs();
    if (items[0].revents & ZMQ_POLLIN) Receive(now);
    if (now >= next_prune_ms_) Prune();
    Tick(now);
    SendReports(now);
  }
  PersistAck();
  store_.SetLink(false, NowMs());
}

// Acks are written at most every kAckPersistMs: writing each one (an fsync) made the node wait on
// its own disk between broker round trips. Losing the latest on a crash only means a resend,
// which the broker recognises by seq and acknowledges without applying twice.
void NodeLink::PersistAck() {
  const int64_t now = MonotonicMs();
  if (acked_ == persisted_ack_ || now - last_persist_ms_ < kAckPersistMs) return;
  if (Status s = store_.SetAcked(acked_, NowMs()); !s.ok()) {
    spdlog::error("{}", s.message());
    return;
  }
  persisted_ack_ = acked_;
  last_persist_ms_ = now;
}

void NodeLink::Prune() {
  next_prune_ms_ = MonotonicMs() + kPruneEveryMs;
  const auto keep_ms = static_cast<int64_t>(config_.keep_acked_days * 24 * 3600 * 1000);
  if (Status s = store_.PruneAcknowledged(keep_ms, NowMs()); !s.ok()) spdlog::error("pruning the outbox: {}", s.message());
}

// The broker has applied only up to `applied`, below what it had acknowledged: its store was
// put back to an older copy. Send again from there (or from the oldest report still held; the
// hello told the broker where that is, and it records the rest as lost).
void NodeLink::RewindTo(uint64_t applied, int64_t now) {
  const uint64_t oldest = store_.OldestHeld();
  spdlog::warn("the broker has applied reports only up to {}, but had acknowledged up to {}: it lost "
               "reports (restored from a backup?); sending again from {}",
               applied, acked_, std::max(applied + 1, oldest));
  if (applied + 1 < oldest) {
    spdlog::error("reports {} to {} are no longer held here (kept {} days after acknowledgement); the "
                  "broker records them as lost", applied + 1, oldest - 1, config_.keep_acked_days);
  }
  acked_ = persisted_ack_ = applied;
  if (Status s = store_.RewindAck(applied, NowMs()); !s.ok()) spdlog::error("{}", s.message());
  next_to_send_ = std::max(applied + 1, oldest);
  last_progress_ms_ = now;
}

void NodeLink::Receive(int64_t now) {
  for (;;) {
    zmq::message_t frame;
    if (!socket_.recv(frame, zmq::recv_flags::dontwait)) return;
    wire::Envelope envelope;
    if (Status s = Decode(frame, &envelope); !s.ok()) {
      spdlog::warn("ignored a message from the broker: {}", s.message());
      continue;
    }
    last_heard_ms_ = now;
    Handle(envelope, now);
  }
}

void NodeLink::Handle(const wire::Envelope& envelope, int64_t now) {
  switch (envelope.body_case()) {
    case wire::Envelope::kWelcome: {
      const uint64_t applied = envelope.welcome().last_applied_seq();
      if (!connected_) spdlog::info("connected; broker has applied up to report {}", applied);
      connected_ = true;
      store_.SetLink(true, NowMs());
      NoteClock(envelope.welcome().server_time_ms());
      // A store older than the broker's record of it: new reports must not reuse applied seqs.
      if (applied > store_.RecordedHead()) {
        if (Status s = store_.AdvancePast(applied); !s.ok()) spdlog::error("{}", s.message());
      }
      if (applied < acked_) return RewindTo(applied, now);
      acked_ = applied;
      next_to_send_ = acked_ + 1;  // whatever was in flight before is resent
      last_progress_ms_ = now;
      return;
    }
    case wire::Envelope::kAck: {
      const uint64_t up_to = envelope.ack().up_to_seq();
      if (!connected_) {
        // Acks from a broker we had given up on: greet it, so it tells us where to resume.
        SendHello();
        return;
      }
      if (up_to < acked_) {
        // Acks are cumulative and only follow a commit, so a lower one means the broker lost
        // what it had acknowledged (a store put back to an older copy, with the node still
        // connected): send again from there, and greet it so it learns what is still held.
        RewindTo(up_to, now);
        return SendHello();
      }
      if (up_to > acked_) {
        acked_ = up_to;
        last_progress_ms_ = now;
        next_to_send_ = std::max(next_to_send_, acked_ + 1);
      }
      return;
    }
    case wire::Envelope::kReportError: {
      const auto& e = envelope.report_error();
      spdlog::warn("broker refused report {}: {}", e.seq(), e.text());
      store_.RecordRefusal(e.seq(), NowMs(), wire::ErrorCode_Name(e.code()), e.text());
      return;
    }
    case wire::Envelope::kResume: {
      const uint64_t expected = envelope.resume().expected_seq();
      if (expected == 0) return;
      if (expected <= acked_) {
        // Below an acknowledgement: the broker lost what it had acknowledged. Greet it again so
        // it learns what is still held here, and send from where it is.
        RewindTo(expected - 1, now);
        return SendHello();
      }
      // Several frames past a gap each ask; rewind only if we are not already sending from there.
      if (expected <= next_to_send_ && now - last_progress_ms_ > 200) {
        spdlog::info("broker missed reports; resending from {}", expected);
        next_to_send_ = expected;
        last_progress_ms_ = now;
      }
      return;
    }
    case wire::Envelope::kOrders: {
      auto held = store_.StoreDeliveries(envelope.orders());
      if (!held.ok()) {
        spdlog::error("cannot store delivered orders: {}", held.status().message());
        return;
      }
      for (const auto& entry : envelope.orders().entries()) {
        const auto& o = entry.order();
        spdlog::info("order {} {}: {} {} from {} to {}", o.order_id(), o.status(), o.qty(), o.item(),
                     o.from_warehouse(), o.to_site());
      }
      wire::Envelope ack;
      ack.mutable_order_ack()->set_up_to_seq(*held);
      Send(ack);
      return;
    }
    case wire::Envelope::kCatalogue: {
      auto held = store_.StoreCatalogue(envelope.catalogue());
      if (!held.ok()) {
        spdlog::error("cannot store catalogue changes: {}", held.status().message());
        return;
      }
      for (const wire::CatalogueChange& change : envelope.catalogue().changes()) {
        if (change.version() <= *held) spdlog::info("catalogue version {}: {}", change.version(), DescribeCatalogueChange(change));
      }
      wire::Envelope ack;
      ack.mutable_catalogue_ack()->set_up_to_version(*held);
      Send(ack);
      return;
    }
    case wire::Envelope::kError:
      spdlog::error("broker: {}", envelope.error().text());
      if (envelope.error().code() == wire::RATE_LIMITED) {
        // Frames past our budget were dropped unread: pause, then resend from the last ack.
        next_to_send_ = acked_ + 1;
        paused_until_ms_ = now + kRateLimitPauseMs;
        last_progress_ms_ = now;
      }
      return;
    default:
      return;
  }
}

void NodeLink::SendReports(int64_t now) {
  if (!connected_ || now < paused_until_ms_) return;
  if (now >= next_outbox_poll_ms_) {
    head_ = store_.RecordedHead();
    next_outbox_poll_ms_ = now + kOutboxPollMs;
  }
  if (acked_ >= head_) return;
  if (next_to_send_ <= head_ && next_to_send_ > acked_ + kWindow) return;
  if (next_to_send_ > head_ && now - last_progress_ms_ > kResendAfterMs) {
    spdlog::info("no acknowledgement for {} ms; resending from report {}", kResendAfterMs, acked_ + 1);
    next_to_send_ = acked_ + 1;
    last_progress_ms_ = now;
  }
  while (next_to_send_ <= head_ && next_to_send_ <= acked_ + kWindow) {
    std::vector<wire::Report> reports;
    const size_t room = std::min<uint64_t>(kReportsPerFrame, acked_ + kWindow + 1 - next_to_send_);
    if (Status s = store_.ReadFrom(next_to_send_, room, &reports); !s.ok()) {
      spdlog::error("{}", s.message());
      return;
    }
    if (reports.empty()) return;
    wire::Envelope envelope;
    for (auto& r : reports) *envelope.mutable_reports()->add_reports() = std::move(r);
    if (!Send(envelope)) return;
    if (acked_ + 1 == next_to_send_) last_progress_ms_ = now;  // the clock starts with the first send
    next_to_send_ = envelope.reports().reports().rbegin()->seq() + 1;
  }
}

void NodeLink::Tick(int64_t now) {
  if (now < next_tick_ms_) return;
  next_tick_ms_ = now + config_.heartbeat_ms;
  if (connected_ && now - last_heard_ms_ > 3 * config_.heartbeat_ms) {
    spdlog::warn("broker silent for {} ms; waiting for it", now - last_heard_ms_);
    connected_ = false;
  }
  if (connected_) {
    wire::Envelope heartbeat;
    heartbeat.mutable_heartbeat()->set_recorded_head(head_);
    heartbeat.mutable_heartbeat()->set_orders_held(store_.OrdersHeld());
    heartbeat.mutable_heartbeat()->set_catalogue_held(store_.CatalogueHeld());
    Send(heartbeat);
  } else {
    SendHello();
  }
  store_.SetLink(connected_, NowMs());
}

void NodeLink::SendHello() {
  wire::Envelope hello;
  hello.mutable_hello()->set_software_version(kVersion);
  hello.mutable_hello()->set_recorded_head(store_.RecordedHead());
  hello.mutable_hello()->set_orders_held(store_.OrdersHeld());
  hello.mutable_hello()->set_catalogue_held(store_.CatalogueHeld());
  hello.mutable_hello()->set_oldest_held(store_.OldestHeld());
  Send(hello);
}

// Operators type counts as they take them; a node clock far off the broker's dates them wrong.
void NodeLink::NoteClock(int64_t broker_ms) {
  if (broker_ms <= 0) return;
  const int64_t skew = broker_ms - NowMs();
  if (std::abs(skew) > kClockSkewWarnMs) {
    spdlog::warn("this computer's clock is {} minutes {} the broker's: counts recorded here are dated "
                 "wrong; set the clock (or enable time sync)",
                 std::abs(skew) / 60000, skew < 0 ? "ahead of" : "behind");
  }
  if (Status s = store_.SetClockSkew(skew); !s.ok()) spdlog::error("{}", s.message());
}

bool NodeLink::Send(const wire::Envelope& envelope) {
  zmq::message_t frame = Encode(envelope);
  try {
    return socket_.send(frame, zmq::send_flags::dontwait).has_value();
  } catch (const zmq::error_t& e) {
    spdlog::warn("send failed: {}", e.what());
    return false;
  }
}

}  // namespace ppe
