// BrokerServer: the broker's one event loop. Each cycle reads what arrived, applies it in one
// transaction, commits, and only then sends acknowledgements, replies and order deliveries.
// One class, three files by flow: broker_server.cpp (the loop, budgets, persist-then-acknowledge),
// report_intake.cpp (reports in and their acks), order_delivery.cpp (deliveries out: orders and
// catalogue changes).
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>
#include <zmq.hpp>

#include "broker/broker_store.h"
#include "broker/catalogue_book.h"
#include "broker/connection_limit.h"
#include "broker/ctl_service.h"
#include "broker/dispatch_log.h"
#include "broker/fault_injection.h"
#include "broker/frame_reader.h"
#include "broker/key_budget.h"
#include "broker/key_ring.h"
#include "broker/loop_stats.h"
#include "broker/order_book.h"
#include "broker/read_service.h"
#include "broker/wal_checkpointer.h"
#include "broker/store_backup.h"
#include "broker/zap_handler.h"
#include "common/city.h"
#include "common/deployment.h"

namespace ppe {

class BrokerServer {
 public:
  // `city` is the city file's catalogue: the store's live one replaces it at Start unless the
  // file is applied (catalogue_book.h). `config` must outlive the server.
  BrokerServer(City city, const BrokerConfig& config);
  ~BrokerServer();

  // Opens the store (refused if damaged), checks the city file against the live catalogue
  // (`apply_city_file`: the file wins), cancels the orders the catalogue no longer allows, loads
  // the keys, binds ZAP first, then the ROUTER and the feed, and catches the dispatch log up.
  Status Start(bool apply_city_file = false);
  // Serves until `stop` is set; reloads the key folder whenever `reload` is set (SIGHUP).
  void Run(const std::atomic<bool>& stop, std::atomic<bool>& reload);

 private:
  // A reply held until the cycle's commit. When ack_node is set, the envelope is built at send
  // time as an Ack of that node's last applied seq, so the ack never runs ahead of the disk.
  struct Outgoing {
    std::string routing_id;
    wire::Envelope envelope;
    std::string ack_node;
  };
  struct PendingRequest {
    std::string routing_id;
    Identity who;
    wire::Request request;
  };
  // Where a county's node is reachable and how far its order deliveries were sent.
  struct CountyLink {
    std::string routing_id;
    std::string key;  // the node key it came with: deliveries stop when it is revoked
    uint64_t sent = 0;
    int64_t last_push_ms = 0;
    int64_t last_replay_ms = -1'000'000;
    // The catalogue stream, for nodes that take it (their hello says what they hold; an older
    // node's says nothing and it is sent none).
    bool takes_catalogue = false;
    uint64_t catalogue_held = 0, catalogue_sent = 0;
    int64_t catalogue_push_ms = 0;
  };
  // A `ppe-ctl backup` under way: stepped between cycles, answered when the file is whole.
  struct BackupJob {
    std::unique_ptr<StoreBackup> copy;
    std::string routing_id;
    uint64_t request_id = 0;
    std::string by;
    int64_t started_ms = 0;
  };
  // What one key may still use in this cycle (see the fair-share note in broker_server.cpp).
  struct CycleBudget {
    std::string key;  // the User-Id
    int frames;
    int reports;
    int requests;
    int refusals;  // refused reports judged
    bool throttled = false;  // told RATE_LIMITED this cycle
    bool refusal_logged = false;
  };

  void ReadCycle();
  CycleBudget& BudgetOf(const char* user_id);
  void HandleMessage(const std::string& routing_id, CycleBudget& budget, const zmq::message_t& frame);
  void HandleNodeContact(const Identity& who, const std::string& routing_id,
                         const wire::Envelope& envelope);
  void HandleReports(const Identity& who, const std::string& routing_id,
                     const wire::ReportBatch& batch);
  Status ApplyReport(const Identity& who, const std::string& routing_id, const wire::Report& report,
                     int64_t now);
  void EnsureBatch();
  void FinishCycle();
  void AcknowledgeCommitted();
  void PublishOrderEvents();
  void PushDeliveries();
  // Notes what a node's hello, heartbeat or catalogue ack says it holds of the catalogue.
  void NoteCatalogueHeld(CountyLink& link, const wire::Envelope& envelope);
  // After a ctl command: a change the catalogue adopted goes to the read service and every node.
  void SpreadCatalogueChange();
  void PushCatalogue();
  Status CancelOrdersOutsideCity();
  void ArmFault();
  void BeginBackup(const PendingRequest& pending);
  // True when the request only reads, and is now queued at the read service (or refused as too many).
  bool SubmitRead(PendingRequest& pending);
  void StepBackup();
  void Answer(const std::string& routing_id, uint64_t id, wire::Reply reply);
  void MaybeAutoAllocate();
  void MaybeLogAlerts();
  void Send(const std::string& routing_id, const wire::Envelope& envelope);
  // A serialized envelope as one message of 64 KB frames that point into it (no copy; ppe-ctl
  // parses across them).
  void SendInParts(const std::string& routing_id, std::shared_ptr<const std::string> envelope);
  // Answers a refused message with an Error; logs only the key's first refusal of the cycle, so a
  // flood cannot fill the log.
  void Refuse(const std::string& routing_id, CycleBudget& budget, wire::ErrorCode code,
              const std::string& text);
  void ReloadKeys();
  void Secure(zmq::socket_t& socket, const char* domain);
  Status BindFeed();
  void RaiseDescriptorLimit();
  Refusal CheckPlausible(const wire::Report& report);

  City city_;  // the live catalogue; only catalogue_ replaces it, on the loop's thread
  const BrokerConfig& config_;
  zmq::context_t context_;
  std::unique_ptr<KeyRing> ring_;
  std::unique_ptr<ZapHandler> zap_;
  zmq::socket_t router_;
  zmq::socket_t feed_;
  std::unique_ptr<BrokerStore> store_;
  std::unique_ptr<CatalogueBook> catalogue_;
  std::unique_ptr<FrameReader> reader_;
  std::unique_ptr<OrderBook> orders_;
  std::unique_ptr<CtlService> ctl_;
  WalCheckpointer checkpointer_;
  std::unique_ptr<ReadService> reads_;  // goes before context_: it holds two of its sockets
  LoopStats loop_stats_;
  std::unique_ptr<OrderEventSource> log_source_;  // the order book, as the dispatch log reads it
  std::unique_ptr<DispatchLog> dispatch_log_;
  std::unique_ptr<KeyBudgets> minute_budgets_;
  std::unique_ptr<ConnectionLimit> connections_;
  std::string secret_key_;
  std::unique_ptr<BackupJob> backup_;
  FaultPlan fault_;
  int64_t fault_commits_ = 0;      // commits that wrote order events, since start
  int64_t fault_events_seen_ = 0;  // the highest order event id when last looked

  bool in_batch_ = false;
  bool batch_failed_ = false;  // a store error mid-cycle: roll the whole cycle back
  std::vector<Outgoing> after_commit_;
  std::vector<char> decode_block_ = std::vector<char>(256 << 10);  // HandleMessage's arena starts here
  std::vector<PendingRequest> requests_;
  std::map<std::string, CountyLink> links_;
  std::map<std::string, CycleBudget> budgets_;  // by key; emptied every cycle
  std::set<std::string> to_push_;  // counties whose delivery queue may have news
  int64_t next_auto_round_ms_ = 0;
  uint64_t demand_changes_ = 0;  // LoopFigures::demand_changes
  int64_t next_alert_log_ms_ = 0;
};

}  // namespace ppe
