// Operator mistakes at the real ppe-node command line: each is refused with a non-zero exit, a
// message naming what was wrong and how to fix it, and nothing recorded.
#include <gtest/gtest.h>

#include <fstream>

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

}  // namespace
}  // namespace ppe::testing
