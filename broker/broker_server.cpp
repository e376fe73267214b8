#include "broker/broker_server.h"

#include <spdlog/spdlog.h>
#include <zmq_addon.hpp>

#include <sys/resource.h>

#include <algorithm>
#include <cstdio>
#include <chrono>
#include <thread>
#include <cmath>
#include <csignal>
#include <cstdlib>
#include <iostream>

#include "broker/alerts.h"
#include "common/certificate.h"
#include "common/text_encoding.h"
#include "common/wire.h"

namespace ppe {
namespace {

// Bounds one cycle so acknowledgements keep flowing under a flood.
constexpr int kMaxFramesPerCycle = 4096;
// ... and by bytes: a cycle that reads a flood of large frames is a long wait for every other
// county's ack. The nodes' real traffic at full speed is a few MB a cycle.
constexpr size_t kMaxBytesPerCycle = 16 << 20;

// Fair share. A cycle ends in one commit, so its length is what every connection waits for its
// ack; the ROUTER already reads round-robin across connections, so one key can starve the others
// only by making cycles long. Hence, per key (the User-Id: a key's many connections share one
// budget) and per cycle:
//  - at most kFramesPerKeyPerCycle frames are looked at; the rest that key sent in the cycle are
//    read, freed undecoded and answered once with RATE_LIMITED;
//  - at most kReportsPerKeyPerCycle reports and kRequestsPerKeyPerCycle ctl requests; a batch or
//    request over that is refused whole (RATE_LIMITED), nothing of it applied.
// ppe-node keeps at most 64 frames of 512 reports unacknowledged, so it never meets these, and
// whatever is dropped it sends again (Resume at the gap, or its resend timer). There is no cap per
// second: a node alone may use the whole broker (a 100,000-row import must pass in seconds), and
// while others wait the budgets already bound its share.
constexpr int kFramesPerKeyPerCycle = 1024;
constexpr int kReportsPerKeyPerCycle = 65536;  // two of ppe-node's windows
constexpr int kRequestsPerKeyPerCycle = 8;
constexpr int kRefusalsPerKeyPerCycle = 4096;
// Memory: libzmq queues at most this many frames per connection (each at most max_message_bytes,
// larger ones drop the connection), then stops reading that connection's socket: TCP pushes back
// on the sender and nothing queued is lost.
constexpr int kInboundFramesPerConnection = 1000;
// What libzmq may queue to one connection before it drops (the peer asks again): with delivery
// frames of at most 256 entries (order_delivery.cpp), tens of MB at worst, instead of the
// default's gigabytes.
constexpr int kOutboundFramesPerConnection = 1000;
constexpr rlim_t kWantedDescriptors = 65536;
constexpr int64_t kAlertLogEveryMs = 60000;
// A backup copies this many pages (2 MiB at 4 KiB) per turn of the loop, and the loop does not
// wait while one is under way: a cycle waits for at most one step, an idle broker copies at disk
// speed.
constexpr int kBackupPagesPerTurn = 512;

// The order book as the dispatch log reads it.
class BookEvents : public OrderEventSource {
 public:
  explicit BookEvents(OrderBook& book) : book_(book) {}
  Result<nlohmann::json> EventsAfter(int64_t after, int64_t limit) override { return book_.EventsAfter(after, limit); }
  int64_t LastEventId() override { return book_.LastEventId(); }
  int64_t FindUnnumbered(const nlohmann::json& line) override {
    const auto order = line.find("order"), status = line.find("status"), at = line.find("at_ms");
    if (order == line.end() || status == line.end() || at == line.end() || !order->is_number_integer() ||
        !status->is_string() || !at->is_number_integer()) {
      return 0;
    }
    return book_.FindEvent(order->get<int64_t>(), status->get<std::string>(), at->get<int64_t>());
  }

 private:
  OrderBook& book_;
};

}  // namespace

BrokerServer::BrokerServer(City city, const BrokerConfig& config)
    : city_(std::move(city)),
      config_(config),
      context_(2),  // two I/O threads: CURVE on a 10 MB reply to ppe-ctl holds up only the connections on its own
      router_(context_, zmq::socket_type::router),
      feed_(context_, zmq::socket_type::pub) {}

BrokerServer::~BrokerServer() = default;

Status BrokerServer::Start(bool apply_city_file) {
  // Read once: a test arms it for the broker it starts, never for one started later.
  auto fault = ParseFault(std::getenv("PPE_FAULT"));
  if (!fault.ok()) return fault.status();
  fault_ = *fault;
  auto store = BrokerStore::Open(config_.store);
  if (!store.ok()) return store.status();
  store_ = std::move(*store);
  catalogue_ = std::make_unique<CatalogueBook>(*store_, city_);
  auto catalogue = catalogue_->Load(config_.city, apply_city_file);
  if (!catalogue.ok()) return catalogue.status();
  for (const std::string& note : catalogue->notes) spdlog::info("catalogue: {}", note);
  if (!catalogue->warning.empty()) {
    spdlog::warn("catalogue: {}", catalogue->warning);
    std::cerr << "ppe-broker: " << catalogue->warning << "\n";
  }
  catalogue_->TakeAdopted();  // nothing to spread yet: every node gets it on its hello
  reader_ = std::make_unique<FrameReader>(city_);
  orders_ = std::make_unique<OrderBook>(city_, *store_);
  ctl_ = std::make_unique<CtlService>(city_, config_, *store_, *orders_, catalogue_.get());
  reads_ = std::make_unique<ReadService>(city_, config_, context_);
  PPE_RETURN_IF_ERROR(reads_->Start(config_.store));
  PPE_RETURN_IF_ERROR(checkpointer_.Start(config_.store));
  ArmFault();
  PPE_RETURN_IF_ERROR(CancelOrdersOutsideCity());

  auto own = Certificate::Load(config_.key);
  if (!own.ok()) return own.status();
  if (config_.secure && own->secret_key.empty()) {
    return Status::Error("broker key '" + config_.key + "' has no secret half");
  }
  auto ring = KeyRing::Load(config_.clients_dir, own->public_key);
  if (!ring.ok()) return ring.status();
  ring_ = std::make_unique<KeyRing>(std::move(*ring));
  // ZAP before any bind: a CURVE server without a handler would admit every key.
  zap_ = std::make_unique<ZapHandler>(context_, ring_.get());

  secret_key_ = own->secret_key;
  RaiseDescriptorLimit();
  try {
    Secure(router_, "ppe");
    router_.set(zmq::sockopt::router_mandatory, 1);
    router_.set(zmq::sockopt::maxmsgsize, config_.max_message_bytes);
    router_.set(zmq::sockopt::sndhwm, kOutboundFramesPerConnection);
    router_.set(zmq::sockopt::rcvhwm, kInboundFramesPerConnection);
    router_.bind(config_.listen);
  } catch (const zmq::error_t& e) {
    return Status::Error("cannot listen on '" + config_.listen + "': " + e.what());
  }
  PPE_RETURN_IF_ERROR(BindFeed());
  connections_ = std::make_unique<ConnectionLimit>(context_, router_, static_cast<int>(config_.connections_per_key));
  minute_budgets_ = std::make_unique<KeyBudgets>(MinuteLimits{config_.refusals_stored_per_key_per_minute,
                                                              config_.ledger_rows_per_key_per_minute,
                                                              config_.log_lines_per_key_per_minute});
  log_source_ = std::make_unique<BookEvents>(*orders_);
  dispatch_log_ = std::make_unique<DispatchLog>(config_.dispatch_log, config_.feed.empty() ? nullptr : &feed_,
                                                *log_source_);
  // Events an earlier process committed but never wrote (it was killed in between) are written
  // now. A file that cannot be written does not stop the broker: the store is the record.
  if (Status s = dispatch_log_->Open(); !s.ok()) spdlog::error("{}; tried again later", s.message());
  PublishOrderEvents();
  next_alert_log_ms_ = MonotonicMs() + kAlertLogEveryMs;  // let the nodes reconnect first
  if (config_.auto_allocate_every_s > 0) {
    next_auto_round_ms_ = MonotonicMs() + config_.auto_allocate_every_s * 1000;
  }
  spdlog::info("broker for {} listening on {} ({}), {} keys known, {} events stored", city_.name(),
               config_.listen, config_.secure ? "CURVE" : "PLAIN, insecure", ring_->size(),
               store_->EventCount());
  return Status::Ok();
}

// A site or warehouse taken out of the city file must not keep stock reserved for ever: its open
// orders are cancelled the normal way (stock back, ledger, order events, both nodes told).
Status BrokerServer::CancelOrdersOutsideCity() {
  PPE_RETURN_IF_ERROR(store_->Begin());
  std::vector<std::string> shipped;
  const Identity broker{"broker", Role::kCoordinator, ""};
  auto cancelled = orders_->CancelOutside(city_, " is no longer in the city file", broker, NowMs(), &shipped);
  Status s = cancelled.ok() ? store_->Commit() : cancelled.status();
  if (!s.ok()) {
    store_->Rollback();
    orders_->DiscardEvents();
    return Status::Error("cancelling the orders of places no longer in the city file: " + s.message());
  }
  if (*cancelled > 0) {
    spdlog::warn("cancelled {} open order(s) whose site or warehouse is no longer in the city file {}; "
                 "their stock is back in the pool (ppe-ctl log --status cancelled)", *cancelled, config_.city);
  }
  for (const std::string& order : shipped) {
    spdlog::warn("{}; it stays open until its county receives it", order);
  }
  return Status::Ok();
}

// PPE_FAULT=kill-after-commit:N (docs/operations.md): the broker dies right after the Nth commit
// that wrote order events, whoever made it, before the dispatch log file is written.
void BrokerServer::ArmFault() {
  if (fault_.kind != FaultKind::kKillAfterCommit) return;
  spdlog::warn("fault injection armed (PPE_FAULT): {}", DescribeFault(fault_));
  fault_events_seen_ = orders_->LastEventId();
  store_->set_after_commit([this] {
    const int64_t head = orders_->LastEventId();
    if (head <= fault_events_seen_) return;
    fault_events_seen_ = head;
    if (++fault_commits_ < fault_.count) return;
    spdlog::warn("PPE_FAULT: SIGKILL after commit {} with order events (order events up to {})",
                 fault_commits_, head);
    spdlog::default_logger()->flush();
    std::raise(SIGKILL);
  });
}

void BrokerServer::Secure(zmq::socket_t& socket, const char* domain) {
  socket.set(zmq::sockopt::linger, 0);
  socket.set(zmq::sockopt::zap_domain, domain);
  if (config_.secure) {
    socket.set(zmq::sockopt::curve_server, 1);
    socket.set(zmq::sockopt::curve_secretkey, secret_key_);
  } else {
    socket.set(zmq::sockopt::plain_server, 1);
  }
}

// A PUB socket cannot drop one subscriber, so a reload binds a fresh one: every subscriber
// reconnects and passes ZAP again, and a revoked key does not. libzmq closes the old listener
// in its I/O thread, so the port may take a moment to free: bounded retries.
Status BrokerServer::BindFeed() {
  if (config_.feed.empty()) return Status::Ok();
  std::string error;
  for (int attempt = 0; attempt < 50; ++attempt) {
    try {
      zmq::socket_t fresh(context_, zmq::socket_type::pub);
      Secure(fresh, "feed");
      fresh.bind(config_.feed);
      feed_ = std::move(fresh);  // DispatchLog holds &feed_, which stays the same object
      return Status::Ok();
    } catch (const zmq::error_t& e) {
      error = e.what();
      if (e.num() != EADDRINUSE) break;
      feed_.close();
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  return Status::Error("cannot listen on '" + config_.feed + "': " + error);
}

// Every connection is a descriptor; libzmq needs a few more of its own. The default soft limit
// of 1,024 would let one key's connections lock every county out.
void BrokerServer::RaiseDescriptorLimit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
  const rlim_t wanted = std::min<rlim_t>(limit.rlim_max, kWantedDescriptors);
  if (limit.rlim_cur < wanted) {
    limit.rlim_cur = wanted;
    if (setrlimit(RLIMIT_NOFILE, &limit) != 0) getrlimit(RLIMIT_NOFILE, &limit);
  }
  spdlog::info("up to {} open descriptors (connections) allowed", static_cast<uint64_t>(limit.rlim_cur));
}

void BrokerServer::ReloadKeys() {
  auto own = Certificate::Load(config_.key);
  auto ring = own.ok() ? KeyRing::Load(config_.clients_dir, own->public_key)
                       : Result<KeyRing>(own.status());
  if (!ring.ok()) {
    spdlog::error("key reload failed, keeping the old keys: {}", ring.status().message());
    return;
  }
  auto fresh = std::make_unique<KeyRing>(std::move(*ring));
  zap_->set_ring(fresh.get());
  ring_ = std::move(fresh);
  // Revocation cuts everything: no more deliveries down a removed key's open connection, and
  // its feed subscription ends with the old feed socket.
  for (auto it = links_.begin(); it != links_.end();) {
    it = ring_->ByName(it->second.key) ? std::next(it) : links_.erase(it);
  }
  if (Status s = BindFeed(); !s.ok()) spdlog::error("feed after key reload: {}", s.message());
  spdlog::info("keys reloaded: {} known", ring_->size());
}

void BrokerServer::Run(const std::atomic<bool>& stop, std::atomic<bool>& reload) {
  while (!stop.load()) {
    if (reload.exchange(false)) ReloadKeys();
    zmq::pollitem_t items[] = {{zap_->socket().handle(), 0, ZMQ_POLLIN, 0},
                               {router_.handle(), 0, ZMQ_POLLIN, 0},
                               {reads_->done_socket().handle(), 0, ZMQ_POLLIN, 0}};
    try {
      zmq::poll(items, 3, std::chrono::milliseconds(backup_ ? 0 : 200));
    } catch (const zmq::error_t& e) {
      if (e.num() != EINTR) throw;
      continue;
    }
    const int64_t cycle_start = MonotonicMs();
    if (items[0].revents & ZMQ_POLLIN) zap_->HandlePending();
    // The read service's answers hold only committed state: sent as they come.
    if (items[2].revents & ZMQ_POLLIN) {
      for (const ReadService::Done& done : reads_->TakeDone()) SendInParts(done.routing_id, done.envelope);
    }
    if (items[1].revents & ZMQ_POLLIN) {
      ReadCycle();
      checkpointer_.NoteCommit();  // the WAL is folded on the checkpointer's thread, never here
    }
    MaybeAutoAllocate();
    MaybeLogAlerts();
    StepBackup();
    loop_stats_.Record(NowMs(), MonotonicMs() - cycle_start);
  }
  if (backup_) {
    Answer(backup_->routing_id, backup_->request_id,
           ErrorReply(wire::INTERNAL, "the broker stopped before the backup to " + backup_->copy->path() +
                                          " was done; nothing was written there"));
    backup_.reset();
  }
  spdlog::info("broker stopping");
}

// A command that only reads goes to the read service's thread, so the loop goes on applying reports
// while a province is planned or listed; a full queue is told to ask again.
bool BrokerServer::SubmitRead(PendingRequest& pending) {
  nlohmann::json args = nlohmann::json::parse(pending.request.args_json(), nullptr, false);
  if (!args.is_object() || !CtlService::ReadsOnly(pending.request.command(), args)) return false;
  const int64_t now = NowMs();
  ReadService::Job job{pending.routing_id, pending.who, pending.request, std::move(args), store_->progress(),
                       {loop_stats_.LongestMs(now, 10), loop_stats_.LongestMs(now, 60), demand_changes_}};
  if (reads_->Submit(std::move(job))) return true;
  Answer(pending.routing_id, pending.request.id(),
         ErrorReply(wire::RATE_LIMITED, std::to_string(ReadService::kMaxWaiting) +
                                            " requests are already waiting to be answered; ask again in a few seconds"));
  return true;
}

// `ppe-ctl backup FILE`: the coordinator's; FILE is a path on the broker's machine (ppe-ctl made
// it absolute). One at a time; the reply waits until the copy is whole.
void BrokerServer::BeginBackup(const PendingRequest& pending) {
  auto refuse = [&](wire::ErrorCode code, const std::string& text) {
    Answer(pending.routing_id, pending.request.id(), ErrorReply(code, text));
  };
  if (pending.who.role != Role::kCoordinator) {
    return refuse(wire::FORBIDDEN, std::string("a ") + RoleName(pending.who.role) +
                                       " key cannot take backups of the store (a coordinator key can)");
  }
  const nlohmann::json args = nlohmann::json::parse(pending.request.args_json(), nullptr, false);
  const auto file = args.is_object() ? args.find("file") : args.end();
  if (!args.is_object() || file == args.end() || !file->is_string() || file->get<std::string>().empty()) {
    return refuse(wire::MALFORMED, "a backup needs the file to write: ppe-ctl backup FILE");
  }
  const std::string path = file->get<std::string>();
  if (path.front() != '/') {
    return refuse(wire::MALFORMED, "'" + path + "' is not an absolute path on the broker's machine");
  }
  if (backup_) {
    return refuse(wire::RATE_LIMITED, "a backup to " + backup_->copy->path() +
                                          " is under way; try again when it is done");
  }
  auto copy = StoreBackup::Begin(store_->db().raw(), path);
  if (!copy.ok()) return refuse(wire::INTERNAL, copy.status().message());
  spdlog::info("backup of the store to {} started by {}", path, pending.who.name);
  backup_ = std::make_unique<BackupJob>(
      BackupJob{std::move(*copy), pending.routing_id, pending.request.id(), pending.who.name, MonotonicMs()});
}

void BrokerServer::StepBackup() {
  if (!backup_) return;
  StoreBackup& copy = *backup_->copy;
  if (copy.Step(kBackupPagesPerTurn) == StoreBackup::State::kCopying) return;
  wire::Reply reply;
  const double seconds = (MonotonicMs() - backup_->started_ms) / 1000.0;
  if (copy.state() == StoreBackup::State::kDone) {
    spdlog::info("backup of the store to {} by {}: {} pages, {} bytes in {:.1f} s", copy.path(), backup_->by,
                 copy.pages(), copy.bytes(), seconds);
    reply.set_ok(true);
    reply.set_json(nlohmann::json{{"path", copy.path()}, {"pages", copy.pages()}, {"bytes", copy.bytes()},
                                  {"seconds", std::round(seconds * 100) / 100}}.dump());
  } else {
    spdlog::error("{}", copy.status().message());
    reply = ErrorReply(wire::INTERNAL, copy.status().message());
  }
  Answer(backup_->routing_id, backup_->request_id, reply);
  backup_.reset();
}

void BrokerServer::Answer(const std::string& routing_id, uint64_t id, wire::Reply reply) {
  reply.set_id(id);
  wire::Envelope envelope;
  *envelope.mutable_reply() = std::move(reply);
  Send(routing_id, envelope);
}

// Alerts go to the broker log as they appear (each once), as well as to ppe-ctl status.
void BrokerServer::MaybeLogAlerts() {
  const int64_t now = MonotonicMs();
  if (now < next_alert_log_ms_) return;
  next_alert_log_ms_ = now + kAlertLogEveryMs;
  // Computed on the read service's thread: at province scale the pass reads every demand row.
  reads_->LogAlerts(store_->progress());
}

void BrokerServer::ReadCycle() {
  connections_->Update();
  size_t bytes = 0;
  for (int i = 0; i < kMaxFramesPerCycle && bytes < kMaxBytesPerCycle; ++i) {
    std::vector<zmq::message_t> parts;
    std::optional<size_t> received;
    try {
      received = zmq::recv_multipart(router_, std::back_inserter(parts), zmq::recv_flags::dontwait);
    } catch (const zmq::error_t& e) {
      spdlog::warn("receive failed: {}", e.what());
      break;
    }
    if (!received) break;
    for (const zmq::message_t& part : parts) bytes += part.size();
    const std::string routing_id = parts[0].to_string();
    CycleBudget& budget = BudgetOf(zmq_msg_gets(parts.back().handle(), "User-Id"));
    if (!connections_->Admit(parts.back(), budget.key)) {
      // Refused cleanly, and cheaply: the frame is not decoded, and one log line a minute at most.
      Refuse(routing_id, budget, wire::FORBIDDEN,
             "over " + std::to_string(connections_->per_key()) +
                 " connections with this key at once; close the others (this one is not served)");
      continue;
    }
    if (budget.frames == 0) {
      if (!budget.throttled) {
        Refuse(routing_id, budget, wire::RATE_LIMITED,
               "over " + std::to_string(kFramesPerKeyPerCycle) +
                   " messages at once; the rest were dropped, send them again");
      }
      budget.throttled = true;
      continue;
    }
    --budget.frames;
    if (parts.size() != 2) {
      Refuse(routing_id, budget, wire::MALFORMED,
             "expected one frame per message, got " + std::to_string(parts.size() - 1));
      continue;
    }
    HandleMessage(routing_id, budget, parts[1]);
  }
  FinishCycle();
}

BrokerServer::CycleBudget& BrokerServer::BudgetOf(const char* user_id) {
  const std::string key = user_id ? user_id : "";
  auto it = budgets_.find(key);
  if (it == budgets_.end()) {
    it = budgets_.emplace(key, CycleBudget{key, kFramesPerKeyPerCycle, kReportsPerKeyPerCycle,
                                           kRequestsPerKeyPerCycle, kRefusalsPerKeyPerCycle}).first;
  }
  return it->second;
}

void BrokerServer::HandleMessage(const std::string& routing_id, CycleBudget& budget,
                                 const zmq::message_t& frame) {
  // Looked up on every message, so a key removed and reloaded (SIGHUP) is cut off at once, even
  // on a connection it opened before.
  const Identity* who = ring_->ByName(budget.key);
  if (!who) return Refuse(routing_id, budget, wire::FORBIDDEN, "this key is no longer admitted");
  // Decoded on an arena that starts in a block kept for it: a frame of 512 reports was thousands
  // of allocations and as many frees, a tenth of the broker's time per report.
  google::protobuf::ArenaOptions options;
  options.initial_block = decode_block_.data();
  options.initial_block_size = decode_block_.size();
  google::protobuf::Arena arena(options);
  wire::Envelope& envelope = *google::protobuf::Arena::CreateMessage<wire::Envelope>(&arena);
  if (Refusal r = reader_->Read(frame, &envelope); r.refused()) {
    return Refuse(routing_id, budget, r.code, r.text);
  }
  switch (envelope.body_case()) {
    case wire::Envelope::kHello:
    case wire::Envelope::kHeartbeat:
    case wire::Envelope::kOrderAck:
    case wire::Envelope::kCatalogueAck:
      if (who->role == Role::kNode) return HandleNodeContact(*who, routing_id, envelope);
      break;
    case wire::Envelope::kReports: {
      if (who->role != Role::kNode) {
        return Refuse(routing_id, budget, wire::FORBIDDEN,
                      std::string("a ") + RoleName(who->role) + " key cannot report");
      }
      const int count = envelope.reports().reports_size();
      if (count > budget.reports) {
        return Refuse(routing_id, budget, wire::RATE_LIMITED,
                      "over " + std::to_string(kReportsPerKeyPerCycle) +
                          " reports at once; this batch was not applied, send it again");
      }
      if (!minute_budgets_->TakeLedgerRows(budget.key, count, NowMs())) {
        return Refuse(routing_id, budget, wire::RATE_LIMITED,
                      "over " + std::to_string(minute_budgets_->limits().ledger_rows) +
                          " reports this minute from this key; this batch was not applied, send it again later");
      }
      if (budget.refusals <= 0) {
        // Judging refused reports costs the cycle everyone waits on: past its share, the key's
        // further frames this cycle are dropped undecoded, like frames past its frame budget.
        budget.frames = 0;
        return Refuse(routing_id, budget, wire::RATE_LIMITED,
                      "over " + std::to_string(kRefusalsPerKeyPerCycle) +
                          " refused reports at once from this key; this batch was not applied, send it again");
      }
      budget.reports -= count;
      const int64_t refused_before = store_->Progress(who->name, who->county).refused;
      HandleReports(*who, routing_id, envelope.reports());
      budget.refusals -= static_cast<int>(store_->Progress(who->name, who->county).refused - refused_before);
      return;
    }
    case wire::Envelope::kRequest:
      if (budget.requests == 0) {
        return Refuse(routing_id, budget, wire::RATE_LIMITED,
                      "over " + std::to_string(kRequestsPerKeyPerCycle) +
                          " requests at once from this key; try again");
      }
      --budget.requests;
      requests_.push_back({routing_id, *who, envelope.request()});
      return;
    default:
      break;
  }
  Refuse(routing_id, budget, wire::MALFORMED,
         "a " + std::string(RoleName(who->role)) + " key cannot send this message type");
}

void BrokerServer::EnsureBatch() {
  if (in_batch_) return;
  if (Status s = store_->Begin(); !s.ok()) {
    spdlog::error("cannot begin a transaction: {}", s.message());
    batch_failed_ = true;
  }
  in_batch_ = true;
}

// Persist, then acknowledge: nothing leaves before the commit it depends on.
void BrokerServer::FinishCycle() {
  if (in_batch_) {
    in_batch_ = false;
    Status s = batch_failed_ ? Status::Error("a store error during the cycle") : store_->Commit();
    batch_failed_ = false;
    if (!s.ok()) {
      // Nothing is acknowledged: the nodes resend, and the next cycle tries again.
      store_->Rollback();
      orders_->DiscardEvents();
      spdlog::error("commit failed, {} replies withheld: {}", after_commit_.size(), s.message());
      after_commit_.clear();
    }
  }
  AcknowledgeCommitted();  // report_intake.cpp: only what this commit made durable
  for (PendingRequest& pending : requests_) {
    if (pending.request.command() == "backup") {
      BeginBackup(pending);  // answered when done, some turns of the loop later
      continue;
    }
    if (SubmitRead(pending)) continue;  // answered by the read service's thread
    wire::Envelope reply;
    *reply.mutable_reply() = ctl_->Handle(pending.who, pending.request);
    reply.mutable_reply()->set_id(pending.request.id());
    SpreadCatalogueChange();  // before any later request reads the catalogue
    Send(pending.routing_id, reply);
  }
  requests_.clear();
  budgets_.clear();
  store_->db().ReleaseRetired();  // no Statement& outlives the cycle
  for (const auto& [key, lines] : minute_budgets_->TakeSuppressed(NowMs())) {
    spdlog::warn("{} more log lines about key '{}' were suppressed in the last minute (over {} a minute)", lines,
                 EscapeControl(key), minute_budgets_->limits().log_lines);
  }
  PublishOrderEvents();
  PushDeliveries();
}

void BrokerServer::MaybeAutoAllocate() {
  if (next_auto_round_ms_ == 0 || MonotonicMs() < next_auto_round_ms_) return;
  next_auto_round_ms_ = MonotonicMs() + config_.auto_allocate_every_s * 1000;
  auto round = ctl_->Allocate("auto");
  if (!round.ok()) {
    spdlog::error("automatic round failed: {}", round.status().message());
    return;
  }
  spdlog::info("automatic round {}: {} orders", (*round)["round"].get<int64_t>(), (*round)["orders"].size());
  PublishOrderEvents();
  PushDeliveries();
}

void BrokerServer::Send(const std::string& routing_id, const wire::Envelope& envelope) {
  zmq::message_t frame = Encode(envelope);
  try {
    if (!router_.send(zmq::buffer(routing_id), zmq::send_flags::sndmore | zmq::send_flags::dontwait) ||
        !router_.send(frame, zmq::send_flags::dontwait)) {
      spdlog::debug("peer's queue is full; message dropped (the peer will ask again)");
    }
  } catch (const zmq::error_t& e) {
    spdlog::debug("peer gone; message dropped: {}", e.what());  // EHOSTUNREACH (router_mandatory)
  }
}

// A province's plan is ~10 MB. CURVE encrypts a frame whole on ZeroMQ's I/O thread, so in one
// frame it held up every node's acks for 15-30 ms; in parts, the I/O thread serves the other
// connections between them. ppe-ctl joins the parts (one message, several frames).
void BrokerServer::SendInParts(const std::string& routing_id, std::shared_ptr<const std::string> envelope) {
  constexpr size_t kPartBytes = 64 * 1024;
  // Each frame holds a reference to the whole text, dropped by ZeroMQ when that frame is gone.
  auto release = [](void*, void* hint) { delete static_cast<std::shared_ptr<const std::string>*>(hint); };
  try {
    bool sent = router_.send(zmq::buffer(routing_id), zmq::send_flags::sndmore | zmq::send_flags::dontwait).has_value();
    for (size_t at = 0; sent; at += kPartBytes) {
      const size_t size = std::min(kPartBytes, envelope->size() - at);
      const bool last = at + size >= envelope->size();
      zmq::message_t part(const_cast<char*>(envelope->data() + at), size, release,
                          new std::shared_ptr<const std::string>(envelope));
      sent = router_.send(part, last ? zmq::send_flags::dontwait : zmq::send_flags::sndmore | zmq::send_flags::dontwait)
                 .has_value();
      if (last) break;
    }
    if (!sent) spdlog::debug("peer's queue is full; reply dropped (ppe-ctl says no answer)");
  } catch (const zmq::error_t& e) {
    spdlog::debug("peer gone; reply dropped: {}", e.what());
  }
}

void BrokerServer::Refuse(const std::string& routing_id, CycleBudget& budget, wire::ErrorCode code,
                          const std::string& text) {
  if (!budget.refusal_logged && minute_budgets_->TakeLogLine(budget.key, NowMs())) {
    spdlog::warn("refused a message from '{}': {} (its further refusals this cycle go unlogged)",
                 EscapeControl(budget.key), EscapeControl(text));
  }
  budget.refusal_logged = true;
  wire::Envelope error;
  error.mutable_error()->set_code(code);
  error.mutable_error()->set_text(text);
  Send(routing_id, error);
}

}  // namespace ppe
