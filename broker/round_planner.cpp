#include "broker/round_planner.h"

#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>

#include "broker/allocator.h"
#include "broker/broker_store.h"
#include "broker/city_snapshot.h"
#include "broker/plan_json.h"
#include "broker/site_account.h"
#include "common/clock.h"

namespace ppe {
namespace {

wire::Reply ErrorReply(wire::ErrorCode code, std::string text) {
  wire::Reply reply;
  reply.set_ok(false);
  reply.set_code(code);
  reply.set_error(std::move(text));
  return reply;
}

std::string InprocName() {
  static std::atomic<int> next{0};
  return "inproc://round-planner-" + std::to_string(next++);
}

bool DryRun(const nlohmann::json& args) {
  return args.contains("dry_run") && args["dry_run"].is_boolean() && args["dry_run"].get<bool>();
}

}  // namespace

RoundPlanner::RoundPlanner(const City& city, zmq::context_t& context)
    : city_(city), done_pull_(context, zmq::socket_type::pull), done_push_(context, zmq::socket_type::push) {
  const std::string name = InprocName();
  done_pull_.bind(name);
  done_push_.connect(name);
}

RoundPlanner::~RoundPlanner() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    jobs_.clear();
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

Status RoundPlanner::Start(const std::string& store_path) {
  auto db = SqliteDb::Open(store_path, BrokerMigrations());
  if (!db.ok()) return Status::Error("the round planner cannot open the store: " + db.status().message());
  db_ = std::move(*db);
  thread_ = std::thread([this] { Work(); });
  return Status::Ok();
}

bool RoundPlanner::Takes(const std::string& command, const nlohmann::json& args) {
  if (command == "allocate") return DryRun(args);
  return command == "explain" && DryRun(args) && args.contains("site");
}

bool RoundPlanner::Submit(Job job) {
  {
    std::lock_guard lock(mutex_);
    if (jobs_.size() >= kMaxWaiting) return false;
    jobs_.push_back(std::move(job));
  }
  wake_.notify_one();
  return true;
}

size_t RoundPlanner::waiting() const {
  std::lock_guard lock(mutex_);
  return jobs_.size();
}

std::vector<RoundPlanner::Done> RoundPlanner::TakeDone() {
  zmq::message_t nudge;
  while (done_pull_.recv(nudge, zmq::recv_flags::dontwait)) {
  }
  std::lock_guard lock(mutex_);
  return std::exchange(done_, {});
}

void RoundPlanner::Work() {
  for (;;) {
    Job job;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
      if (stopping_) return;
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    wire::Reply reply = Plan(job);
    reply.set_id(job.request_id);
    {
      std::lock_guard lock(mutex_);
      done_.push_back({std::move(job.routing_id), std::move(reply)});
    }
    // Only this thread uses the push socket; a full pipe is impossible (one nudge per job).
    done_push_.send(zmq::message_t(), zmq::send_flags::dontwait);
  }
}

wire::Reply RoundPlanner::Plan(const Job& job) {
  const std::string site_id = job.args.value("site", "");
  const std::string item = job.args.value("item", "");
  const Site* site = city_.FindSite(site_id);
  if (job.command == "explain") {
    if (!site) return ErrorReply(wire::UNKNOWN_SITE, "unknown site '" + site_id + "'");
    if (!item.empty() && !city_.FindItem(item)) return ErrorReply(wire::UNKNOWN_ITEM, "unknown item '" + item + "'");
  }
  const int64_t started = MonotonicMs();
  auto snapshot = TakeSnapshot(city_, *db_, NowMs());
  if (!snapshot.ok()) return ErrorReply(wire::INTERNAL, snapshot.status().message());
  const int64_t round = db_->QueryInt("SELECT COALESCE(MAX(round), 0) + 1 FROM rounds");
  const int64_t read = MonotonicMs();
  const AllocationPlan plan = Allocate(city_, snapshot->stock, snapshot->demand);
  const int64_t planned = MonotonicMs();
  db_->ReleaseRetired();
  wire::Reply reply;
  reply.set_ok(true);
  if (job.command == "allocate") {
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
