// RoundPlanner: makes the plans nobody commits (allocate --dry-run, explain --site --dry-run) on a
// thread of its own, through its own connection to the store, so the broker's loop keeps applying
// and acknowledging reports while a province is planned. It reads only committed state.
#pragma once

#include <nlohmann/json.hpp>
#include <zmq.hpp>

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/city.h"
#include "common/sqlite_db.h"
#include "ppe.pb.h"

namespace ppe {

class RoundPlanner {
 public:
  // Jobs waiting beyond this are refused (RATE_LIMITED): one plan at a time is all a city needs.
  static constexpr size_t kMaxWaiting = 4;

  struct Job {
    std::string routing_id;
    uint64_t request_id = 0;
    std::string command;  // "allocate" or "explain"
    nlohmann::json args;
  };
  struct Done {
    std::string routing_id;
    wire::Reply reply;  // its id set
  };

  // `city` and `context` must outlive the planner.
  RoundPlanner(const City& city, zmq::context_t& context);
  ~RoundPlanner();  // finishes the job under way, drops the rest, joins

  // Opens the planner's connection to `store_path` (already migrated by the broker) and starts
  // the thread. The connection is the thread's alone from then on.
  Status Start(const std::string& store_path);
  // Whether `command` with `args` is a plan for the planner to make.
  static bool Takes(const std::string& command, const nlohmann::json& args);
  // Queues a job; false when kMaxWaiting are waiting already.
  bool Submit(Job job);
  // Readable (ZMQ_POLLIN) when a job is done: for the loop's poll.
  zmq::socket_t& done_socket() { return done_pull_; }
  // The finished jobs, oldest first; clears the socket's signals.
  std::vector<Done> TakeDone();
  size_t waiting() const;

 private:
  void Work();
  wire::Reply Plan(const Job& job);

  const City& city_;
  zmq::socket_t done_pull_, done_push_;  // inproc: the worker's "done" nudges to the loop
  std::unique_ptr<SqliteDb> db_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Job> jobs_;
  std::vector<Done> done_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace ppe
