// Operator mistakes at the real ppe-node command line: each is refused with a non-zero exit, a
// message naming what was wrong and how to fix it, and nothing recorded.
#include <gtest/gtest.h>

#include <fstream>

#include <sqlite3.h>

#include "common/clock.h"
#include "common/deployment.h"
#include "tests/cluster.h"

namespace ppe::testing {
namespace {

struct Mistake {
  std::vector<std::string> args;
  std::string what;  // the problem, as the message names it
  std::string fix;   // the way out it offers
};

std::string WriteFile(const std::string& path, const std::string& text) {
  std::ofstream(path) << text;
  return path;
}

TEST(NodeCli, EveryRejectionSaysWhatWasWrongAndHowToFixIt) {
  Cluster cluster;
  const std::string csv_dir = cluster.dir();
  const std::string header = "type,place,item,quantity,daily_use,source,from\n";
  const std::vector<Mistake> mistakes = {
      {{"stock", "sanyuan-whx", "mask.n95", "10"}, "unknown warehouse 'sanyuan-whx'", "this node's warehouses: sanyuan-wh"},
      {{"stock", "meilie-wh", "mask.n95", "10"}, "belongs to meilie", "this node's warehouses: sanyuan-wh"},
      {{"stock", "sanyuan-wh", "mask.n96", "10"}, "unknown item 'mask.n96'", "items: mask.n95"},
      {{"stock", "sanyuan-wh", "mask.n95", "5,00"}, "'5,00' is not a whole number", "write it like 5000"},
      {{"stock", "sanyuan-wh", "mask.n95", "-3"}, "is negative", "0 or more"},
      {{"stock", "sanyuan-wh", "mask.n95", "99999999999999999999"}, "too large", "check"},
      {{"stock", "sanyuan-wh", "mask.n95", "20000000000"}, "beyond any real stock", "check"},
      {{"receipt", "sanyuan-wh", "mask.n95", "0"}, "receipt quantity is zero", "1 or more"},
      {{"receipt", "sanyuan-wh", "mask.n95", "10", "--source", "gift"}, "gift", "production"},
      {{"receipt", "sanyuan-wh", "mask.n95", "10", "--source", "donation"}, "a donation needs its donor", "--from"},
      {{"receipt", "sanyuan-wh", "mask.n95", "10", "--source", "donation", "--from", std::string(300, 'd')},
       "300 characters long; at most 200", "shorten"},
      {{"receipt", "sanyuan-wh", "mask.n95", "10", "--source", "donation", "--from", "\xff\xff\xfd"},
       "neither UTF-8 nor GBK", "UTF-8"},
      {{"receipt", "sanyuan-wh", "mask.n95", "10", "--source", "donation", "--from", "Red\nCross"},
       "line break", "one line"},
      {{"demand", "sy-integrated-hospital", "mask.n95", "--on-hand", "5", "--daily-use", "0x10"},
       "daily use '0x10' is not a number", "write it like 1200"},
      {{"import", WriteFile(csv_dir + "/comma.csv", header + "stock,sanyuan-wh,mask.n95,1,000,,,\n")},
       "line 2: has 8 fields but the header has 7", "\"1,000\""},
      {{"demand", "sm-first-hospital", "mask.n95", "--on-hand", "5"}, "belongs to meilie", "sy-integrated-hospital"},
      {{"demand", "sy-nowhere", "mask.n95", "--on-hand", "5"}, "unknown site 'sy-nowhere'", "city file is out of date"},
      {{"demand", "sy-integrated-hospital", "mask.n95", "--on-hand", "5", "--daily-use", "lots"},
       "daily use 'lots' is not a number", "write it like 1200"},
      {{"demand", "sy-integrated-hospital", "mask.n95", "--on-hand", "5", "--daily-use", "-2"},
       "daily use -2 is negative", "0 or more"},
      {{"demand", "sy-integrated-hospital", "mask.n95", "--on-hand", "5", "--daily-use", "200000000"},
       "daily use", "between 0 and"},
      {{"demand", "sy-integrated-hospital", "mask.n95"}, "--on-hand is required", "--help"},
      {{"import", csv_dir + "/missing.csv"}, "cannot read", "fix"},
      {{"import", WriteFile(csv_dir + "/bad.csv", header + "count,sanyuan-wh,mask.n95,5,,,\n")},
       "line 2: type 'count' is not one of stock, receipt, demand", "import again"},
      {{"import", WriteFile(csv_dir + "/nohead.csv", "sanyuan-wh,mask.n95,5\n")}, "header lacks column", "expected type,place"},
      {{"receipt", "sanyuan-wh", "mask.n95", "10", "--expires", "2020-02-30"},
       "expiry date '2020-02-30' is not a date on the calendar (February 2020 has 29 days)", "write it like 2020-06-30"},
      {{"receipt", "sanyuan-wh", "mask.n95", "10", "--expires", "3.2.2020"}, "expiry date '3.2.2020' is not a date",
       "write it like 2020-06-30 (year-month-day, with the zeros)"},
      {{"receipt", "sanyuan-wh", "mask.n95", "10", "--expires", "1999-12-31"}, "in the year 1999",
       "check the year printed on the box"},
      {{"receipt", "sanyuan-wh", "mask.n95", "10", "--expires", "2020-01-31"}, "the batch expired on 2020-01-31",
       "repeat with --confirm"},
      {{"receipt", "sanyuan-wh", "mask.n95", "10", "--lot", "L1\nL2"}, "line break", "one line"},
      {{"ship", "42"}, "order 42 is not known at this node", "ppe-node orders"},
      {{"reject", "42"}, "--reason is required", "--help"},
      {{"stcok", "sanyuan-wh"}, "stcok", "--help"},
  };
  for (const Mistake& m : mistakes) {
    const CommandResult r = cluster.Node("sanyuan", m.args);
    std::string command;
    for (const std::string& a : m.args) command += a.substr(0, 40) + " ";
    EXPECT_NE(r.exit_code, 0) << command;
    EXPECT_NE(r.err.find(m.what), std::string::npos) << command << "\n  lacks what: " << m.what << "\n  " << r.err;
    EXPECT_NE(r.err.find(m.fix), std::string::npos) << command << "\n  lacks how: " << m.fix << "\n  " << r.err;
  }
  EXPECT_EQ(cluster.NodeStatus("sanyuan")["recorded"], 0);

  const CommandResult no_config = RunCommand({PPE_NODE, "--config", csv_dir + "/nodes/nope.yaml", "status"});
  EXPECT_NE(no_config.exit_code, 0);
  EXPECT_NE(no_config.err.find("nodes/nope.yaml"), std::string::npos) << no_config.err;
  EXPECT_NE(no_config.err.find("ppe-ctl init"), std::string::npos) << no_config.err;
}

TEST(NodeCli, AnImplausibleFigureNeedsConfirmation) {
  Cluster cluster;
  ASSERT_EQ(cluster.Node("sanyuan", {"stock", "sanyuan-wh", "mask.n95", "500"}).exit_code, 0);
  const CommandResult slip = cluster.Node("sanyuan", {"stock", "sanyuan-wh", "mask.n95", "500000"});
  EXPECT_NE(slip.exit_code, 0);
  EXPECT_NE(slip.err.find("over 100 times the last figure recorded (500)"), std::string::npos) << slip.err;
  EXPECT_NE(slip.err.find("--confirm"), std::string::npos) << slip.err;
  EXPECT_EQ(cluster.NodeStatus("sanyuan")["recorded"], 1);
  EXPECT_EQ(cluster.Node("sanyuan", {"stock", "sanyuan-wh", "mask.n95", "500000", "--confirm"}).exit_code, 0);
  EXPECT_EQ(cluster.NodeStatus("sanyuan")["recorded"], 2);
}

// "YYYY-MM-DD HH:MM" local, `minutes` from now (negative: ago), as an operator types --as-of.
std::string MinutesFromNow(int64_t minutes) { return FormatTime(NowMs() + minutes * 60'000).substr(0, 16); }

TEST(NodeCli, ADailyUseOverTenTimesTheLastNeedsConfirmation) {
  Cluster cluster;
  const std::vector<std::string> demand = {"demand", "sy-integrated-hospital", "mask.n95", "--on-hand", "100",
                                           "--daily-use"};
  auto with = [&](std::vector<std::string> tail) {
    std::vector<std::string> args = demand;
    args.insert(args.end(), tail.begin(), tail.end());
    return cluster.Node("sanyuan", args);
  };
  ASSERT_EQ(with({"300"}).exit_code, 0);
  EXPECT_EQ(with({"3000"}).exit_code, 0);  // exactly 10x
  const CommandResult slip = with({"300000"});
  EXPECT_NE(slip.exit_code, 0);
  EXPECT_NE(slip.err.find("daily use 300000 for sy-integrated-hospital mask.n95 is over 10 times the last one "
                          "recorded (3000); check it, and if it is right, repeat the command with --confirm"),
            std::string::npos)
      << slip.err;
  EXPECT_EQ(cluster.NodeStatus("sanyuan")["recorded"], 2);
  const CommandResult confirmed = with({"300000", "--confirm"});
  EXPECT_EQ(confirmed.exit_code, 0) << confirmed.err;
  EXPECT_EQ(cluster.NodeStatus("sanyuan")["recorded"], 3);
}

TEST(NodeCli, AsOfDatesACountAndCountsGoInOldestFirst) {
  Cluster cluster;
  const std::string yesterday = MinutesFromNow(-24 * 60);
  auto stock = [&](const std::string& qty, const std::string& as_of) {
    return cluster.Node("sanyuan", {"stock", "sanyuan-wh", "mask.n95", qty, "--as-of", as_of});
  };
  const CommandResult first = stock("500", yesterday);
  ASSERT_EQ(first.exit_code, 0) << first.err;
  const CommandResult earlier = stock("450", MinutesFromNow(-25 * 60));
  EXPECT_NE(earlier.exit_code, 0);
  EXPECT_NE(earlier.err.find("is before the last count of sanyuan-wh mask.n95 (taken " + yesterday +
                             ":00); counts must be entered oldest first"),
            std::string::npos)
      << earlier.err;
  EXPECT_EQ(stock("510", yesterday).exit_code, 0);  // the same time is not earlier
  const CommandResult future = stock("520", MinutesFromNow(120));
  EXPECT_NE(future.exit_code, 0);
  EXPECT_NE(future.err.find("is in the future; a count can only be recorded for a time that has passed"),
            std::string::npos)
      << future.err;
  const CommandResult typo = stock("520", "2020-02-3O 08:00");
  EXPECT_NE(typo.exit_code, 0);
  EXPECT_NE(typo.err.find("'2020-02-3O 08:00' is not a time; write it like 2020-02-10 08:00"), std::string::npos)
      << typo.err;
  EXPECT_EQ(cluster.NodeStatus("sanyuan")["recorded"], 2);
  // A site's demand, the same way.
  const std::vector<std::string> demand = {"demand", "sy-integrated-hospital", "mask.n95", "--on-hand", "90",
                                           "--as-of"};
  auto site = [&](const std::string& as_of) {
    std::vector<std::string> args = demand;
    args.push_back(as_of);
    return cluster.Node("sanyuan", args);
  };
  EXPECT_EQ(site(yesterday).exit_code, 0);
  const CommandResult late = site(MinutesFromNow(-2 * 24 * 60));
  EXPECT_NE(late.exit_code, 0);
  EXPECT_NE(late.err.find("before the last count of sy-integrated-hospital mask.n95"), std::string::npos) << late.err;
  EXPECT_NE(site(MinutesFromNow(60)).err.find("in the future"), std::string::npos);
  EXPECT_EQ(cluster.NodeStatus("sanyuan")["recorded"], 3);
}

TEST(NodeCli, ImportTakesAsOfAndConfirmColumnsAndAppliesTheGuards) {
  Cluster cluster;
  const std::string two_days_ago = MinutesFromNow(-2 * 24 * 60), yesterday = MinutesFromNow(-24 * 60);
  const std::string header = "type,place,item,quantity,daily_use,as_of,confirm\n";
  const CommandResult dated = cluster.Node(
      "sanyuan", {"import", WriteFile(cluster.dir() + "/dated.csv",
                                      header + "stock,sanyuan-wh,mask.n95,500," + "," + two_days_ago + ",\n" +
                                          "stock,sanyuan-wh,mask.n95,500000,," + yesterday + ",yes\n" +
                                          "demand,sy-integrated-hospital,mask.n95,100,300," + yesterday + ",\n")});
  ASSERT_EQ(dated.exit_code, 0) << dated.err;
  EXPECT_NE(dated.out.find("imported 3 rows"), std::string::npos) << dated.out;
  // Each guard names its line, and nothing of the file is recorded.
  const CommandResult refused = cluster.Node(
      "sanyuan", {"import", WriteFile(cluster.dir() + "/refused.csv",
                                      header + "stock,sanyuan-wh,sanitizer,10,,,\n" +
                                          "stock,sanyuan-wh,mask.n95,499000,," + two_days_ago + ",\n" +
                                          "demand,sy-integrated-hospital,mask.n95,100,300000,,\n" +
                                          "stock,sanyuan-wh,sanitizer,100000,,,\n")});
  EXPECT_NE(refused.exit_code, 0);
  for (const std::string& e :
       {std::string("line 3: a count taken ") + two_days_ago + ":00 is before the last count of sanyuan-wh mask.n95",
        std::string("line 4: daily use 300000 for sy-integrated-hospital mask.n95 is over 10 times the last one "
                    "recorded (300); check it, and if it is right, import again with --confirm"),
        std::string("line 5: 100000 for sanyuan-wh sanitizer is over 100 times the last figure recorded (10)"),
        std::string("nothing imported")}) {
    EXPECT_NE(refused.err.find(e), std::string::npos) << e << "\n" << refused.err;
  }
  EXPECT_EQ(cluster.NodeStatus("sanyuan")["recorded"], 3);
  // --confirm accepts the flagged rows, never one out of order.
  const std::string flagged = WriteFile(cluster.dir() + "/flagged.csv",
                                        header + "demand,sy-integrated-hospital,mask.n95,100,300000,,\n" +
                                            "stock,sanyuan-wh,sanitizer,10,,,\nstock,sanyuan-wh,sanitizer,100000,,,\n");
  const CommandResult confirmed = cluster.Node("sanyuan", {"import", flagged, "--confirm"});
  EXPECT_EQ(confirmed.exit_code, 0) << confirmed.err;
  EXPECT_EQ(cluster.NodeStatus("sanyuan")["recorded"], 6);
  const CommandResult order = cluster.Node(
      "sanyuan", {"import", WriteFile(cluster.dir() + "/order.csv",
                                      header + "stock,sanyuan-wh,mask.n95,10,," + two_days_ago + ",yes\n"),
                  "--confirm"});
  EXPECT_NE(order.exit_code, 0);
  EXPECT_NE(order.err.find("line 2: a count taken"), std::string::npos) << order.err;
  EXPECT_EQ(cluster.NodeStatus("sanyuan")["recorded"], 6);
}

TEST(NodeCli, AReceiptRecordsItsLotAndExpiryAndAnExpiredBatchNeedsConfirmation) {
  Cluster cluster;
  const std::vector<std::string> receipt = {"receipt", "sanyuan-wh", "mask.n95", "500", "--source", "donation",
                                            "--from", "Fujian Red Cross", "--lot", "L2003"};
  auto with = [&](std::vector<std::string> tail) {
    std::vector<std::string> args = receipt;
    args.insert(args.end(), tail.begin(), tail.end());
    return cluster.Node("sanyuan", args);
  };
  const CommandResult dated = with({"--expires", "2099-06-30"});
  ASSERT_EQ(dated.exit_code, 0) << dated.err;
  EXPECT_NE(dated.out.find("recorded receipt sanyuan-wh mask.n95 500 (donation from Fujian Red Cross, lot L2003, "
                           "expires 2099-06-30) as report 1"),
            std::string::npos)
      << dated.out;
  const CommandResult undated = cluster.Node("sanyuan", {"receipt", "sanyuan-wh", "mask.n95", "40"});
  ASSERT_EQ(undated.exit_code, 0) << undated.err;
  EXPECT_EQ(cluster.NodeStatus("sanyuan")["recorded"], 2);

  const CommandResult impossible = with({"--expires", "2021-02-29"});
  EXPECT_NE(impossible.exit_code, 0);
  EXPECT_EQ(impossible.err,
            "ppe-node: expiry date '2021-02-29' is not a date on the calendar (February 2021 has 28 days); write it "
            "like 2020-06-30 (year-month-day, with the zeros)\n");
  const CommandResult junk = with({"--expires", "30/06/2026"});
  EXPECT_NE(junk.exit_code, 0);
  EXPECT_NE(junk.err.find("'30/06/2026' is not a date; write it like 2020-06-30"), std::string::npos) << junk.err;
  EXPECT_EQ(cluster.NodeStatus("sanyuan")["recorded"], 2);

  // Expired: refused, then recorded once confirmed. Two days ago is past whatever the hour.
  const std::string two_days_ago = FormatTime(NowMs() - 2 * 24 * 3600 * 1000).substr(0, 10);
  const CommandResult expired = with({"--expires", two_days_ago});
  EXPECT_NE(expired.exit_code, 0);
  EXPECT_EQ(expired.err, "ppe-node: the batch expired on " + two_days_ago +
                             "; if that is right (expired stock is recorded but never shipped), repeat with "
                             "--confirm\n");
  EXPECT_EQ(cluster.NodeStatus("sanyuan")["recorded"], 2);
  const CommandResult confirmed = with({"--expires", two_days_ago, "--confirm"});
  EXPECT_EQ(confirmed.exit_code, 0) << confirmed.err;
  EXPECT_NE(confirmed.out.find("expires " + two_days_ago), std::string::npos) << confirmed.out;
  EXPECT_EQ(cluster.NodeStatus("sanyuan")["recorded"], 3);

  // The same from CSV: the lot and expires columns, and the confirm column or import --confirm.
  const std::string header = "type,place,item,quantity,source,from,lot,expires,confirm\n";
  const std::string rows = "receipt,sanyuan-wh,mask.n95,100,donation,Red Cross,L7,2099-01-31,\n"
                           "receipt,sanyuan-wh,mask.n95,100,donation,Red Cross,L8,2020-01-31,\n";
  const CommandResult refused = cluster.Node("sanyuan", {"import", WriteFile(cluster.dir() + "/lots.csv", header + rows)});
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_NE(refused.err.find("line 3: the batch expired on 2020-01-31; if that is right (expired stock is recorded "
                             "but never shipped), import again with --confirm"),
            std::string::npos)
      << refused.err;
  EXPECT_EQ(cluster.NodeStatus("sanyuan")["recorded"], 3);
  const CommandResult imported = cluster.Node("sanyuan", {"import", cluster.dir() + "/lots.csv", "--confirm"});
  EXPECT_EQ(imported.exit_code, 0) << imported.err;
  EXPECT_NE(imported.out.find("imported 2 rows"), std::string::npos) << imported.out;
  EXPECT_EQ(cluster.NodeStatus("sanyuan")["recorded"], 5);
}

// Orders as the daemon stores deliveries (the broker that fills DispatchOrder.batches is not
// needed to show them): written straight into the node's store, then listed three ways.
TEST(NodeCli, OrdersShowThePickListOfEachOrderToShip) {
  Cluster cluster;
  ASSERT_EQ(cluster.Node("sanyuan", {"status"}).exit_code, 0);  // creates the store
  auto config = NodeConfig::Load(cluster.NodeConfig("sanyuan"));
  ASSERT_TRUE(config.ok()) << config.status().message();
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(config->store.c_str(), &db), SQLITE_OK);
  const char* sql =
      "INSERT INTO orders (id, round, from_warehouse, from_county, to_site, to_county, item, for_item, qty, "
      "status, received_qty, reason, updated_ms, first_seq) VALUES "
      "(41, 1, 'sanyuan-wh', 'sanyuan', 'sm-first-hospital', 'meilie', 'mask.n95', 'mask.n95', 700, 'created', "
      "0, '', 1580000000000, 1), "
      "(42, 1, 'meilie-wh', 'meilie', 'sy-integrated-hospital', 'sanyuan', 'mask.n95', 'mask.n95', 50, "
      "'shipped', 0, '', 1580000000000, 2), "
      "(43, 1, 'sanyuan-wh', 'sanyuan', 'sm-first-hospital', 'meilie', 'sanitizer', 'sanitizer', 30, 'created', "
      "0, '', 1580000000000, 3);"
      "INSERT INTO order_batches (order_id, line, batch, lot, expires, donor, qty) VALUES "
      "(41, 0, 12, 'L2003', '2020-06-30', 'Fujian Red Cross', 500), (41, 1, 9, '', '', '', 200), "
      "(42, 0, 5, 'M1', '2021-01-01', 'Meilie Works', 50);"
      "UPDATE link SET orders_held = 3;";
  char* error = nullptr;
  ASSERT_EQ(sqlite3_exec(db, sql, nullptr, nullptr, &error), SQLITE_OK) << (error ? error : "");
  sqlite3_close(db);

  const CommandResult table = cluster.Node("sanyuan", {"orders"});
  ASSERT_EQ(table.exit_code, 0) << table.err;
  const std::vector<std::string> lines = Lines(table.out);
  ASSERT_GE(lines.size(), 7u) << table.out;
  EXPECT_NE(lines[0].find("pick"), std::string::npos) << table.out;
  // Order 41: its first batch on its line, the second on the line under it, alone.
  EXPECT_EQ(lines[2].find("41"), 0u) << table.out;
  EXPECT_NE(lines[2].find("batch 12 lot L2003 exp 2020-06-30 x 500"), std::string::npos) << table.out;
  EXPECT_EQ(lines[3].find_first_not_of(' '), lines[2].find("batch 12")) << table.out;
  EXPECT_NE(lines[3].find("batch 9 (undated) x 200"), std::string::npos) << table.out;
  // Incoming (42) has no pick list here; 43, from a broker that sends no batches, lists without.
  EXPECT_EQ(lines[4].find("42"), 0u) << table.out;
  EXPECT_EQ(lines[4].find("batch"), std::string::npos) << table.out;
  EXPECT_EQ(lines[5].find("43"), 0u) << table.out;
  EXPECT_EQ(lines[5].find("batch"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("earliest expiry first"), std::string::npos) << table.out;

  const CommandResult csv = cluster.Node("sanyuan", {"orders", "--csv"});
  ASSERT_EQ(csv.exit_code, 0) << csv.err;
  const std::vector<std::string> rows = Lines(csv.out);
  ASSERT_EQ(rows.size(), 4u) << csv.out;  // the header and one row per order
  EXPECT_NE(rows[0].find(",pick"), std::string::npos) << csv.out;
  EXPECT_NE(rows[1].find(",batch 12 lot L2003 exp 2020-06-30 x 500; batch 9 (undated) x 200"), std::string::npos)
      << csv.out;

  const CommandResult json = cluster.Node("sanyuan", {"orders", "--json"});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  const nlohmann::json orders = nlohmann::json::parse(json.out);
  ASSERT_EQ(orders.size(), 3u);
  EXPECT_EQ(orders[0]["batches"],
            nlohmann::json::parse(R"([{"batch": 12, "lot": "L2003", "expires": "2020-06-30", "donor": "Fujian Red Cross",
                                       "qty": 500}, {"batch": 9, "lot": "", "expires": "", "donor": "", "qty": 200}])"));
  EXPECT_EQ(orders[1]["batches"][0]["donor"], "Meilie Works");  // incoming: traced, though not picked here
  EXPECT_EQ(orders[2]["batches"], nlohmann::json::array());
  EXPECT_FALSE(orders[0].contains("pick"));
}

TEST(NodeCli, HelpShowsAsOfAndWhatConfirmAccepts) {
  Cluster cluster;
  const CommandResult stock = cluster.Node("sanyuan", {"stock", "--help"});
  EXPECT_EQ(stock.exit_code, 0);
  EXPECT_NE(stock.out.find("--as-of"), std::string::npos) << stock.out;
  EXPECT_NE(stock.out.find("YYYY-MM-DD HH:MM"), std::string::npos) << stock.out;
  const CommandResult demand = cluster.Node("sanyuan", {"demand", "--help"});
  EXPECT_NE(demand.out.find("--as-of"), std::string::npos) << demand.out;
  EXPECT_NE(demand.out.find("on-hand over 100x"), std::string::npos) << demand.out;
  EXPECT_NE(demand.out.find("daily use over 10x"), std::string::npos) << demand.out;
  const CommandResult import = cluster.Node("sanyuan", {"import", "--help"});
  EXPECT_NE(import.out.find("--confirm"), std::string::npos) << import.out;
  EXPECT_NE(import.out.find("as_of"), std::string::npos) << import.out;
  EXPECT_NE(import.out.find("confirm column"), std::string::npos) << import.out;
  EXPECT_NE(import.out.find("lot and"), std::string::npos) << import.out;
  EXPECT_NE(import.out.find("expires"), std::string::npos) << import.out;
  EXPECT_NE(import.out.find("whose batch has expired"), std::string::npos) << import.out;
}

TEST(NodeCli, HelpShowsTheLotExpiryAndPickList) {
  Cluster cluster;
  const CommandResult receipt = cluster.Node("sanyuan", {"receipt", "--help"});
  EXPECT_EQ(receipt.exit_code, 0);
  for (const char* text : {"--lot", "lot number", "--expires", "YYYY-MM-DD", "--confirm", "already passed",
                           "--reference"}) {
    EXPECT_NE(receipt.out.find(text), std::string::npos) << text << "\n" << receipt.out;
  }
  const CommandResult orders = cluster.Node("sanyuan", {"orders", "--help"});
  EXPECT_EQ(orders.exit_code, 0);
  for (const char* text : {"pick list", "batch, lot and expiry date", "earliest expiry first", "--json",
                           "batch, lot, expires, donor, qty", "--csv", "--open"}) {
    EXPECT_NE(orders.out.find(text), std::string::npos) << text << "\n" << orders.out;
  }
}

}  // namespace
}  // namespace ppe::testing
