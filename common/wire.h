// Wire: how an Envelope becomes one ZeroMQ frame and back, and how a client socket is secured.
// Decoding never trusts the bytes: any failure is a Status, never a crash or a partial message.
#pragma once

#include <cstdint>
#include <string>
#include <zmq.hpp>

#include "common/deployment.h"
#include "common/status.h"
#include "ppe.pb.h"

namespace ppe {

zmq::message_t Encode(const wire::Envelope& envelope);
Status Decode(const zmq::message_t& frame, wire::Envelope* envelope);

// Sets up CURVE (or PLAIN when insecure) on a DEALER before it connects, with the client's
// certificate; linger bounded so a stopping client never hangs.
Status SecureClientSocket(zmq::socket_t& socket, const BrokerEndpoint& endpoint);

// Milliseconds since the Unix epoch (wall clock: for records people read).
int64_t NowMs();
// Milliseconds on a monotonic clock (for timers and timeouts).
int64_t MonotonicMs();

// "2026-02-03 14:05:09" in local time; "-" for 0.
std::string FormatTime(int64_t ms);

}  // namespace ppe
