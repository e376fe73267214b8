// Deliveries out: each county's gap-free queue of order states, and the city-wide stream of
// catalogue changes, each pushed after the commit that made it, a window at a time, replayed on
// hello and re-pushed when stale. Part of BrokerServer.
#include <spdlog/spdlog.h>

#include <algorithm>

#include "broker/broker_server.h"
#include "common/clock.h"

namespace ppe {
namespace {

constexpr size_t kDeliveriesPerFrame = 256;
// Delivery entries in flight to a county beyond its last order ack (about 250 KB).
constexpr uint64_t kDeliveryWindow = 1024;
constexpr int64_t kReplayEveryMs = 1000;
// Deliveries not acknowledged this long after a push are pushed again.
constexpr int64_t kRedeliverAfterMs = 3000;
// Catalogue changes are few (sites added in a day): a frame carries this many, and a node is
// sent at most a window of them past what it acknowledged.
constexpr size_t kCatalogueChangesPerFrame = 64;
constexpr uint64_t kCatalogueWindow = 256;

}  // namespace

// Hello, heartbeat and order acks: the node is alive here; note what it holds.
void BrokerServer::HandleNodeContact(const Identity& who, const std::string& routing_id,
                                     const wire::Envelope& envelope) {
  EnsureBatch();
  const int64_t now = NowMs();
  NodeProgress& p = store_->Progress(who.name, who.county);
  p.last_contact_ms = now;
  CountyLink& link = links_[who.county];
  link.routing_id = routing_id;
  link.key = who.name;
  NoteCatalogueHeld(link, envelope);
  if (envelope.has_catalogue_ack()) return;
  if (envelope.has_order_ack()) {
    if (Status s = orders_->Acknowledge(who.county, envelope.order_ack().up_to_seq(), now); !s.ok()) {
      spdlog::error("store failure on an order ack from {}: {}", who.name, s.message());
      batch_failed_ = true;
    }
    to_push_.insert(who.county);  // the window moved: what waited behind it goes now
    return;
  }
  if (envelope.has_hello()) {
    p.recorded_head = envelope.hello().recorded_head();
    const uint64_t held = envelope.hello().orders_held();
    if (Status s = orders_->CatchUpDeliveries(who.county, held); !s.ok()) batch_failed_ = true;
    if (minute_budgets_->TakeLogLine(who.name, now)) {
      spdlog::info("node {} connected (holds reports up to {}, broker applied {}; holds orders up to {})",
                   who.name, p.recorded_head, p.last_seq, held);
    }
    const uint64_t oldest = envelope.hello().oldest_held();
    // Only a range below what the node itself says it recorded can be lost.
    if (oldest > p.last_seq + 1 && oldest <= p.recorded_head + 1) {
      // The node no longer holds what this store lacks (it was restored from a copy older than
      // the node keeps acknowledged reports): say so, and take the stream from what it holds.
      spdlog::error("reports {} to {} of {} are lost: this store lacks them and the node no longer "
                    "holds them (docs/operations.md)", p.last_seq + 1, oldest - 1, who.name);
      if (Status s = store_->RecordLostReports(p, p.last_seq + 1, oldest - 1, now); !s.ok()) batch_failed_ = true;
      p.last_seq = oldest - 1;
    }
    if (Status s = orders_->Acknowledge(who.county, held, now); !s.ok()) batch_failed_ = true;
    // Replay whatever it lacks, a window at a time; a hello flood replays at most once a second
    // (heartbeats re-push anything stale in any case).
    if (MonotonicMs() - link.last_replay_ms >= kReplayEveryMs) {
      link.sent = held;
      link.last_replay_ms = MonotonicMs();
      to_push_.insert(who.county);
    }
    wire::Envelope welcome;
    welcome.mutable_welcome()->set_last_applied_seq(p.last_seq);
    welcome.mutable_welcome()->set_server_time_ms(now);
    after_commit_.push_back({routing_id, welcome, ""});
    return;
  }
  p.recorded_head = envelope.heartbeat().recorded_head();
  after_commit_.push_back({routing_id, wire::Envelope(), who.name});
  // The heartbeat says what the node holds: that is an ack too (one may have been lost), and
  // anything beyond it that was pushed a while ago, or never to this broker process, is pushed again.
  const uint64_t held = envelope.heartbeat().orders_held();
  if (Status s = orders_->CatchUpDeliveries(who.county, held); !s.ok()) batch_failed_ = true;
  if (Status s = orders_->Acknowledge(who.county, held, now); !s.ok()) batch_failed_ = true;
  const bool stale = MonotonicMs() - link.last_push_ms > kRedeliverAfterMs;
  if (orders_->DeliveryHead(who.county) > held && (link.sent <= held || stale)) {
    link.sent = held;
    to_push_.insert(who.county);
  }
}

// After the commits: the counties whose queue grew get their entries, and the dispatch log file
// and feed catch up with the store's order events (the commits' and any a crash left unwritten).
void BrokerServer::PublishOrderEvents() {
  const auto touched = orders_->TakeTouchedCounties();
  if (!touched.empty()) ++demand_changes_;  // in transit moved
  for (const std::string& county : touched) to_push_.insert(county);
  if (Status s = dispatch_log_->CatchUp(); !s.ok()) spdlog::error("{}; tried again later", s.message());
}

void BrokerServer::PushDeliveries() {
  const int64_t now = MonotonicMs();
  for (const std::string& county : to_push_) {
    auto it = links_.find(county);
    if (it == links_.end() || it->second.routing_id.empty()) continue;  // sent on its next hello
    CountyLink& link = it->second;
    if (!ring_->ByName(link.key)) continue;  // revoked: nothing more down its connection
    // A window past what the node acknowledged: a reader that never reads holds at most this
    // much of the broker's memory, and the rest follows its acks.
    const uint64_t limit = orders_->DeliveryAcked(county) + kDeliveryWindow;
    while (link.sent < limit) {
      wire::Envelope envelope;
      const size_t room = std::min<uint64_t>(kDeliveriesPerFrame, limit - link.sent);
      if (Status s = orders_->Deliveries(county, link.sent, room, envelope.mutable_orders());
          !s.ok()) {
        spdlog::error("reading deliveries for {}: {}", county, s.message());
        break;
      }
      const auto& entries = envelope.orders().entries();
      if (entries.empty()) break;
      Send(link.routing_id, envelope);
      link.sent = entries.rbegin()->seq();
      link.last_push_ms = now;
    }
  }
  to_push_.clear();
  PushCatalogue();
}

void BrokerServer::NoteCatalogueHeld(CountyLink& link, const wire::Envelope& envelope) {
  const uint64_t version = catalogue_->version();
  if (envelope.has_catalogue_ack()) {
    link.takes_catalogue = true;
    link.catalogue_held = std::max(link.catalogue_held, envelope.catalogue_ack().up_to_version());
    return;
  }
  if (envelope.has_hello()) {
    link.takes_catalogue = envelope.hello().has_catalogue_held();
    link.catalogue_held = link.catalogue_sent = envelope.hello().catalogue_held();  // replay from there
    return;
  }
  if (!envelope.has_heartbeat() || !envelope.heartbeat().has_catalogue_held()) return;
  // A heartbeat says what the node holds: a change pushed a while ago and still missing is pushed
  // again (a frame may have been dropped), and a broker restarted without a hello resumes here.
  link.takes_catalogue = true;
  link.catalogue_held = envelope.heartbeat().catalogue_held();
  const bool stale = MonotonicMs() - link.catalogue_push_ms > kRedeliverAfterMs;
  if (link.catalogue_held < version && (link.catalogue_sent <= link.catalogue_held || stale)) {
    link.catalogue_sent = link.catalogue_held;
  }
}

void BrokerServer::SpreadCatalogueChange() {
  if (!catalogue_->TakeAdopted()) return;
  reads_->PublishCity(city_);
  spdlog::info("catalogue version {}: goes to every node that takes the catalogue stream", catalogue_->version());
}

void BrokerServer::PushCatalogue() {
  const uint64_t version = catalogue_->version();
  const int64_t now = MonotonicMs();
  for (auto& [county, link] : links_) {
    if (!link.takes_catalogue || link.routing_id.empty() || link.catalogue_sent >= version) continue;
    if (!ring_->ByName(link.key)) continue;  // revoked
    const uint64_t limit = std::min(version, link.catalogue_held + kCatalogueWindow);
    while (link.catalogue_sent < limit) {
      wire::Envelope envelope;
      const size_t room = std::min<uint64_t>(kCatalogueChangesPerFrame, limit - link.catalogue_sent);
      if (Status s = catalogue_->ChangesAfter(link.catalogue_sent, room, envelope.mutable_catalogue()); !s.ok()) {
        spdlog::error("reading catalogue changes for {}: {}", county, s.message());
        break;
      }
      const auto& changes = envelope.catalogue().changes();
      if (changes.empty()) break;
      Send(link.routing_id, envelope);
      link.catalogue_sent = changes.rbegin()->version();
      link.catalogue_push_ms = now;
    }
  }
}
}  // namespace ppe
