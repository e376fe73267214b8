// ConnectionLimit: how many connections each key holds on the broker's ROUTER, learnt from each
// message's source descriptor and libzmq's socket monitor (disconnects); at most N served per key.
#pragma once

#include <map>
#include <string>
#include <zmq.hpp>

namespace ppe {

class ConnectionLimit {
 public:
  // Monitors `router`, which must outlive this object. per_key: connections served per key.
  ConnectionLimit(zmq::context_t& context, zmq::socket_t& router, int per_key);

  // Applies the disconnects libzmq reported since the last call, so a descriptor the kernel
  // reuses is not charged to the key that had it before. Call before reading a cycle.
  void Update();
  // Whether the connection `message` arrived on may be served for `key`. A connection is counted
  // when its first message arrives; those past the key's limit are never served (their
  // messages are refused), until some of the key's connections close.
  bool Admit(const zmq::message_t& message, const std::string& key);
  int per_key() const { return per_key_; }

 private:
  struct Connection {
    std::string key;
    bool admitted = false;
  };
  zmq::socket_t monitor_;
  int per_key_;
  std::map<int, Connection> by_fd_;
  std::map<std::string, int> admitted_;  // per key
};

}  // namespace ppe
