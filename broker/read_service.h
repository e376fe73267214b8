// ReadService: answers every ppe-ctl command that only reads (status, stock, demand, orders, log,
// explain, check, and the dry-run plans) on a thread of its own, through its own connection to the
// store, so the broker's loop keeps applying and acknowledging reports meanwhile. It sees only
// committed state: a report acknowledged before a request is in the answer.
#pragma once

#include <nlohmann/json.hpp>
#include <zmq.hpp>

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "broker/broker_store.h"
#include "broker/ctl_service.h"
#include "broker/order_book.h"
#include "common/city.h"
#include "common/deployment.h"
#include "common/identity.h"
#include "ppe.pb.h"

namespace ppe {

class ReadService {
 public:
  // Requests waiting beyond this are told to ask again (RATE_LIMITED); the key budgets keep any one
  // key far below it.
  static constexpr size_t kMaxWaiting = 32;

  struct Job {
    std::string routing_id;
    Identity who;
    wire::Request request;
    nlohmann::json args;
    std::map<std::string, NodeProgress> progress;  // the loop's, as of the last commit
    CtlService::LoopFigures loop;
  };
  struct Done {
    std::string routing_id;
    // The Envelope{reply} serialized here, off the loop; shared with the frames that carry it
    // (ZeroMQ releases them on its I/O thread), so the loop never copies a 10 MB plan.
    std::shared_ptr<const std::string> envelope;
  };

  // `config` and `context` must outlive the service; it keeps a copy of `city`, its own.
  ReadService(const City& city, const BrokerConfig& config, zmq::context_t& context);
  ~ReadService();  // finishes the request under way, drops the rest, joins

  // Opens the service's connection to `store_path` (already opened and migrated by the broker) and
  // starts the thread; the connection is the thread's alone from then on.
  Status Start(const std::string& store_path);
  // Queues a request; false when kMaxWaiting are waiting already.
  bool Submit(Job job);
  // Logs, once each, the alerts that appeared since the last call (broker log, warn), computed
  // on the service's thread with the loop's node progress; dropped when the queue is full.
  void LogAlerts(std::map<std::string, NodeProgress> progress);
  // The catalogue changed: every request submitted after this call is answered with `city`.
  void PublishCity(City city);
  // Readable (ZMQ_POLLIN) when a request is answered: for the loop's poll.
  zmq::socket_t& done_socket() { return done_pull_; }
  // The answered requests, oldest first; clears the socket's signals.
  std::vector<Done> TakeDone();

 private:
  void Work();
  wire::Reply Answer(const Job& job);
  void LogNewAlerts(const Job& job);
  wire::Reply Plan(const Job& job);

  City city_;  // the thread's; replaced from next_city_ between requests
  const BrokerConfig& config_;
  zmq::socket_t done_pull_, done_push_;  // inproc: the thread's "answered" nudges to the loop
  std::unique_ptr<BrokerStore> store_;
  std::unique_ptr<OrderBook> orders_;
  std::unique_ptr<CtlService> ctl_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Job> jobs_;
  std::vector<Done> done_;
  std::optional<City> next_city_;  // under mutex_: published by the loop, taken with the next job
  std::set<std::string> logged_alerts_;  // the thread's only
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace ppe
