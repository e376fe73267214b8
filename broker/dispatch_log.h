// DispatchLog: the dispatch log file, a projection of the store's order events (one JSON line
// each, with its id), and the live feed. After any crash it catches up: each event once, in order.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <zmq.hpp>

#include "common/status.h"

namespace ppe {

// Where the log's lines come from: the store's order events, in id order (OrderBook in the
// broker, a list in tests). Each row is an object with its id as "event".
class OrderEventSource {
 public:
  virtual ~OrderEventSource() = default;
  virtual Result<nlohmann::json> EventsAfter(int64_t after, int64_t limit) = 0;
  virtual int64_t LastEventId() = 0;
  // The id of a line written before lines carried one (matched on order, status and at_ms);
  // 0 when no event matches.
  virtual int64_t FindUnnumbered(const nlohmann::json& line) = 0;
};

// The file is written after the commits it shows, never inside them, and never synced: whatever
// a crash loses from its end (or leaves torn there) Open() finds and writes again from the store.
class DispatchLog {
 public:
  // path may be empty (no file); feed may be null (no live feed). Keeps `keep` rotated files
  // (path.1 newest). `source` must outlive the log.
  DispatchLog(std::string path, zmq::socket_t* feed, OrderEventSource& source,
              int64_t max_bytes = 16 << 20, int keep = 5);
  ~DispatchLog();
  DispatchLog(const DispatchLog&) = delete;
  DispatchLog& operator=(const DispatchLog&) = delete;

  // Finds the last event the file (or its newest rotated file) holds, cutting off a torn last
  // line, then catches up. A file whose newest events the store does not hold (the store was
  // restored from a backup) keeps what the store holds; the lines from the first it lacks go to
  // path.orphaned-<ms>, said in the log.
  Status Open();
  // Writes and publishes every event after the last one written. Cheap when there is none; a
  // file that cannot be written is retried at a later call, and the feed goes on meanwhile.
  Status CatchUp();

  int64_t last_written() const { return file_last_; }

 private:
  Status FindEnd();
  Status LastLineIn(const std::string& path, nlohmann::json* line);
  bool InStore(const nlohmann::json& line, int64_t* id);
  Status WriteLine(const std::string& line);
  void Publish(const std::string& line);
  void Rotate();

  std::string path_;
  zmq::socket_t* feed_;
  OrderEventSource& source_;
  int64_t max_bytes_;
  int keep_;
  int fd_ = -1;
  int64_t size_ = 0;
  int64_t file_last_ = 0;  // the highest event id in the file
  int64_t feed_last_ = 0;  // the highest event id published
  int64_t retry_file_ms_ = 0;  // after a write failure: not before this (monotonic)
};

}  // namespace ppe
