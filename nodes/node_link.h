// NodeLink: the node daemon's connection to the broker. Sends the outbox in order with a window of
// reports in flight, resends whatever is unacknowledged after any loss, and heartbeats.
#pragma once

#include <atomic>
#include <cstdint>
#include <zmq.hpp>

#include "common/deployment.h"
#include "nodes/node_store.h"

namespace ppe {

class NodeLink {
 public:
  // `store` must outlive the link.
  NodeLink(const NodeConfig& config, NodeStore& store);
  Status Connect();
  // Serves until `stop` is set.
  void Run(const std::atomic<bool>& stop);

 private:
  void Receive(int64_t now);
  void Handle(const wire::Envelope& envelope, int64_t now);
  void SendReports(int64_t now);
  void Tick(int64_t now);
  bool Send(const wire::Envelope& envelope);
  void SendHello();
  void PersistAck();
  void Prune();
  void RewindTo(uint64_t applied, int64_t now);
  void NoteClock(int64_t broker_ms);

  const NodeConfig& config_;
  NodeStore& store_;
  zmq::context_t context_;
  zmq::socket_t socket_;

  bool connected_ = false;     // the broker answered recently
  uint64_t acked_ = 0;         // highest seq the broker acknowledged
  uint64_t persisted_ack_ = 0;  // ... as last written to the store
  int64_t last_persist_ms_ = 0;
  uint64_t next_to_send_ = 1;  // next seq to put on the wire
  uint64_t head_ = 0;          // highest seq in the outbox, as last read
  int64_t last_heard_ms_ = 0;
  int64_t last_progress_ms_ = 0;  // last ack that moved acked_ forward (or last rewind)
  int64_t next_tick_ms_ = 0;
  int64_t next_outbox_poll_ms_ = 0;
  int64_t paused_until_ms_ = 0;  // after a RATE_LIMITED refusal
  int64_t next_prune_ms_ = 0;
};

}  // namespace ppe
