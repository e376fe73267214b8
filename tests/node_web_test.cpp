// The county page (ppe-node web) against the real processes: a Sanming deployment, Meilie's node
// store, and the broker when a test needs it. The forms record the very reports the commands record;
// a POST without the page's token records nothing; a CSV with one bad row records none, naming it;
// a figure that needs confirmation is asked for and recorded only once confirmed; orders are shipped
// and received through their forms, and the broker's books check clean.
#include <gtest/gtest.h>
#include <httplib.h>

#include <fstream>
#include <regex>
#include <set>

#include "nodes/node_store.h"
#include "tests/cluster.h"
#include "tests/web_process.h"

namespace ppe::testing {
namespace {

using nlohmann::json;

bool Contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// A form body, every value percent-encoded.
std::string Form(const std::vector<std::pair<std::string, std::string>>& fields) {
  std::string out;
  for (const auto& [name, value] : fields) {
    out += (out.empty() ? "" : "&") + name + "=";
    for (unsigned char c : value) {
      if (std::isalnum(c) || c == '-' || c == '_' || c == '.') {
        out += static_cast<char>(c);
      } else {
        char hex[4];
        std::snprintf(hex, sizeof hex, "%%%02X", c);
        out += hex;
      }
    }
  }
  return out;
}

// What a browser holds after opening a page: its CSRF cookie and the token the page's forms carry.
struct Browser {
  std::string cookie, token;
  httplib::Headers Headers() const { return {{"Cookie", cookie}}; }
};

class CountyPage : public ::testing::Test {
 protected:
  std::unique_ptr<WebProcess> StartPage() {
    auto page = std::make_unique<WebProcess>(
        std::vector<std::string>{PPE_NODE, "--config", cluster_.NodeConfig("meilie"), "web", "--listen", "127.0.0.1:0"},
        cluster_.dir() + "/meilie-web.out", "ppe-node web: http");
    EXPECT_GT(page->port(), 0) << page->log();
    return page;
  }
  static Browser Open(httplib::Client& c, const std::string& path = "/") {
    Browser b;
    auto r = c.Get(path);
    EXPECT_TRUE(r && r->status == 200);
    if (!r) return b;
    const std::string set = r->get_header_value("Set-Cookie");  // the language cookie comes only with ?lang=
    for (size_t i = 0; i < r->get_header_value_count("Set-Cookie"); ++i) {
      const std::string cookie = r->get_header_value("Set-Cookie", i);
      if (cookie.rfind("ppe_csrf=", 0) == 0) {
        b.cookie = cookie.substr(0, cookie.find(';'));
        EXPECT_TRUE(Contains(cookie, "HttpOnly") && Contains(cookie, "SameSite=Strict")) << cookie;
      }
    }
    std::smatch m;
    if (std::regex_search(r->body, m, std::regex("name=\"csrf\" value=\"([0-9a-f]+)\""))) b.token = m[1];
    EXPECT_FALSE(b.cookie.empty() || b.token.empty()) << set;
    return b;
  }
  static httplib::Result Post(httplib::Client& c, const Browser& b, const std::string& path,
                              std::vector<std::pair<std::string, std::string>> fields) {
    fields.insert(fields.begin(), {"csrf", b.token});
    return c.Post(path.c_str(), b.Headers(), Form(fields), "application/x-www-form-urlencoded");
  }
  static httplib::Result Upload(httplib::Client& c, const Browser& b, const std::string& csv, bool confirm = false) {
    httplib::MultipartFormDataItems items = {{"csrf", b.token, "", ""},
                                             {"file", csv, "counts.csv", "text/csv"}};
    if (confirm) items.push_back({"confirm", "yes", "", ""});
    return c.Post("/import", b.Headers(), items);
  }
  // Meilie's outbox as the node store holds it, in order.
  std::vector<wire::Report> Outbox() {
    auto store = NodeStore::Open(cluster_.dir() + "/data/meilie.db");
    EXPECT_TRUE(store.ok()) << store.status().message();
    std::vector<wire::Report> out;
    if (store.ok()) {
      EXPECT_TRUE((*store)->ReadFrom(1, 10000, &out).ok());
    }
    return out;
  }
  // A report's content, without when and as which seq it was recorded.
  static std::string Content(wire::Report r) {
    r.clear_recorded_at_ms();
    r.clear_seq();
    return r.ShortDebugString();
  }
  void Node(const std::vector<std::string>& args) {
    const CommandResult r = cluster_.Node("meilie", args);
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }

  Cluster cluster_;
};

TEST_F(CountyPage, FormsRecordTheReportsTheCommandsRecordWithTheBrokerDownAndTheyArriveOnce) {
  auto page = StartPage();
  auto c = page->Client();
  const Browser b = Open(c);

  // Each form and its command: the same report in the outbox.
  auto r = Post(c, b, "/stock", {{"place", "meilie-wh"}, {"item", "mask.n95"}, {"quantity", "3,000"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 303) << r->body;
  EXPECT_EQ(r->get_header_value("Location").rfind("/?done=", 0), 0u);
  Node({"stock", "meilie-wh", "mask.n95", "3000"});
  r = Post(c, b, "/receipt",
           {{"place", "meilie-wh"}, {"item", "mask.n95"}, {"quantity", "500"}, {"source", "donation"},
            {"from", "福建省红十字会, 三明"}, {"reference", "FJRC-2020-17"}, {"lot", "L2003"}, {"expires", "2030-06-30"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 303) << r->body;
  Node({"receipt", "meilie-wh", "mask.n95", "500", "--source", "donation", "--from", "福建省红十字会, 三明", "--reference",
        "FJRC-2020-17", "--lot", "L2003", "--expires", "2030-06-30"});
  r = Post(c, b, "/demand", {{"place", "sm-first-hospital"}, {"item", "mask.n95"}, {"quantity", "800"},
                             {"daily_use", "1200"}, {"as_of", ""}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 303) << r->body;
  Node({"demand", "sm-first-hospital", "mask.n95", "--on-hand", "800", "--daily-use", "1200"});
  // An empty daily use: headcount x per-head use, as the command computes it.
  ASSERT_EQ(Post(c, b, "/demand", {{"place", "ml-rail"}, {"item", "mask.n95"}, {"quantity", "100"}})->status, 303);
  Node({"demand", "ml-rail", "mask.n95", "--on-hand", "100"});

  const std::vector<wire::Report> outbox = Outbox();
  ASSERT_EQ(outbox.size(), 8u);
  for (size_t i = 0; i < outbox.size(); i += 2) EXPECT_EQ(Content(outbox[i]), Content(outbox[i + 1])) << i;

  // The success line after the redirect names what was recorded, in Chinese.
  auto done = c.Get(r->get_header_value("Location").c_str(), b.Headers());
  ASSERT_TRUE(done);
  EXPECT_TRUE(Contains(done->body, "已记录：三明市第一医院 N95/KN95 口罩：现有 800，每日用量 1,200")) << done->body;
  EXPECT_TRUE(Contains(done->body, "待发送 8 条")) << done->body;

  // The same mistake, the same check: the command's sentence, the page's words beside the field.
  const CommandResult cli = cluster_.Node("meilie", {"stock", "meilie-wh", "mask.n95", "12a"});
  EXPECT_NE(cli.exit_code, 0);
  EXPECT_TRUE(Contains(cli.err, "quantity '12a' is not a whole number")) << cli.err;
  r = Post(c, b, "/stock", {{"place", "meilie-wh"}, {"item", "mask.n95"}, {"quantity", "12a"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 422);
  EXPECT_TRUE(Contains(r->body, "id=\"stock-quantity-error\" role=\"alert\">“12a” 不是整数")) << r->body;
  EXPECT_TRUE(Contains(r->body, "value=\"12a\"")) << "what was typed is shown again";
  r = Post(c, b, "/stock", {{"place", "meilie-wh"}, {"item", "mask.n95"}, {"quantity", ""}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 422);
  EXPECT_TRUE(Contains(r->body, "id=\"stock-quantity-error\" role=\"alert\">请填写数量")) << r->body;
  const httplib::Headers english = {{"Cookie", b.cookie + "; ppe_lang=en"}};
  r = c.Post("/receipt", english,
             Form({{"csrf", b.token}, {"place", "meilie-wh"}, {"item", "mask.n95"}, {"quantity", "10"},
                   {"source", "donation"}}),
             "application/x-www-form-urlencoded");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 422);
  EXPECT_TRUE(Contains(r->body, "id=\"receipt-from-error\" role=\"alert\">a donation needs its donor")) << r->body;
  EXPECT_EQ(Outbox().size(), 8u);

  // The broker comes up: everything arrives, once.
  cluster_.StartBroker();
  cluster_.StartNode("meilie");
  ASSERT_TRUE(cluster_.WaitDrained("meilie"));
  EXPECT_EQ(cluster_.BrokerStock("meilie-wh", "mask.n95"), 4000);  // the count, then two receipts of 500
  EXPECT_EQ(cluster_.Ctl({"check"}).exit_code, 0);
  auto status = c.Get("/", b.Headers());
  ASSERT_TRUE(status);
  EXPECT_TRUE(Contains(status->body, "已连接市级调度中心")) << status->body;
  EXPECT_TRUE(Contains(status->body, "待发送 0 条"));
}

// Started twice on one port (a second click on the shortcut): the second copy says the port is in
// use and stops, never sharing the port (with SO_REUSEPORT the kernel handed the browser's requests
// to either copy: forms refused as from another page, the other copy's notice shown).
TEST_F(CountyPage, ASecondCopyOnTheSamePortIsRefusedNotShared) {
  auto page = StartPage();
  const std::string listen = "127.0.0.1:" + std::to_string(page->port());
  const CommandResult second = RunCommand({PPE_NODE, "--config", cluster_.NodeConfig("meilie"), "web", "--listen", listen}, 10);
  EXPECT_NE(second.exit_code, 0) << second.out;
  EXPECT_TRUE(Contains(second.err + second.out, "cannot listen on " + listen)) << second.err << second.out;
  auto c = page->Client();
  EXPECT_EQ(c.Get("/")->status, 200);  // the first copy serves on
}

TEST_F(CountyPage, APostWithoutThePagesTokenIsRefusedAndRecordsNothing) {
  auto page = StartPage();
  auto c = page->Client();
  const Browser b = Open(c);
  const std::string body = Form({{"place", "meilie-wh"}, {"item", "mask.n95"}, {"quantity", "3000"}});
  const auto refused = [&](const httplib::Result& r) {
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 403) << r->body;
    EXPECT_TRUE(Contains(r->body, "什么也没有记录")) << r->body;
  };
  // No token; a token of another browser; the token without its cookie; a made-up one.
  refused(c.Post("/stock", b.Headers(), body, "application/x-www-form-urlencoded"));
  Browser other = Open(c);
  refused(c.Post("/stock", b.Headers(), "csrf=" + other.token + "&" + body, "application/x-www-form-urlencoded"));
  refused(c.Post("/stock", "csrf=" + b.token + "&" + body, "application/x-www-form-urlencoded"));
  refused(c.Post("/stock", b.Headers(), "csrf=" + std::string(64, 'a') + "&" + body, "application/x-www-form-urlencoded"));
  refused(c.Post("/orders/1/ship", b.Headers(), "", "application/x-www-form-urlencoded"));
  httplib::MultipartFormDataItems items = {{"file", "type,place,item,quantity,daily_use,source,from\n"
                                                    "stock,meilie-wh,mask.n95,5,,,\n", "a.csv", "text/csv"}};
  refused(c.Post("/import", b.Headers(), items));
  // A page elsewhere reaching 127.0.0.1 through its own name (DNS rebinding): refused by Host.
  httplib::Headers rebound = b.Headers();
  rebound.emplace("Host", "evil.example");
  auto r = c.Post("/stock", rebound, "csrf=" + b.token + "&" + body, "application/x-www-form-urlencoded");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 403);
  EXPECT_TRUE(Outbox().empty());

  // Bad requests: clear 4xx pages, and the page keeps serving.
  r = c.Post("/stock", b.Headers(), "csrf=" + b.token + "&quantity=%zz", "application/x-www-form-urlencoded");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(c.Get("/no-such-page")->status, 404);
  EXPECT_EQ(Post(c, b, "/orders/1/fly", {})->status, 404);
  EXPECT_EQ(c.Delete("/")->status, 405);
  EXPECT_EQ(Post(c, b, "/orders/99/ship", {})->status, 404);  // no such order at this node
  EXPECT_EQ(c.Get("/")->status, 200);
  // With the token, the same POST records.
  EXPECT_EQ(c.Post("/stock", b.Headers(), "csrf=" + b.token + "&" + body, "application/x-www-form-urlencoded")->status, 303);
  EXPECT_EQ(Outbox().size(), 1u);
}

TEST_F(CountyPage, ACsvWithABadRowIsRefusedWholeNamingTheRowAndAnExcelFileIsRead) {
  auto page = StartPage();
  auto c = page->Client();
  const Browser b = Open(c, "/import");
  auto r = Upload(c, b,
                  "type,place,item,quantity,daily_use,source,from\n"
                  "stock,meilie-wh,mask.n95,12000,,,\n"
                  "stock,meilie-wh,mask.kn95,500,,,\n"
                  "demand,sm-first-hospital,mask.n95,800,1200,,\n");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 422);
  EXPECT_TRUE(Contains(r->body, "一行也没有导入")) << r->body;
  EXPECT_TRUE(Contains(r->body, "第 3 行，物资：没有物资 “mask.kn95”")) << r->body;
  EXPECT_TRUE(Outbox().empty());
  // No file chosen.
  r = c.Post("/import", b.Headers(), httplib::MultipartFormDataItems{{"csrf", b.token, "", ""}, {"file", "", "", ""}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 422);
  EXPECT_TRUE(Contains(r->body, "请选择要上传的 CSV 文件")) << r->body;

  // As Excel saves it: a byte-order mark, CRLF, a donor with a comma in quotes.
  r = Upload(c, b,
             "\xEF\xBB\xBFtype,place,item,quantity,daily_use,source,from\r\n"
             "stock,meilie-wh,mask.n95,12000,,,\r\n"
             "receipt,meilie-wh,mask.n95,5000,,donation,\"Fujian Red Cross, Sanming\"\r\n"
             "demand,sm-first-hospital,mask.n95,800,1200,,\r\n");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 303) << r->body;
  auto done = c.Get(r->get_header_value("Location").c_str(), b.Headers());
  EXPECT_TRUE(Contains(done->body, "已导入 3 行（第 1–3 号报告）")) << done->body;
  std::vector<wire::Report> outbox = Outbox();
  ASSERT_EQ(outbox.size(), 3u);
  EXPECT_EQ(outbox[1].receipt().from(), "Fujian Red Cross, Sanming");

  // GBK (WPS's default in China): read, and said so.
  r = Upload(c, b,
             "type,place,item,quantity,daily_use,source,from\r\n"
             "receipt,meilie-wh,mask.n95,100,,donation,\xB8\xA3\xBD\xA8\xCA\xA1\xBA\xEC\xCA\xAE\xD7\xD6\xBB\xE1\r\n");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 303) << r->body;
  done = c.Get(r->get_header_value("Location").c_str(), b.Headers());
  EXPECT_TRUE(Contains(done->body, "文件编码为 GBK/GB18030，已转换为 UTF-8")) << done->body;
  EXPECT_TRUE(Contains(done->body, "已导入 1 行（第 4 号报告）")) << done->body;  // one row: one report, not "4–4"
  outbox = Outbox();
  ASSERT_EQ(outbox.size(), 4u);
  EXPECT_EQ(outbox[3].receipt().from(), "福建省红十字会");
}

TEST_F(CountyPage, AFigureThatNeedsConfirmationIsAskedForAndRecordedOnlyOnceConfirmed) {
  auto page = StartPage();
  auto c = page->Client();
  const Browser b = Open(c);
  ASSERT_EQ(Post(c, b, "/stock", {{"place", "meilie-wh"}, {"item", "mask.n95"}, {"quantity", "1000"}})->status, 303);

  // 100x the last count: asked, not recorded; confirmed: recorded, marked confirmed.
  const std::vector<std::pair<std::string, std::string>> big = {
      {"place", "meilie-wh"}, {"item", "mask.n95"}, {"quantity", "900000"}};
  auto r = Post(c, b, "/stock", big);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 409);
  EXPECT_TRUE(Contains(r->body, "请核实：900,000 超过上次记录（1,000）的 100 倍")) << r->body;
  EXPECT_TRUE(Contains(r->body, "id=\"stock-confirm\"")) << r->body;
  EXPECT_EQ(Outbox().size(), 1u);
  auto confirmed = big;
  confirmed.push_back({"confirm", "yes"});
  ASSERT_EQ(Post(c, b, "/stock", confirmed)->status, 303);
  std::vector<wire::Report> outbox = Outbox();
  ASSERT_EQ(outbox.size(), 2u);
  EXPECT_TRUE(outbox[1].confirmed());
  EXPECT_EQ(outbox[1].stock().quantity(), 900000);

  // A daily use over 10x the last one.
  ASSERT_EQ(Post(c, b, "/demand", {{"place", "ml-rail"}, {"item", "mask.n95"}, {"quantity", "100"}, {"daily_use", "50"}})
                ->status,
            303);
  r = Post(c, b, "/demand", {{"place", "ml-rail"}, {"item", "mask.n95"}, {"quantity", "100"}, {"daily_use", "5000"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 409);
  EXPECT_TRUE(Contains(r->body, "id=\"demand-daily_use-error\" role=\"alert\">每日用量 5000 超过上次记录（50）的 10 倍"))
      << r->body;
  // An expired batch.
  r = Post(c, b, "/receipt", {{"place", "meilie-wh"}, {"item", "mask.n95"}, {"quantity", "10"}, {"expires", "2020-01-01"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 409);
  EXPECT_TRUE(Contains(r->body, "该批次已于 2020-01-01 过期")) << r->body;
  EXPECT_EQ(Outbox().size(), 3u);
  ASSERT_EQ(Post(c, b, "/receipt",
                 {{"place", "meilie-wh"}, {"item", "mask.n95"}, {"quantity", "10"}, {"expires", "2020-01-01"},
                  {"confirm", "yes"}})
                ->status,
            303);
  EXPECT_EQ(Outbox().size(), 4u);
  // A count entered out of order is refused outright: no confirmation can pass it.
  r = Post(c, b, "/stock", {{"place", "meilie-wh"}, {"item", "mask.n95"}, {"quantity", "900000"},
                            {"as_of", "2020-02-10 08:00"}, {"confirm", "yes"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 422);
  EXPECT_TRUE(Contains(r->body, "早于上次清点")) << r->body;
  EXPECT_EQ(Outbox().size(), 4u);
}

TEST_F(CountyPage, AnOrderIsShippedAndReceivedThroughItsFormsAsTheCommandsDecide) {
  cluster_.StartBroker();
  cluster_.StartNode("meilie");
  Node({"receipt", "meilie-wh", "mask.n95", "3000", "--source", "donation", "--from", "Fujian Red Cross", "--lot", "L2003",
        "--expires", "2030-06-30"});
  Node({"demand", "sm-first-hospital", "mask.n95", "--on-hand", "100", "--daily-use", "1200"});
  ASSERT_TRUE(cluster_.WaitDrained("meilie"));
  auto page = StartPage();
  auto c = page->Client();
  // What the open orders page polls (orders-watch.js): no order yet.
  const auto watch = [&] { return json::parse(c.Get("/api/orders")->body); };
  const json before_round = watch();
  EXPECT_EQ(before_round["newest"], 0) << before_round.dump();
  const json orders = cluster_.CtlJson({"allocate"})["orders"];
  ASSERT_FALSE(orders.empty());
  const int64_t id = orders[0]["id"].get<int64_t>();
  const int64_t qty = orders[0]["qty"].get<int64_t>();
  const std::string order = std::to_string(id);
  ASSERT_TRUE(WaitFor([&] { return Contains(c.Get("/orders")->body, "id=\"ship-" + order + "\""); }, 15000));
  const json arrived = watch();
  EXPECT_GE(arrived["newest"].get<int64_t>(), id) << arrived.dump();
  EXPECT_GT(arrived["held"].get<uint64_t>(), before_round["held"].get<uint64_t>());
  std::smatch shown;
  const std::string orders_page = c.Get("/orders")->body;
  ASSERT_TRUE(std::regex_search(orders_page, shown, std::regex("data-held=\"([0-9]+)\" data-newest=\"([0-9]+)\"")));
  EXPECT_GE(std::stoull(shown[1]), arrived["held"].get<uint64_t>());  // more may have come since
  EXPECT_EQ(std::stoll(shown[2]), arrived["newest"].get<int64_t>());
  const Browser b = Open(c, "/orders");
  auto list = c.Get("/orders", b.Headers());
  EXPECT_TRUE(Contains(list->body, "批号 L2003")) << list->body;  // the pick list's batch line
  EXPECT_TRUE(Contains(list->body, "有效期至 2030-06-30"));

  const uint64_t held_shipping = watch()["held"].get<uint64_t>();
  auto r = Post(c, b, "/orders/" + order + "/ship", {});
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 303) << r->body;
  auto done = c.Get(r->get_header_value("Location").c_str(), b.Headers());
  EXPECT_TRUE(Contains(done->body, "已记录：调拨单 " + order + " 发货")) << done->body;
  // The broker's word on the shipment is a change the open page is told of.
  EXPECT_TRUE(WaitFor([&] { return watch()["held"].get<uint64_t>() > held_shipping; }, 15000));
  // A reject after the shipment: decided as the command decides it, refused, nothing recorded.
  const size_t before = Outbox().size();
  r = Post(c, b, "/orders/" + order + "/reject", {{"reason", "no truck"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 422);
  EXPECT_TRUE(Contains(r->body, "不能再拒绝")) << r->body;
  const CommandResult cli = cluster_.Node("meilie", {"reject", order, "--reason", "no truck"});
  EXPECT_NE(cli.exit_code, 0);
  EXPECT_TRUE(Contains(cli.err, "it can no longer be rejected")) << cli.err;
  // A repeated ship: nothing to do, said so.
  r = Post(c, b, "/orders/" + order + "/ship", {});
  ASSERT_EQ(r->status, 303);
  EXPECT_TRUE(Contains(c.Get(r->get_header_value("Location").c_str(), b.Headers())->body, "无需操作"));
  EXPECT_EQ(Outbox().size(), before);

  // Short by 50 at the site: a discrepancy, recorded.
  r = Post(c, b, "/orders/" + order + "/receive", {{"quantity", std::to_string(qty - 50)}});
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 303) << r->body;
  done = c.Get(r->get_header_value("Location").c_str(), b.Headers());
  const auto grouped = [](int64_t n) {  // 3,000 as the page writes it
    std::string digits = std::to_string(n);
    for (int i = static_cast<int>(digits.size()) - 3; i > 0; i -= 3) digits.insert(static_cast<size_t>(i), ",");
    return digits;
  };
  EXPECT_TRUE(Contains(done->body, "数量差异：发出 " + grouped(qty) + "，实收 " + grouped(qty - 50))) << done->body;
  ASSERT_TRUE(cluster_.WaitDrained("meilie"));
  json row;
  for (const json& o : cluster_.CtlJson({"orders"})) {
    if (o["id"] == id) row = o;
  }
  EXPECT_EQ(row["status"], "received") << row.dump(2);
  EXPECT_EQ(row["received_qty"], qty - 50);
  const CommandResult check = cluster_.Ctl({"check"});
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
}

TEST_F(CountyPage, ASiteTheCityAddsWhileThePageRunsCanBeReportedForAtOnce) {
  cluster_.StartBroker();
  cluster_.StartNode("meilie");
  auto page = StartPage();
  auto c = page->Client();
  const Browser b = Open(c);
  EXPECT_FALSE(Contains(c.Get("/", b.Headers())->body, "value=\"ml-hotel\""));
  ASSERT_EQ(cluster_.Ctl({"site", "add", "ml-hotel", "--county", "meilie", "--kind", "community", "--headcount", "200",
                          "--name", "梅列隔离酒店 Meilie quarantine hotel"})
                .exit_code,
            0);
  ASSERT_TRUE(WaitFor([&] { return cluster_.NodeStatus("meilie").value("catalogue_version", 0) >= 1; }, 10000));
  auto home = c.Get("/", b.Headers());
  ASSERT_TRUE(home);
  EXPECT_TRUE(Contains(home->body, "<option value=\"ml-hotel\">梅列隔离酒店 (ml-hotel)</option>")) << home->body;
  EXPECT_TRUE(Contains(home->body, "目录版本 1"));
  auto r = Post(c, b, "/demand", {{"place", "ml-hotel"}, {"item", "mask.n95"}, {"quantity", "50"}, {"daily_use", "40"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 303) << r->body;
  ASSERT_TRUE(cluster_.WaitDrained("meilie"));
  EXPECT_EQ(cluster_.NodeStatus("meilie")["refused"], 0);
}

}  // namespace
}  // namespace ppe::testing

namespace ppe::testing {
namespace {

// web_listen's port in a node config ("" when none).
int WebPort(const std::string& config) {
  std::smatch m;
  const std::string text = ReadFile(config);
  return std::regex_search(text, m, std::regex("web_listen: 127\\.0\\.0\\.1:([0-9]+)")) ? std::stoi(m[1]) : 0;
}

TEST(CountyPageInit, EveryNodeGetsItsOwnPortAfterTheBrokersAndPpeWebsAndALaterOneTheNext) {
  Cluster cluster;
  std::set<int> ports;
  const std::vector<std::string> nodes = {"meilie", "sanyuan", "yongan", "mingxi", "qingliu", "ninghua", "datian",
                                          "youxi", "shaxian", "jiangle", "taining", "jianning", "city"};
  for (const std::string& node : nodes) {
    const int port = WebPort(cluster.NodeConfig(node));
    EXPECT_GE(port, cluster.port() + 3) << node;
    ports.insert(port);
  }
  EXPECT_EQ(ports.size(), nodes.size());  // no two nodes share one
  EXPECT_EQ(*ports.begin(), cluster.port() + 3);
  EXPECT_EQ(*ports.rbegin(), cluster.port() + 3 + static_cast<int>(nodes.size()) - 1);
  const CommandResult add = RunCommand({PPE_CTL, "keys", "add", "meilie-2", "--role", "node", "--county", "meilie",
                                        "--dir", cluster.dir()});
  ASSERT_EQ(add.exit_code, 0) << add.err;
  EXPECT_EQ(WebPort(cluster.NodeConfig("meilie-2")), *ports.rbegin() + 1);
}

TEST(CountyPageLogin, BeyondLoopbackOrWhenAskedEveryPageNeedsALoginWhoseFormCarriesTheToken) {
  Cluster cluster;
  const std::string config = cluster.NodeConfig("meilie");
  std::string yaml = ReadFile(config);
  yaml = std::regex_replace(yaml, std::regex("web_login: auto"), "web_login: always");
  { std::ofstream(config, std::ios::trunc) << yaml; }
  const std::string add = std::string("printf 'lanterns-in-sanming\\n' | ") + PPE_NODE + " --config " + config +
                          " web --add-user zhang";
  ASSERT_EQ(std::system(add.c_str()), 0);
  WebProcess page({PPE_NODE, "--config", config, "web", "--listen", "127.0.0.1:0"}, cluster.dir() + "/web.out",
                  "ppe-node web: http");
  ASSERT_GT(page.port(), 0) << page.log();
  auto c = page.Client();
  auto form = c.Get("/");
  ASSERT_TRUE(form);
  EXPECT_EQ(form->status, 401);
  std::smatch m;
  ASSERT_TRUE(std::regex_search(form->body, m, std::regex("name=\"csrf\" value=\"([0-9a-f]+)\""))) << form->body;
  const std::string token = m[1];
  std::string cookie;
  for (size_t i = 0; i < form->get_header_value_count("Set-Cookie"); ++i) {
    const std::string set = form->get_header_value("Set-Cookie", i);
    if (set.rfind("ppe_csrf=", 0) == 0) cookie = set.substr(0, set.find(';'));
  }
  const httplib::Headers headers = {{"Cookie", cookie}};
  const std::string login = "user=zhang&password=lanterns-in-sanming&next=/";
  EXPECT_EQ(c.Post("/login", headers, login, "application/x-www-form-urlencoded")->status, 403);  // no token
  EXPECT_EQ(c.Post("/login", headers, "csrf=" + token + "&user=zhang&password=guess", "application/x-www-form-urlencoded")
                ->status,
            401);
  auto in = c.Post("/login", headers, "csrf=" + token + "&" + login, "application/x-www-form-urlencoded");
  ASSERT_TRUE(in);
  ASSERT_EQ(in->status, 303);
  const std::string session = in->get_header_value("Set-Cookie");
  const httplib::Headers signed_in = {{"Cookie", cookie + "; " + session.substr(0, session.find(';'))}};
  auto home = c.Get("/", signed_in);
  ASSERT_TRUE(home);
  EXPECT_EQ(home->status, 200);
  EXPECT_TRUE(Contains(home->body, "当前用户：zhang"));
  // Signed in, a POST still needs the token; with it, it records.
  const std::string stock = "place=meilie-wh&item=mask.n95&quantity=10";
  EXPECT_EQ(c.Post("/stock", signed_in, stock, "application/x-www-form-urlencoded")->status, 403);
  EXPECT_EQ(c.Post("/stock", signed_in, "csrf=" + token + "&" + stock, "application/x-www-form-urlencoded")->status, 303);
  EXPECT_EQ(c.Post("/stock", headers, "csrf=" + token + "&" + stock, "application/x-www-form-urlencoded")->status, 401);
}

}  // namespace
}  // namespace ppe::testing
