#include "broker/read_service.h"

#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <chrono>

#include "broker/alerts.h"
#include "broker/allocator.h"
#include "broker/broker_store.h"
#include "broker/city_snapshot.h"
#include "broker/plan_json.h"
#include "broker/site_account.h"
#include "common/clock.h"

namespace ppe {
namespace {

// A job of the broker's own, never a ppe-ctl command (their names have no spaces).
constexpr const char* kLogAlerts = "log alerts";

std::string InprocName() {
  static std::atomic<int> next{0};
  return "inproc://read-service-" + std::to_string(next++);
}

}  // namespace

ReadService::ReadService(const City& city, const BrokerConfig& config, zmq::context_t& context)
    : city_(city), config_(config), done_pull_(context, zmq::socket_type::pull), done_push_(context, zmq::socket_type::push) {
  const std::string name = InprocName();
  done_pull_.bind(name);
  done_push_.connect(name);
}

ReadService::~ReadService() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    jobs_.clear();
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

Status ReadService::Start(const std::string& store_path) {
  auto store = BrokerStore::OpenReader(store_path);
  if (!store.ok()) return Status::Error("the read service cannot open the store: " + store.status().message());
  store_ = std::move(*store);
  orders_ = std::make_unique<OrderBook>(city_, *store_);
  ctl_ = std::make_unique<CtlService>(city_, config_, *store_, *orders_);
  thread_ = std::thread([this] { Work(); });
  return Status::Ok();
}

bool ReadService::Submit(Job job) {
  {
    std::lock_guard lock(mutex_);
    if (jobs_.size() >= kMaxWaiting) return false;
    jobs_.push_back(std::move(job));
  }
  wake_.notify_one();
  return true;
}

void ReadService::LogAlerts(std::map<std::string, NodeProgress> progress) {
  Job job;
  job.request.set_command(kLogAlerts);
  job.progress = std::move(progress);
  Submit(std::move(job));
}

void ReadService::PublishCity(City city) {
  std::lock_guard lock(mutex_);
  next_city_ = std::move(city);
}

std::vector<ReadService::Done> ReadService::TakeDone() {
  zmq::message_t nudge;
  while (done_pull_.recv(nudge, zmq::recv_flags::dontwait)) {
  }
  std::lock_guard lock(mutex_);
  return std::exchange(done_, {});
}

void ReadService::Work() {
  // Below the loop thread (nice 10, this thread only): on two cores a province plan competes with
  // the loop that acknowledges every node's reports, and the loop must win each time it wakes.
  setpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)), 10);
  for (;;) {
    Job job;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
      if (stopping_) return;
      job = std::move(jobs_.front());
      jobs_.pop_front();
      if (next_city_) {
        // Under the lock: the loop may publish again meanwhile. Nothing holds a Site* across jobs.
        city_ = std::move(*next_city_);
        next_city_.reset();
      }
    }
    if (job.request.command() == kLogAlerts) {
      LogNewAlerts(job);
      continue;
    }
    wire::Envelope envelope;
    *envelope.mutable_reply() = Answer(job);
    envelope.mutable_reply()->set_id(job.request.id());
    // Serialized before the lock: the loop takes the lock to collect answers.
    auto serialized = std::make_shared<const std::string>(envelope.SerializeAsString());
    {
      std::lock_guard lock(mutex_);
      done_.push_back({std::move(job.routing_id), std::move(serialized)});
    }
    // Only this thread uses the push socket; a full pipe is impossible (one nudge per job).
    done_push_.send(zmq::message_t(), zmq::send_flags::dontwait);
  }
}

void ReadService::LogNewAlerts(const Job& job) {
  store_->set_progress(job.progress);
  std::set<std::string> current;
  for (const Alert& a : CityAlerts(city_, config_, *store_, NowMs())) {
    const std::string line = a.county + ": " + a.text;
    if (!logged_alerts_.count(line)) spdlog::warn("alert {} {}", AlertKindName(a.kind), line);
    current.insert(line);
  }
  logged_alerts_.swap(current);
  store_->db().ReleaseRetired();
}

wire::Reply ReadService::Answer(const Job& job) {
  const std::string& command = job.request.command();
  wire::Reply reply;
  if (job.who.role != Role::kNode && DryRun(job.args) &&
      (command == "allocate" || (command == "explain" && job.args.contains("site")))) {
    reply = Plan(job);
  } else {
    store_->set_progress(job.progress);
    ctl_->set_loop_figures(job.loop);
    reply = ctl_->Handle(job.who, job.request);
  }
  store_->db().ReleaseRetired();  // no Statement& outlives the request
  return reply;
}

// A plan made now and shown, never stored: the round, or one site's account of it.
wire::Reply ReadService::Plan(const Job& job) {
  const auto text = [&job](const char* key) {
    return job.args.contains(key) && job.args[key].is_string() ? job.args[key].get<std::string>() : std::string();
  };
  const std::string site_id = text("site");
  const std::string item = text("item");
  SqliteDb& db = store_->db();
  const Site* site = city_.FindSite(site_id);
  if (job.request.command() == "explain") {
    if (!site) return ErrorReply(wire::UNKNOWN_SITE, "unknown site '" + site_id + "'");
    if (!item.empty() && !city_.FindItem(item)) return ErrorReply(wire::UNKNOWN_ITEM, "unknown item '" + item + "'");
  }
  const int64_t started = MonotonicMs();
  auto snapshot = TakeSnapshot(city_, db, NowMs());
  if (!snapshot.ok()) return ErrorReply(wire::INTERNAL, snapshot.status().message());
  const int64_t round = db.QueryInt("SELECT COALESCE(MAX(round), 0) + 1 FROM rounds");
  const int64_t read = MonotonicMs();
  const AllocationPlan plan = Allocate(city_, snapshot->stock, snapshot->demand);
  const int64_t planned = MonotonicMs();
  wire::Reply reply;
  reply.set_ok(true);
  if (job.request.command() == "allocate") {
    reply.set_json(PlanJsonText(city_, plan, round));
    spdlog::debug("dry run: {} ms reading the store, {} ms planning, {} ms writing {} orders", read - started,
                  planned - read, MonotonicMs() - planned, plan.orders.size());
    return reply;
  }
  nlohmann::json orders = nlohmann::json::array();
  for (const PlannedOrder& p : plan.orders) {
    if (p.to_site == site_id) orders.push_back(PlannedOrderRow(city_, p, round));
  }
  std::vector<SiteAccount> accounts;
  for (SiteAccount& a : AccountForSites(city_, *snapshot, plan)) {
    if (a.site == site_id) accounts.push_back(std::move(a));
  }
  reply.set_json(ExplainSite(city_, *site, item, accounts, orders, round, true).dump());
  return reply;
}

}  // namespace ppe
