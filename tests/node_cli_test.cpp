// Operator mistakes at the real ppe-node command line: each is refused with a non-zero exit, a
// message naming what was wrong and how to fix it, and nothing recorded.
#include <gtest/gtest.h>

#include <fstream>

#include "common/clock.h"
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
}

}  // namespace
}  // namespace ppe::testing
