#include "web/broker_gateway.h"

#include <spdlog/spdlog.h>

#include <malloc.h>

#include <algorithm>

#include "common/clock.h"
#include "web/flat_rows.h"

namespace ppe::web {
namespace {

// FNV-1a: whether what the pages show changed since the last poll.
uint64_t Mix(uint64_t h, std::string_view text) {
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

// The status without what changes on every poll though nothing happened (the time, the loop's
// figures, each node's heartbeat).
std::string StableStatus(nlohmann::json status) {
  status.erase("at");
  status.erase("loop");
  if (status.contains("counties") && status["counties"].is_array()) {
    for (auto& c : status["counties"]) {
      if (!c.is_object()) continue;
      c.erase("last_contact");
      c.erase("last_contact_ms");
    }
  }
  return status.dump();
}

}  // namespace

BrokerGateway::BrokerGateway(const ClientConfig& config, City city)
    : config_(config), catalogue_(std::make_shared<const City>(std::move(city))) {
  auto first = std::make_shared<Snapshot>();
  first->city = catalogue_;
  snapshot_ = std::move(first);
}

BrokerGateway::~BrokerGateway() { Stop(); }

Status BrokerGateway::Start() {
  poll_client_ = std::make_unique<BrokerClient>(config_);
  ask_client_ = std::make_unique<BrokerClient>(config_);
  PPE_RETURN_IF_ERROR(poll_client_->Connect());
  PPE_RETURN_IF_ERROR(ask_client_->Connect());
  thread_ = std::thread([this] { PollLoop(); });
  return Status::Ok();
}

void BrokerGateway::Stop() {
  {
    std::lock_guard lock(stop_mutex_);
    stopping_ = true;
  }
  stop_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::shared_ptr<const Snapshot> BrokerGateway::Current() const {
  std::lock_guard lock(snapshot_mutex_);
  return snapshot_;
}

void BrokerGateway::WaitFirstPoll(int timeout_ms) {
  std::unique_lock lock(snapshot_mutex_);
  polled_.wait_for(lock, std::chrono::milliseconds(timeout_ms),
                   [this] { return snapshot_->fetched_ms > 0 || !snapshot_->error.empty(); });
}

void BrokerGateway::PollLoop() {
  while (!stopping_) {
    const int64_t started = MonotonicMs();
    try {
      PollOnce();
    } catch (const std::exception& e) {  // a reply of a shape nobody expected: said, and polled again
      spdlog::error("polling the broker: {}", e.what());
    }
    const int64_t wait = std::max<int64_t>(50, kPollMs - (MonotonicMs() - started));
    std::unique_lock lock(stop_mutex_);
    stop_cv_.wait_for(lock, std::chrono::milliseconds(wait), [this] { return stopping_.load(); });
  }
}

Result<std::shared_ptr<const City>> BrokerGateway::ReadCatalogue() {
  auto reply = poll_client_->Call("catalogue", {{"yaml_only", true}}, 15000);
  if (!reply.ok()) return reply.status();
  const std::string yaml = reply->value("yaml", std::string());
  auto parsed = City::Parse(yaml, "the broker's catalogue");
  if (!parsed.ok()) return parsed.status();
  auto at = parsed->Changed(parsed->sites(), parsed->policy(), reply->value("version", uint64_t{0}));
  if (!at.ok()) return at.status();
  *reply = nlohmann::json();
  malloc_trim(0);  // the reply's and the YAML tree's megabytes go back to the system
  return std::make_shared<const City>(std::move(*at));
}

void BrokerGateway::PollOnce() {
  auto previous = Current();
  auto next = std::make_shared<Snapshot>();
  const auto fail = [&](const std::string& why, bool away = false) {
    auto kept = std::make_shared<Snapshot>(*previous);
    kept->error = why;
    kept->broker_away = away;
    {
      std::lock_guard lock(snapshot_mutex_);
      snapshot_ = kept;
    }
    polled_.notify_all();
  };
  auto status = poll_client_->Call("status", nlohmann::json::object(), 5000);
  if (!status.ok()) return fail(status.status().message(), true);
  // The live catalogue: read once at the start (this process's city file may be older than the
  // broker's catalogue) and again whenever its version moves (a site added, a policy set).
  if (!catalogue_read_ || status->value("catalogue_version", uint64_t{0}) != catalogue_->version()) {
    auto catalogue = ReadCatalogue();
    if (!catalogue.ok()) return fail(catalogue.status().message());
    catalogue_ = std::move(*catalogue);
    catalogue_read_ = true;
  }
  next->city = catalogue_;
  // Demand rows are the largest reply (a province: 50,000 rows): read again only when the ledger
  // moved, and no more often than the last read took, three times over (a quarter of the broker's
  // read thread at most).
  const int64_t events =
      status->is_object() && status->contains("events") && (*status)["events"].is_number() ? (*status)["events"].get<int64_t>() : 0;
  const int64_t now = MonotonicMs();
  // A broker that says which cycles moved the demand rows (demand_changes) is asked for them only
  // then: a receipt moves the ledger, never a site's figures.
  const bool has_demand_changes = status->is_object() && status->contains("demand_changes");
  const uint64_t demand_changes = has_demand_changes ? status->value("demand_changes", uint64_t{0}) : 0;
  const bool demand_moved = has_demand_changes ? demand_changes != previous_demand_changes_ : events != previous_events_;
  const bool demand_due = previous->fetched_ms == 0 || demand_moved || now - demand_fetched_ms_ > 30000;
  if (demand_due && now - demand_fetched_ms_ >= 3 * demand_took_ms_) {
    const int64_t asked = MonotonicMs();
    auto text = poll_client_->CallText("demand", nlohmann::json::object(), 15000);
    if (!text.ok()) return fail(text.status().message());
    auto rows = ReadDemand(*text);
    if (!rows.ok()) return fail(rows.status().message());
    next->demand = std::make_shared<const std::vector<DemandFact>>(std::move(*rows));
    demand_hash_ = Mix(14695981039346656037ull, *text);
    text->clear();
    text->shrink_to_fit();
    malloc_trim(0);  // the reply's megabytes go back to the system, not only to malloc
    demand_took_ms_ = MonotonicMs() - asked;
    demand_fetched_ms_ = MonotonicMs();
    previous_demand_changes_ = demand_changes;
  } else {
    next->demand = previous->demand;
  }
  // Orders in flight: read again when the dispatch log has a new event (a small reply: only what
  // happened since the last one seen), throttled like the demand rows; a province has thousands.
  bool log_moved = false;
  auto log = poll_client_->CallText("log", {{"since_ms", log_since_ms_}}, 5000);
  if (!log.ok()) return fail(log.status().message());
  const Status log_read = ReadFlatRows(*log, [&](const FlatRow& r) {
    if (r.Int("event") > last_log_event_) {
      last_log_event_ = r.Int("event");
      log_moved = true;
    }
    log_since_ms_ = std::max(log_since_ms_, r.Int("at_ms"));
  });
  if (!log_read.ok()) return fail("the broker's dispatch log: " + log_read.message());
  const bool orders_due = !in_flight_ || log_moved || (!has_demand_changes && events != previous_events_) ||
                          now - orders_fetched_ms_ > 30000;
  if (orders_due && now - orders_fetched_ms_ >= 3 * orders_took_ms_) {
    const int64_t asked = MonotonicMs();
    std::vector<OrderFact> in_flight;
    uint64_t hash = 14695981039346656037ull;
    for (const char* open : {"created", "accepted", "shipped"}) {
      auto text = poll_client_->CallText("orders", {{"status", open}}, 5000);
      if (!text.ok()) return fail(text.status().message());
      auto rows = ReadOrders(*text);
      if (!rows.ok()) return fail(rows.status().message());
      for (OrderFact& o : *rows) in_flight.push_back(std::move(o));
      hash = Mix(hash, *text);
    }
    in_flight_ = std::make_shared<const std::vector<OrderFact>>(std::move(in_flight));
    orders_hash_ = hash;
    orders_took_ms_ = MonotonicMs() - asked;
    orders_fetched_ms_ = MonotonicMs();
  }
  const int64_t wall = NowMs();
  next->view = BuildCityView(*catalogue_, *status, *next->demand, *in_flight_, &trend_, wall);
  trend_.Record(wall, CoverFigures(next->view));
  uint64_t h = Mix(14695981039346656037ull, StableStatus(*status));
  h = Mix(h, std::to_string(demand_hash_));
  h = Mix(h, std::to_string(orders_hash_));
  h = Mix(h, std::to_string(catalogue_->version()));
  // Silence comes with time alone: the connected flags are in the stable status already.
  next->version = previous->version + (h != last_hash_ || !previous->error.empty() ? 1 : 0);
  last_hash_ = h;
  previous_events_ = events;
  next->status = std::move(*status);
  next->fetched_ms = wall;
  {
    std::lock_guard lock(snapshot_mutex_);
    snapshot_ = next;
  }
  polled_.notify_all();
}

Result<std::string> BrokerGateway::Ask(const std::string& command, const nlohmann::json& args, int timeout_ms) {
  // The poller asks every second: a broker that comes back is seen within about one.
  if (const auto now = Current(); now->broker_away) return Status::Error(now->error);
  std::lock_guard lock(ask_mutex_);
  return ask_client_->CallText(command, args, timeout_ms);
}

Result<nlohmann::json> BrokerGateway::AskJson(const std::string& command, const nlohmann::json& args, int timeout_ms) {
  auto text = Ask(command, args, timeout_ms);
  if (!text.ok()) return text.status();
  nlohmann::json parsed = nlohmann::json::parse(*text, nullptr, false);
  if (parsed.is_discarded()) return Status::Error("the broker sent unreadable JSON for '" + command + "'");
  return parsed;
}

Result<std::shared_ptr<const std::string>> BrokerGateway::Plan() {
  std::lock_guard lock(plan_mutex_);
  const uint64_t version = Current()->version;
  if (plan_text_ && version == plan_version_ && MonotonicMs() - plan_ms_ < kPlanReuseMs) return plan_text_;
  plan_text_.reset();  // the old one goes before the new one comes
  auto text = Ask("allocate", {{"dry_run", true}}, 120000);
  if (!text.ok()) return text.status();
  plan_text_ = std::make_shared<const std::string>(std::move(*text));
  malloc_trim(0);
  plan_ms_ = MonotonicMs();
  plan_version_ = version;
  return plan_text_;
}

}  // namespace ppe::web
