// Dispatch orders with real processes: every order reaches every node it names, also one that was
// down, through a broker SIGKILL; the lifecycle moves stock and a short receipt is a discrepancy;
// `ppe-ctl check` catches an edited store; only the named node (and the coordinator) may act; the
// dispatch log as table, CSV, JSON, file and live feed.
#include <fcntl.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "common/city.h"
#include "common/clock.h"
#include "compat/ppe_previous.pb.h"
#include "tests/cluster.h"
#include "tests/raw_client.h"

namespace ppe::testing {
namespace {

using nlohmann::json;

// Three counties: alpha and beta send each other orders, gamma is named by none. Lots of 50
// masks and 10 bottles; target 7 days.
constexpr const char* kCity = R"(city: dispatchville
location: [26.50, 117.50]
items:
  - {id: mask.surgical, name: Surgical mask, unit: piece, lot: 50, substitutes_for: []}
  - {id: sanitizer, name: Hand sanitizer, unit: bottle, lot: 10, substitutes_for: []}
tiers: {1: [designated_hospital], 2: [rail_station]}
policy: {target_days: 7, min_order_days: 1, road_factor: 1.3, city_reserve: {warehouse: city-reserve, release_to_tiers: [1]}}
counties:
  - {id: alpha, name: Alpha, location: [26.00, 117.00]}
  - {id: beta, name: Beta, location: [26.10, 117.10]}
  - {id: gamma, name: Gamma, location: [26.90, 117.90]}
warehouses:
  - {id: city-reserve, county: city, name: City reserve}
  - {id: alpha-wh, county: alpha, name: Alpha warehouse}
  - {id: beta-wh, county: beta, name: Beta warehouse}
  - {id: gamma-wh, county: gamma, name: Gamma warehouse}
sites:
  - {id: a-hosp, county: alpha, name: Alpha hospital, kind: designated_hospital, headcount: 100}
  - {id: a-rail, county: alpha, name: Alpha station, kind: rail_station, headcount: 50}
  - {id: b-hosp, county: beta, name: Beta hospital, kind: designated_hospital, headcount: 100}
  - {id: g-hosp, county: gamma, name: Gamma hospital, kind: designated_hospital, headcount: 100}
)";

// Column 0 of every row of `sql` on a SQLite file (a broker's or a node's store).
std::vector<int64_t> SqlInts(const std::string& db_path, const std::string& sql) {
  std::vector<int64_t> values;
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr), SQLITE_OK) << db_path;
  sqlite3_busy_timeout(db, 5000);
  sqlite3_stmt* q = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &q, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
  while (q && sqlite3_step(q) == SQLITE_ROW) values.push_back(sqlite3_column_int64(q, 0));
  sqlite3_finalize(q);
  sqlite3_close(db);
  return values;
}

void SqlExec(const std::string& db_path, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr), SQLITE_OK);
  char* error = nullptr;
  EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error), SQLITE_OK) << (error ? error : "");
  sqlite3_free(error);
  EXPECT_EQ(sqlite3_changes(db), 1) << sql;
  sqlite3_close(db);
}

bool Contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// A command left running (like `ppe-ctl log --follow`), its output in files; stopped with SIGTERM
// (SIGKILL if it lingers) when the object goes.
class Background {
 public:
  Background(const std::vector<std::string>& argv, const std::string& dir)
      : out_path_(dir + "/background.out"), err_path_(dir + "/background.err") {
    pid_ = fork();
    if (pid_ == 0) {
      dup2(open(out_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644), 1);
      dup2(open(err_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644), 2);
      std::vector<char*> args;
      for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
      args.push_back(nullptr);
      execv(args[0], args.data());
      _exit(127);
    }
  }
  ~Background() {
    kill(pid_, SIGTERM);
    if (!WaitFor([&] { return waitpid(pid_, nullptr, WNOHANG) == pid_; }, 3000)) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  std::string out() const { return ReadFile(out_path_); }
  std::string err() const { return ReadFile(err_path_); }

 private:
  pid_t pid_ = -1;
  std::string out_path_, err_path_;
};

// The first row of `rows` whose fields equal those of `match`; null if none.
json Find(const json& rows, const json& match) {
  for (const json& row : rows) {
    bool all = true;
    for (const auto& [key, value] : match.items()) all = all && row.value(key, json()) == value;
    if (all) return row;
  }
  return nullptr;
}

// The fields of `row` named in `keys`, for comparing figures in one EXPECT.
json Pick(const json& row, const std::vector<std::string>& keys) {
  json picked = json::object();
  for (const std::string& key : keys) picked[key] = row.is_object() ? row.value(key, json()) : json();
  return picked;
}

class Dispatch : public ::testing::Test {
 protected:
  void SetUp() override {
    cluster_.StartBroker();
    for (const char* node : {"alpha", "beta"}) {
      cluster_.NodeStatus(node);  // creates the store before the daemon opens it (see DispatchNodeStart below)
      cluster_.StartNode(node);
    }
  }

  // Records at `node` (a report or an order step) and waits until the broker has applied it.
  void Record(const std::string& node, const std::vector<std::string>& args) {
    const CommandResult r = cluster_.Node(node, args);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    ASSERT_TRUE(cluster_.WaitDrained(node)) << cluster_.NodeStatus(node).dump();
  }

  // alpha-wh holds 600 surgical masks; b-hosp (tier 1, in beta) has 100 and uses 100 a day.
  void ReportShortage() {
    Record("alpha", {"stock", "alpha-wh", "mask.surgical", "600"});
    Record("beta", {"demand", "b-hosp", "mask.surgical", "--on-hand", "100", "--daily-use", "100"});
  }

  // A committed round's orders.
  json Allocate() { return cluster_.CtlJson({"allocate"})["orders"]; }

  // ReportShortage and a round: its one order, 600 masks from alpha-wh to b-hosp. 0 on failure.
  int64_t OneOrder() {
    ReportShortage();
    const json orders = Allocate();
    EXPECT_EQ(orders.size(), 1u) << orders.dump(2);
    if (orders.size() != 1) return 0;
    EXPECT_EQ(Pick(orders[0], {"from_warehouse", "to_site", "item", "qty", "status"}),
              (json{{"from_warehouse", "alpha-wh"}, {"to_site", "b-hosp"}, {"item", "mask.surgical"},
                    {"qty", 600}, {"status", "created"}}));
    return orders[0]["id"].get<int64_t>();
  }

  json NodeOrders(const std::string& node) {
    const CommandResult r = cluster_.Node(node, {"orders", "--json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.exit_code == 0 ? json::parse(r.out) : json::array();
  }

  // Waits until `node` holds order `id` with `status`.
  bool WaitHolds(const std::string& node, int64_t id, const std::string& status) {
    return WaitFor([&] { return !Find(NodeOrders(node), {{"id", id}, {"status", status}}).is_null(); }, 10000);
  }

  json BrokerOrder(int64_t id) { return cluster_.CtlJson({"explain", std::to_string(id)}); }
  json Stock(const std::string& warehouse) {
    return Pick(Find(cluster_.CtlJson({"stock"}), {{"warehouse", warehouse}, {"item", "mask.surgical"}}),
                {"on_hand", "reserved", "available"});
  }
  json SiteDemand(const std::string& site) {
    return Pick(Find(cluster_.CtlJson({"demand"}), {{"site", site}, {"item", "mask.surgical"}}),
                {"on_hand", "in_transit"});
  }
  // `ppe-ctl ARGS --json` with a bound of a few seconds, for filtered reads: a broker that hangs on
  // one fails the test quickly instead of at every later call.
  json CtlBounded(std::vector<std::string> args, const std::string& config = "ctl") {
    args.insert(args.begin(), {PPE_CTL, "--config", cluster_.dir() + "/" + config + ".yaml"});
    args.push_back("--json");
    const CommandResult r = RunCommand(args, 5);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.exit_code == 0 ? json::parse(r.out) : json();
  }
  // Everything a refused command must leave as it was.
  json State() { return {cluster_.CtlJson({"orders"}), cluster_.CtlJson({"stock"}), cluster_.CtlJson({"log"})}; }

  std::string Store(const std::string& name) const { return cluster_.dir() + "/data/" + name + ".db"; }

  TempFile city_{"dispatchville.yaml", kCity};
  Cluster cluster_{city_.path()};
};

// What a node and the broker must agree on for each order, in id order.
json Projection(const json& orders) {
  json rows = json::array();
  for (const json& o : orders) {
    rows.push_back(Pick(o, {"id", "round", "from_warehouse", "to_site", "item", "qty", "status"}));
  }
  return rows;
}

TEST_F(Dispatch, NodeDownForTwoRoundsGetsEveryOrderNamingItOnceAndInOrderThroughABrokerKill) {
  Record("beta", {"stock", "beta-wh", "sanitizer", "300"});
  Record("beta", {"demand", "b-hosp", "mask.surgical", "--on-hand", "0", "--daily-use", "50"});
  cluster_.KillNode("beta");

  // Round 1: alpha sends masks to beta's hospital, beta's sanitizer goes to alpha's hospital.
  Record("alpha", {"stock", "alpha-wh", "mask.surgical", "200"});
  Record("alpha", {"demand", "a-hosp", "sanitizer", "--on-hand", "0", "--daily-use", "10"});
  const json round1 = Allocate();
  ASSERT_EQ(round1.size(), 2u) << round1.dump(2);
  // Cancelled while beta is away: beta must still learn of it, as cancelled.
  const json sanitizer = Find(round1, {{"item", "sanitizer"}});
  ASSERT_EQ(cluster_.Ctl({"cancel", std::to_string(sanitizer["id"].get<int64_t>()), "--reason", "re-plan"}).exit_code, 0);

  // Round 2: more stock and demand, and an order (masks for a-hosp) that does not name beta.
  Record("alpha", {"receipt", "alpha-wh", "mask.surgical", "150"});
  Record("alpha", {"demand", "a-rail", "sanitizer", "--on-hand", "0", "--daily-use", "10"});
  Record("alpha", {"demand", "a-hosp", "mask.surgical", "--on-hand", "0", "--daily-use", "10"});
  ASSERT_GE(Allocate().size(), 3u);
  // The orders that name beta, as source or destination.
  auto naming_beta = [&] {
    json rows = json::array();
    for (const json& o : cluster_.CtlJson({"orders"})) {
      if (o["from_county"] == "beta" || o["to_county"] == "beta") rows.push_back(o);
    }
    return rows;
  };
  ASSERT_LT(naming_beta().size(), cluster_.CtlJson({"orders"}).size());

  // beta comes back; the broker dies as soon as the backlog starts to land, and restarts.
  auto held = [&] {
    const std::vector<int64_t> v = SqlInts(Store("beta"), "SELECT orders_held FROM link");
    return v.empty() ? 0 : v[0];
  };
  cluster_.StartNode("beta");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (held() == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  cluster_.KillBroker();
  cluster_.StartBroker();

  // Every order naming beta, in its current state, with beta's copy of the delivery queue complete
  // and acknowledged, and each order beta ships accepted (beta holds it).
  const std::string head_sql = "SELECT MAX(seq) FROM deliveries WHERE county = 'beta'";
  const std::string acked_sql = "SELECT acked FROM delivery_acks WHERE county = 'beta'";
  json expected, held_orders;
  const bool settled = WaitFor([&] {
    expected = naming_beta();
    held_orders = NodeOrders("beta");
    bool accepted = true;
    for (const json& o : expected) {
      if (o["from_county"] == "beta" && o["status"] != "cancelled") accepted = accepted && o["status"] == "accepted";
    }
    const std::vector<int64_t> head = SqlInts(Store("broker"), head_sql);
    return accepted && Projection(held_orders) == Projection(expected) && SqlInts(Store("broker"), acked_sql) == head &&
           std::vector<int64_t>{held()} == head;
  }, 10000);
  EXPECT_TRUE(settled) << "broker:\n" << Projection(expected).dump() << "\nbeta:\n" << Projection(held_orders).dump()
                       << "\nbroker queue head " << json(SqlInts(Store("broker"), head_sql)) << ", acked "
                       << json(SqlInts(Store("broker"), acked_sql)) << ", beta holds " << held();

  std::set<int64_t> ids;
  for (const json& o : held_orders) ids.insert(o["id"].get<int64_t>());
  EXPECT_EQ(ids.size(), held_orders.size()) << "duplicates at beta";
  const std::vector<int64_t> first_seq = SqlInts(Store("beta"), "SELECT first_seq FROM orders ORDER BY id");
  EXPECT_TRUE(std::is_sorted(first_seq.begin(), first_seq.end()) &&
              std::adjacent_find(first_seq.begin(), first_seq.end()) == first_seq.end())
      << "beta's delivery order: " << json(first_seq);
  EXPECT_EQ(Projection(CtlBounded({"orders", "--county", "beta"})), Projection(expected));
}

TEST_F(Dispatch, FullRoundMovesStockStepByStepAndAShortReceiptIsADiscrepancyCheckConfirms) {
  const int64_t id = OneOrder();
  ASSERT_GT(id, 0);
  const std::string order = std::to_string(id);
  // Created: reserved at the warehouse, in transit to the site.
  EXPECT_EQ(Stock("alpha-wh"), (json{{"on_hand", 600}, {"reserved", 600}, {"available", 0}}));
  EXPECT_EQ(SiteDemand("b-hosp"), (json{{"on_hand", 100}, {"in_transit", 600}}));

  // Both nodes hold it, each in its role; the source holding it made it accepted.
  ASSERT_TRUE(WaitHolds("alpha", id, "accepted"));
  ASSERT_TRUE(WaitHolds("beta", id, "accepted"));
  EXPECT_EQ(Find(NodeOrders("alpha"), {{"id", id}})["role"], "ship");
  EXPECT_EQ(Find(NodeOrders("beta"), {{"id", id}})["role"], "incoming");

  // Shipped: off the warehouse's books, still in transit.
  Record("alpha", {"ship", order});
  EXPECT_EQ(BrokerOrder(id)["status"], "shipped");
  EXPECT_EQ(Stock("alpha-wh"), (json{{"on_hand", 0}, {"reserved", 0}, {"available", 0}}));
  EXPECT_EQ(SiteDemand("b-hosp"), (json{{"on_hand", 100}, {"in_transit", 600}}));

  // Received 50 short: the site's stock rises by what arrived, and the difference is recorded.
  ASSERT_TRUE(WaitHolds("beta", id, "shipped"));
  const CommandResult receive = cluster_.Node("beta", {"receive", order, "--qty", "550"});
  ASSERT_EQ(receive.exit_code, 0) << receive.err;
  EXPECT_TRUE(Contains(receive.out, "discrepancy: shipped 600, received 550")) << receive.out;
  ASSERT_TRUE(cluster_.WaitDrained("beta"));
  const json received = BrokerOrder(id);
  EXPECT_EQ(Pick(received, {"status", "received_qty", "note"}),
            (json{{"status", "received"}, {"received_qty", 550}, {"note", "discrepancy: shipped 600, received 550"}}));
  EXPECT_EQ(SiteDemand("b-hosp"), (json{{"on_hand", 650}, {"in_transit", 0}}));
  const json log = cluster_.CtlJson({"log", "--status", "received"});
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0]["note"], "discrepancy: shipped 600, received 550");
  EXPECT_TRUE(WaitHolds("beta", id, "received"));
  EXPECT_EQ(Find(NodeOrders("beta"), {{"id", id}})["received_qty"], 550);
  // The coordinator's screen flags the discrepancy (issue 4, "Alerts ... discrepancies").
  const json alerts = cluster_.CtlJson({"status"})["alerts"];
  EXPECT_TRUE(Contains(alerts.dump(), "discrepancy") && Contains(alerts.dump(), "order " + order)) << alerts.dump(2);

  const CommandResult clean = cluster_.Ctl({"check"});
  EXPECT_EQ(clean.exit_code, 0) << clean.out << clean.err;
  EXPECT_TRUE(Contains(clean.out, "ledger and books agree")) << clean.out;

  // A row edited behind the broker's back: check names the figure and the difference.
  cluster_.StopBroker();
  SqlExec(Store("broker"),
          "UPDATE stock SET on_hand = on_hand + 7 WHERE warehouse = 'alpha-wh' AND item = 'mask.surgical'");
  cluster_.StartBroker();
  const CommandResult broken = cluster_.Ctl({"check"});
  EXPECT_EQ(broken.exit_code, 1) << broken.out << broken.err;
  EXPECT_TRUE(Contains(broken.out, "alpha-wh mask.surgical: books say 7, ledger says 0 (difference 7)")) << broken.out;
}

TEST_F(Dispatch, OnlyTheNodeAnOrderNamesInARoleMayTakeThatStepAndARepeatedShipIsANoOp) {
  const int64_t id = OneOrder();
  ASSERT_GT(id, 0);
  const std::string order = std::to_string(id);
  ASSERT_TRUE(WaitHolds("alpha", id, "accepted"));
  ASSERT_TRUE(WaitHolds("beta", id, "accepted"));
  const json before = State();

  // The node command refuses at once, naming the node that may.
  const std::vector<std::pair<std::vector<std::string>, std::string>> refused = {
      {{"beta", "ship", order}, "order " + order + " ships from alpha; only alpha's node can ship it"},
      {{"beta", "reject", order, "--reason", "none left"}, "only alpha's node can reject it"},
      {{"alpha", "receive", order}, "order " + order + " goes to beta; only beta's node can receive it"},
      {{"gamma", "ship", order}, "order " + order + " is not known at this node: it does not name gamma"}};
  for (const auto& [argv, error] : refused) {
    const CommandResult r = cluster_.Node(argv[0], std::vector<std::string>(argv.begin() + 1, argv.end()));
    EXPECT_NE(r.exit_code, 0) << argv[0] << " " << argv[1];
    EXPECT_TRUE(Contains(r.err, error)) << r.err;
  }

  // The broker checks again: steps sent with the key of a county the order does not name.
  RawClient gamma(cluster_.NodeConfig("gamma"));
  wire::Envelope batch;
  for (const wire::OrderStepKind kind : {wire::SHIP, wire::REJECT, wire::RECEIVE}) {
    wire::Report* report = batch.mutable_reports()->add_reports();
    report->set_seq(batch.reports().reports_size());
    report->mutable_order_step()->set_order_id(id);
    report->mutable_order_step()->set_step(kind);
    report->mutable_order_step()->set_quantity(kind == wire::RECEIVE ? 600 : 0);
    report->mutable_order_step()->set_reason(kind == wire::REJECT ? "not ours" : "");
  }
  gamma.Send(batch);
  std::vector<wire::ReportError> errors;
  ASSERT_TRUE(gamma.WaitAck(3, &errors));
  ASSERT_EQ(errors.size(), 3u);
  for (const wire::ReportError& e : errors) {
    EXPECT_EQ(e.code(), wire::NOT_YOUR_COUNTY) << e.text();
    EXPECT_TRUE(Contains(e.text(), "order " + order)) << e.text();
  }
  EXPECT_EQ(State(), before);

  // A repeated ship, before and after the broker applied the first, does nothing.
  ASSERT_EQ(cluster_.Node("alpha", {"ship", order}).exit_code, 0);
  for (int i = 0; i < 2; ++i) {
    const CommandResult again = cluster_.Node("alpha", {"ship", order});
    EXPECT_EQ(again.exit_code, 0) << again.err;
    // The first repeat may come before the broker's answer (then the node says "pending").
    const bool answered = Contains(again.out, "order " + order + " is already shipped; nothing to do");
    const bool pending = Contains(again.out, "order " + order + " is already shipped (pending); nothing to do");
    EXPECT_TRUE(answered || (i == 0 && pending)) << again.out;
    ASSERT_TRUE(cluster_.WaitDrained("alpha"));
    ASSERT_TRUE(WaitHolds("alpha", id, "shipped"));
  }
  EXPECT_EQ(cluster_.CtlJson({"log", "--status", "shipped"}).size(), 1u);
  EXPECT_EQ(Stock("alpha-wh")["on_hand"], 0);

  // The order's own counties in the wrong role, with their real keys, straight to the broker.
  const json shipped = State();
  for (const auto& [node, kind] : {std::pair{"alpha", wire::RECEIVE}, std::pair{"beta", wire::SHIP}}) {
    cluster_.KillNode(node);
    RawClient client(cluster_.NodeConfig(node));
    wire::Envelope step;
    wire::Report* report = step.mutable_reports()->add_reports();
    report->set_seq(cluster_.NodeStatus(node)["recorded"].get<uint64_t>() + 1);
    report->mutable_order_step()->set_order_id(id);
    report->mutable_order_step()->set_step(kind);
    report->mutable_order_step()->set_quantity(600);
    client.Send(step);
    std::vector<wire::ReportError> wrong_role;
    ASSERT_TRUE(client.WaitAck(report->seq(), &wrong_role)) << node;
    ASSERT_EQ(wrong_role.size(), 1u) << node;
    EXPECT_EQ(wrong_role[0].code(), wire::NOT_YOUR_COUNTY) << wrong_role[0].text();
  }
  EXPECT_EQ(State(), shipped);
}

TEST_F(Dispatch, ViewerReadsOrdersLogAndExplanationsButCannotAllocateOrCancel) {
  const int64_t id = OneOrder();
  ASSERT_GT(id, 0);
  const json before = State();
  const CommandResult allocate = cluster_.Ctl({"allocate"}, "viewer");
  EXPECT_NE(allocate.exit_code, 0);
  EXPECT_TRUE(Contains(allocate.err, "a viewer key cannot run an allocation round")) << allocate.err;
  const CommandResult cancel = cluster_.Ctl({"cancel", std::to_string(id), "--reason", "mine now"}, "viewer");
  EXPECT_NE(cancel.exit_code, 0);
  EXPECT_TRUE(Contains(cancel.err, "a viewer key cannot cancel orders")) << cancel.err;
  EXPECT_EQ(State(), before);

  EXPECT_EQ(cluster_.CtlJson({"orders"}, "viewer").size(), 1u);
  EXPECT_EQ(cluster_.CtlJson({"log"}, "viewer").size(), before[2].size());
  EXPECT_EQ(cluster_.CtlJson({"explain", std::to_string(id)}, "viewer")["to_site"], "b-hosp");
  EXPECT_EQ(cluster_.Ctl({"allocate", "--dry-run"}, "viewer").exit_code, 0);
}

TEST_F(Dispatch, CoordinatorCancelReleasesTheReservationButAShippedOrderCannotBeCancelled) {
  const int64_t id = OneOrder();
  ASSERT_GT(id, 0);
  const CommandResult cancel = cluster_.Ctl({"cancel", std::to_string(id), "--reason", "site closed"});
  ASSERT_EQ(cancel.exit_code, 0) << cancel.err;
  EXPECT_EQ(BrokerOrder(id)["status"], "cancelled");
  EXPECT_EQ(Stock("alpha-wh"), (json{{"on_hand", 600}, {"reserved", 0}, {"available", 600}}));
  EXPECT_EQ(SiteDemand("b-hosp"), (json{{"on_hand", 100}, {"in_transit", 0}}));

  // The stock is back in the pool: the next round orders it again; shipped, it stays.
  const json again = Allocate();
  ASSERT_EQ(again.size(), 1u);
  const int64_t second = again[0]["id"].get<int64_t>();
  ASSERT_TRUE(WaitHolds("alpha", second, "accepted"));
  Record("alpha", {"ship", std::to_string(second)});
  const CommandResult late = cluster_.Ctl({"cancel", std::to_string(second), "--reason", "too late"});
  EXPECT_NE(late.exit_code, 0);
  EXPECT_TRUE(Contains(late.err, "order 2 is shipped; it can no longer be cancelled")) << late.err;
  EXPECT_EQ(BrokerOrder(second)["status"], "shipped");
}

// Goods before news, and steps that cross on the way (docs/dispatch.md, "Conflicts"). In each,
// alpha's daemon is down: its operator's step waits in alpha's outbox while the rest happens.
class DispatchConflict : public Dispatch {
 protected:
  // The one order, held as accepted by both nodes; then alpha's daemon goes down.
  int64_t OrderWithSourceOffline() {
    const int64_t id = OneOrder();
    EXPECT_TRUE(WaitHolds("alpha", id, "accepted"));
    EXPECT_TRUE(WaitHolds("beta", id, "accepted"));
    cluster_.KillNode("alpha");
    return id;
  }
  // alpha comes back; its outbox reaches the broker.
  void SourceBack() {
    cluster_.StartNode("alpha");
    ASSERT_TRUE(cluster_.WaitDrained("alpha")) << cluster_.NodeStatus("alpha").dump();
  }
  // Both nodes hold the order exactly once, in the broker's status.
  void ExpectBothNodesHold(int64_t id, const std::string& status) {
    EXPECT_EQ(BrokerOrder(id)["status"], status);
    for (const char* node : {"alpha", "beta"}) {
      EXPECT_TRUE(WaitHolds(node, id, status)) << node << ": " << NodeOrders(node).dump(2);
      int copies = 0;
      for (const json& o : NodeOrders(node)) copies += o["id"] == id;
      EXPECT_EQ(copies, 1) << node;
    }
  }
  void ExpectClean() {
    const CommandResult check = cluster_.Ctl({"check"});
    EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
  }
  // The conflict's line, as `status` shows it to the coordinator (empty if none).
  std::string ConflictAlert(int64_t id) {
    const json status = cluster_.CtlJson({"status"});  // kept: a loop over a temporary's member dangles
    for (const json& a : status["alerts"]) {
      if (a.value("kind", "") == "order_conflict" && Contains(a.value("text", ""), "order " + std::to_string(id))) {
        return a["text"];
      }
    }
    return "";
  }
};

TEST_F(DispatchConflict, AReceiptBeforeTheShippingNewsImpliesTheShipmentAndTheLateShipIsANoOp) {
  const int64_t id = OrderWithSourceOffline();
  const std::string order = std::to_string(id);
  // alpha's operator ships with the network down; the truck reaches the hospital first.
  const CommandResult ship = cluster_.Node("alpha", {"ship", order});
  ASSERT_EQ(ship.exit_code, 0) << ship.err;
  const CommandResult receive = cluster_.Node("beta", {"receive", order});
  ASSERT_EQ(receive.exit_code, 0) << receive.err;
  EXPECT_TRUE(Contains(receive.out, "received before the news of its shipping")) << receive.out;
  ASSERT_TRUE(cluster_.WaitDrained("beta"));
  // The broker applied the shipment the receipt implies: off alpha's shelf, on b-hosp's.
  EXPECT_EQ(BrokerOrder(id)["status"], "received");
  EXPECT_EQ(Stock("alpha-wh"), (json{{"on_hand", 0}, {"reserved", 0}, {"available", 0}}));
  EXPECT_EQ(SiteDemand("b-hosp"), (json{{"on_hand", 700}, {"in_transit", 0}}));
  const json shipped = cluster_.CtlJson({"log", "--status", "shipped"});
  ASSERT_EQ(shipped.size(), 1u) << shipped.dump(2);
  EXPECT_EQ(shipped[0]["who"], "beta");
  EXPECT_EQ(shipped[0]["note"], "implied by its receipt at b-hosp");
  // The ship alpha recorded arrives late: nothing moves twice, no conflict.
  SourceBack();
  EXPECT_EQ(Stock("alpha-wh"), (json{{"on_hand", 0}, {"reserved", 0}, {"available", 0}}));
  EXPECT_EQ(cluster_.CtlJson({"log", "--status", "shipped"}).size(), 1u);
  EXPECT_EQ(ConflictAlert(id), "");
  ExpectBothNodesHold(id, "received");
  ExpectClean();
}

TEST_F(DispatchConflict, ARejectThatMeetsAReceiptIsVoidAndRecordedForTheCoordinator) {
  const int64_t id = OrderWithSourceOffline();
  const std::string order = std::to_string(id);
  const CommandResult reject = cluster_.Node("alpha", {"reject", order, "--reason", "no truck"});
  ASSERT_EQ(reject.exit_code, 0) << reject.err;
  Record("beta", {"receive", order, "--qty", "600"});
  SourceBack();
  // Goods that were received were shipped: the receipt stands, the reject is void, and said.
  EXPECT_EQ(Pick(BrokerOrder(id), {"status", "received_qty"}), (json{{"status", "received"}, {"received_qty", 600}}));
  EXPECT_EQ(Stock("alpha-wh"), (json{{"on_hand", 0}, {"reserved", 0}, {"available", 0}}));
  const std::string alert = ConflictAlert(id);
  EXPECT_TRUE(Contains(alert, "rejected by alpha (no truck) after it was received: the receipt stands")) << alert;
  bool logged = false;
  const json log = cluster_.CtlJson({"log"});
  for (const json& row : log) {
    logged = logged || (row["order"] == id && Contains(row["note"].get<std::string>(), "conflict: rejected by alpha"));
  }
  EXPECT_TRUE(logged) << log.dump(2);
  ExpectBothNodesHold(id, "received");
  ExpectClean();
}

TEST_F(DispatchConflict, ACancelThatMeetsAShipmentEndsAsShippedAndTheStockLeaves) {
  const int64_t id = OrderWithSourceOffline();
  const std::string order = std::to_string(id);
  ASSERT_EQ(cluster_.Node("alpha", {"ship", order}).exit_code, 0);
  // The coordinator, who cannot know, cancels: the broker releases the stock.
  const CommandResult cancel = cluster_.Ctl({"cancel", order, "--reason", "sent elsewhere"});
  ASSERT_EQ(cancel.exit_code, 0) << cancel.err;
  EXPECT_EQ(Stock("alpha-wh"), (json{{"on_hand", 600}, {"reserved", 0}, {"available", 600}}));
  // The shipment arrives: the goods left, so the order is shipped after all, and that is said.
  SourceBack();
  EXPECT_EQ(BrokerOrder(id)["status"], "shipped");
  EXPECT_EQ(Stock("alpha-wh"), (json{{"on_hand", 0}, {"reserved", 0}, {"available", 0}}));
  EXPECT_EQ(SiteDemand("b-hosp"), (json{{"on_hand", 100}, {"in_transit", 600}}));
  const std::string alert = ConflictAlert(id);
  EXPECT_TRUE(Contains(alert, "shipped by alpha after it was cancelled (sent elsewhere): the shipment stands")) << alert;
  ExpectClean();
  ASSERT_TRUE(WaitHolds("beta", id, "shipped"));
  Record("beta", {"receive", order});
  ExpectBothNodesHold(id, "received");
  EXPECT_EQ(SiteDemand("b-hosp"), (json{{"on_hand", 700}, {"in_transit", 0}}));
  ExpectClean();
  // A node that knows what happened refuses a step that contradicts it, and records nothing.
  const CommandResult late = cluster_.Node("alpha", {"reject", order, "--reason", "too late"});
  EXPECT_NE(late.exit_code, 0);
  EXPECT_TRUE(Contains(late.err, "order " + order + " is received; it can no longer be rejected")) << late.err;
  EXPECT_EQ(cluster_.NodeStatus("alpha")["outbox_pending"], 0);
}

// A node one release older, byte for byte: gamma speaks the previous release's schema
// (tests/compat/ppe_previous.proto, which has no OrderStatus enum, no lot or expiry, no as_of).
class PreviousReleaseNode {
 public:
  explicit PreviousReleaseNode(const std::string& config) : raw_(config) {}
  void Send(const previous::Envelope& envelope) { raw_.SendRaw(envelope.SerializeAsString()); }
  // The next message of the kind `wanted`, parsed with the old schema; others are kept aside.
  std::optional<previous::Envelope> Next(previous::Envelope::BodyCase wanted, int timeout_ms = 10000) {
    const int64_t deadline = MonotonicMs() + timeout_ms;
    while (MonotonicMs() < deadline) {
      const std::optional<std::string> bytes = raw_.ReceiveRaw(static_cast<int>(std::max<int64_t>(1, deadline - MonotonicMs())));
      if (!bytes) continue;
      previous::Envelope envelope;
      if (!envelope.ParseFromString(*bytes)) {
        ADD_FAILURE() << "the previous release cannot parse a message of " << bytes->size() << " bytes";
        continue;
      }
      if (envelope.body_case() == previous::Envelope::BODY_NOT_SET) ++not_understood_;
      if (envelope.body_case() == wanted) return envelope;
      if (envelope.has_orders()) {
        for (const auto& e : envelope.orders().entries()) orders_[e.order().order_id()] = e;
      }
    }
    return std::nullopt;
  }
  // Messages whose body this release has no field for (a catalogue change would be one).
  int not_understood() const { return not_understood_; }
  // The latest delivery entry held for `order`, waiting for deliveries up to `timeout_ms`.
  std::optional<previous::OrderDelivery::Entry> Order(uint64_t order, const std::string& status) {
    const int64_t deadline = MonotonicMs() + 10000;
    while (MonotonicMs() < deadline) {
      auto it = orders_.find(order);
      if (it != orders_.end() && it->second.order().status() == status) return it->second;
      if (const auto delivery = Next(previous::Envelope::kOrders, 200)) {
        for (const auto& entry : delivery->orders().entries()) orders_[entry.order().order_id()] = entry;
      }
    }
    return std::nullopt;
  }
  bool WaitAck(uint64_t seq) {
    const int64_t deadline = MonotonicMs() + 10000;
    while (MonotonicMs() < deadline) {
      const std::optional<previous::Envelope> ack = Next(previous::Envelope::kAck, 500);
      if (ack && ack->ack().up_to_seq() >= seq) return true;
    }
    return false;
  }

 private:
  RawClient raw_;
  std::map<uint64_t, previous::OrderDelivery::Entry> orders_;
  int not_understood_ = 0;
};

TEST_F(Dispatch, ANodeOneReleaseOlderReportsShipsAndGetsItsOrdersFromThisBroker) {
  PreviousReleaseNode gamma(cluster_.NodeConfig("gamma"));
  previous::Envelope hello;
  hello.mutable_hello()->set_software_version("ppe-node (previous release)");
  gamma.Send(hello);
  const std::optional<previous::Envelope> welcome = gamma.Next(previous::Envelope::kWelcome);
  ASSERT_TRUE(welcome.has_value());
  EXPECT_EQ(welcome->welcome().last_applied_seq(), 0u);
  // A catalogue change goes to the nodes that take the stream, never to this one.
  ASSERT_EQ(cluster_.Ctl({"site", "add", "g-clinic", "--county", "gamma", "--kind", "designated_hospital",
                          "--headcount", "20", "--name", "Gamma clinic"}).exit_code, 0);
  ASSERT_TRUE(WaitFor([&] { return cluster_.NodeStatus("beta").value("catalogue_version", 0) == 1; }, 10000));

  // Its count, in the old schema: the broker applies it.
  previous::Envelope count;
  previous::Report* r = count.mutable_reports()->add_reports();
  r->set_seq(1);
  r->set_recorded_at_ms(NowMs());
  r->mutable_stock()->set_warehouse("gamma-wh");
  r->mutable_stock()->set_item("mask.surgical");
  r->mutable_stock()->set_quantity(600);
  gamma.Send(count);
  ASSERT_TRUE(gamma.WaitAck(1));
  EXPECT_EQ(Stock("gamma-wh"), (json{{"on_hand", 600}, {"reserved", 0}, {"available", 600}}));

  // A round gives beta's hospital gamma's masks: the old node reads the order, status as a word.
  Record("beta", {"demand", "b-hosp", "mask.surgical", "--on-hand", "100", "--daily-use", "100"});
  const json orders = Allocate();
  ASSERT_EQ(orders.size(), 1u) << orders.dump(2);
  ASSERT_EQ(orders[0]["from_warehouse"], "gamma-wh");
  const auto id = orders[0]["id"].get<uint64_t>();
  const std::optional<previous::OrderDelivery::Entry> created = gamma.Order(id, "created");
  ASSERT_TRUE(created.has_value());
  EXPECT_EQ(created->order().qty(), 600);
  EXPECT_EQ(created->order().to_site(), "b-hosp");
  previous::Envelope ack;
  ack.mutable_order_ack()->set_up_to_seq(created->seq());
  gamma.Send(ack);
  ASSERT_TRUE(WaitFor([&] { return BrokerOrder(static_cast<int64_t>(id))["status"] == "accepted"; }, 10000));

  // It ships with the old OrderStep; the new node at the destination receives.
  previous::Envelope ship;
  previous::Report* step = ship.mutable_reports()->add_reports();
  step->set_seq(2);
  step->set_recorded_at_ms(NowMs());
  step->mutable_order_step()->set_order_id(id);
  step->mutable_order_step()->set_step(previous::SHIP);
  gamma.Send(ship);
  ASSERT_TRUE(gamma.WaitAck(2));
  EXPECT_TRUE(gamma.Order(id, "shipped").has_value());
  ASSERT_TRUE(WaitHolds("beta", static_cast<int64_t>(id), "shipped"));
  Record("beta", {"receive", std::to_string(id)});
  EXPECT_TRUE(gamma.Order(id, "received").has_value());
  EXPECT_EQ(SiteDemand("b-hosp"), (json{{"on_hand", 700}, {"in_transit", 0}}));
  const CommandResult check = cluster_.Ctl({"check"});
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
  EXPECT_EQ(gamma.not_understood(), 0);
}

TEST_F(Dispatch, TheCatalogueAsYamlIsACityFileInitAcceptsAndReadsBackTheSame) {
  const CommandResult yaml = cluster_.Ctl({"catalogue", "--yaml"});
  ASSERT_EQ(yaml.exit_code, 0) << yaml.err;
  TempFile written("catalogue.yaml", yaml.out);
  const std::string out = cluster_.dir() + "/second";
  const CommandResult init = RunCommand({PPE_CTL, "init", "--city", written.path(), "--out", out, "--bind", "127.0.0.1"}, 30);
  ASSERT_EQ(init.exit_code, 0) << init.err << yaml.out;
  auto original = City::Parse(kCity), back = City::Load(written.path());
  ASSERT_TRUE(original.ok() && back.ok()) << yaml.out;
  EXPECT_EQ(back->sites().size(), original->sites().size());
  EXPECT_EQ(back->FindSite("a-rail")->tier, original->FindSite("a-rail")->tier);
  EXPECT_EQ(back->policy().reserve_warehouse, "city-reserve");
  EXPECT_EQ(back->DistanceKm("alpha", "gamma"), original->DistanceKm("alpha", "gamma"));
  const json catalogue = cluster_.CtlJson({"catalogue"}, "viewer");
  EXPECT_EQ(catalogue["sites"].size(), 4u);
  EXPECT_EQ(catalogue["policy"]["min_order_days"], 1);
}

TEST_F(Dispatch, LogHasEveryOrderEventAsCsvJsonAndJsonLinesFileAndFiltersByCountyAndStatus) {
  const int64_t id = OneOrder();
  ASSERT_GT(id, 0);
  ASSERT_TRUE(WaitHolds("alpha", id, "accepted"));
  Record("alpha", {"ship", std::to_string(id)});
  ASSERT_TRUE(WaitHolds("beta", id, "shipped"));
  Record("beta", {"receive", std::to_string(id)});

  const json rows = cluster_.CtlJson({"log"}, "viewer");
  json statuses = json::array();
  for (const json& row : rows) statuses.push_back(row["status"]);
  EXPECT_EQ(statuses, (json{"created", "accepted", "shipped", "received"}));
  for (const json& row : rows) {
    EXPECT_EQ(Pick(row, {"order", "from", "to", "item", "qty"}),
              (json{{"order", id}, {"from", "alpha-wh"}, {"to", "b-hosp"}, {"item", "mask.surgical"}, {"qty", 600}}));
  }

  const CommandResult csv = cluster_.Ctl({"log", "--csv"}, "viewer");
  ASSERT_EQ(csv.exit_code, 0) << csv.err;
  const std::vector<std::string> lines = Lines(csv.out);
  ASSERT_EQ(lines.size(), rows.size() + 1) << csv.out;
  EXPECT_EQ(lines[0].rfind("time,order,status,from,to,item,qty,who", 0), 0u) << lines[0];
  for (size_t i = 1; i < lines.size(); ++i) {
    const std::string expected =
        fmt::format(",{},{},alpha-wh,b-hosp,", id, statuses[i - 1].get<std::string>());
    EXPECT_TRUE(Contains(lines[i], expected)) << lines[i];
  }

  // The dispatch log file: the same events, one JSON object a line.
  const std::vector<std::string> file = Lines(ReadFile(cluster_.dir() + "/logs/dispatch.jsonl"));
  ASSERT_EQ(file.size(), rows.size());
  for (size_t i = 0; i < file.size(); ++i) {
    const json event = json::parse(file[i], nullptr, false);
    ASSERT_TRUE(event.is_object()) << file[i];
    for (const char* key : {"time", "order", "from", "to", "item", "qty", "status", "who"}) {
      EXPECT_TRUE(event.contains(key)) << key << " missing in " << file[i];
    }
    EXPECT_EQ(Pick(event, {"order", "status", "who"}), Pick(rows[i], {"order", "status", "who"}));
  }

  const json shipped = cluster_.CtlJson({"log", "--status", "shipped"}, "viewer");
  ASSERT_EQ(shipped.size(), 1u);
  EXPECT_EQ(shipped[0]["who"], "alpha");
  EXPECT_EQ(cluster_.CtlJson({"orders", "--status", "received"}, "viewer").size(), 1u);
  ASSERT_EQ(CtlBounded({"log", "--county", "beta"}, "viewer"), rows);
  EXPECT_EQ(CtlBounded({"log", "--county", "gamma"}, "viewer"), json::array());
  EXPECT_EQ(CtlBounded({"orders", "--county", "gamma"}, "viewer"), json::array());
}

TEST_F(Dispatch, ViewerFollowingTheLogSeesANewOrderLive) {
  ReportShortage();
  Background follow({PPE_CTL, "--config", cluster_.dir() + "/viewer.yaml", "log", "--follow", "--json"}, cluster_.dir());
  ASSERT_TRUE(WaitFor([&] { return Contains(follow.err(), "following the dispatch log"); }, 10000)) << follow.err();
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // the subscription reaches the broker

  const json orders = Allocate();
  ASSERT_EQ(orders.size(), 1u);
  const json expected = {{"order", orders[0]["id"]}, {"status", "created"}, {"to", "b-hosp"}};
  EXPECT_TRUE(WaitFor([&] {
    for (const std::string& line : Lines(follow.out())) {
      const json event = json::parse(line, nullptr, false);
      if (event.is_object() && Pick(event, {"order", "status", "to"}) == expected) return true;
    }
    return false;
  }, 10000)) << follow.out() << follow.err();
}

// Orders reach only nodes that are up: a node whose daemon is started as its operator records the
// first figure (two processes creating the store at once) must come up, and the figure be recorded.
TEST(DispatchNodeStart, EveryNodeComesUpWhenItsFirstCommandRunsAsItsDaemonStarts) {
  Cluster cluster;  // Sanming: 13 nodes
  cluster.StartBroker();
  std::vector<std::string> nodes;
  for (const auto& entry : std::filesystem::directory_iterator(cluster.dir() + "/nodes")) {
    nodes.push_back(entry.path().stem());
  }
  ASSERT_EQ(nodes.size(), 13u);
  for (const std::string& node : nodes) {
    cluster.StartNode(node);
    const std::string warehouse = node == "city" ? "city-reserve" : node + "-wh";
    const CommandResult r = cluster.Node(node, {"stock", warehouse, "mask.n95", "100"});
    EXPECT_EQ(r.exit_code, 0) << node << ": " << r.err;
  }
  for (const std::string& node : nodes) {
    EXPECT_TRUE(WaitFor([&] { return cluster.NodeStatus(node).value("connected", false); }, 5000)) << node;
  }
}

}  // namespace
}  // namespace ppe::testing
