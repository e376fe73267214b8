// Wire: how an Envelope becomes one ZeroMQ frame and back, and how a client socket is secured.
// Decoding never trusts the bytes: any failure is a Status, never a crash or a partial message.
#pragma once

#include <cstdint>
#include <string>
#include <vector>
#include <zmq.hpp>

#include "common/clock.h"
#include "common/deployment.h"
#include "common/status.h"
#include "ppe.pb.h"

namespace ppe {

zmq::message_t Encode(const wire::Envelope& envelope);
Status Decode(const zmq::message_t& frame, wire::Envelope* envelope);
// One Envelope sent as several frames (a large reply, cut in parts by the broker): parsed across
// them in place, never joined into one copy first.
Status Decode(const std::vector<zmq::message_t>& parts, wire::Envelope* envelope);

// Sets up CURVE (or PLAIN when insecure) on a DEALER before it connects, with the client's
// certificate; linger bounded so a stopping client never hangs.
Status SecureClientSocket(zmq::socket_t& socket, const BrokerEndpoint& endpoint);

}  // namespace ppe
