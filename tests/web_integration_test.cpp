// ppe-web against the real processes: a Sanming deployment's broker and county node, and ppe-web
// on a free 127.0.0.1 port. The pages and /api say what ppe-ctl --json says, follow a report
// within seconds, explain an order, chart a site; bad requests get clear 4xx pages; with
// `login: always` nothing is shown without a session, and the cookie is HttpOnly, SameSite=Strict.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <regex>

#include "common/clock.h"
#include "common/text_encoding.h"
#include "tests/cluster.h"
#include "tests/web_process.h"

namespace ppe::testing {
namespace {

using nlohmann::json;

json Json(const httplib::Result& r) {
  EXPECT_TRUE(r) << "no answer";
  if (!r) return json();
  EXPECT_EQ(r->status, 200) << r->body;
  return json::parse(r->body, nullptr, false);
}

class WebDashboard : public ::testing::Test {
 protected:
  void SetUp() override {
    cluster_.StartBroker();
    cluster_.StartNode("meilie");
    Record({"stock", "meilie-wh", "mask.n95", "3000"});
    Record({"demand", "sm-first-hospital", "mask.n95", "--on-hand", "800", "--daily-use", "1200"});
    Record({"demand", "ml-rail", "mask.n95", "--on-hand", "100", "--daily-use", "100"});
  }
  void Record(const std::vector<std::string>& args) {
    const CommandResult r = cluster_.Node("meilie", args);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    ASSERT_TRUE(cluster_.WaitDrained("meilie"));
  }
  // The city as /api/status shows it once ppe-web has polled since the last report.
  json FreshStatus(httplib::Client& c, int64_t events) {
    json status;
    WaitFor([&] {
      status = Json(c.Get("/api/status"));
      return status.is_object() && status.value("events", int64_t{0}) >= events;
    }, 5000);
    return status;
  }

  Cluster cluster_;
};

TEST_F(WebDashboard, TheCityPageAndApiSayWhatPpeCtlSaysAndFollowANewReport) {
  WebProcess web(cluster_.dir() + "/web.yaml", cluster_.dir() + "/web.out");
  ASSERT_GT(web.port(), 0) << web.log();
  auto c = web.Client();
  const json expected = cluster_.CtlJson({"status"});
  const json status = FreshStatus(c, expected["events"].get<int64_t>());
  const auto county = [](const json& s, const std::string& id) {
    for (const json& row : s["counties"]) {
      if (row["county"] == id) return row;
    }
    return json();
  };
  EXPECT_EQ(county(status, "meilie")["items"], county(expected, "meilie")["items"]);

  // The page: Chinese, the map with every county, Meilie's cell the lowest tier 1 cover.
  auto page = c.Get("/");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
  EXPECT_NE(page->body.find("<html lang=\"zh-CN\">"), std::string::npos);
  EXPECT_NE(page->get_header_value("Content-Type").find("text/html"), std::string::npos);
  EXPECT_NE(page->get_header_value("Content-Security-Policy").find("default-src 'self'"), std::string::npos);
  EXPECT_EQ(std::count(page->body.begin(), page->body.end(), '\0'), 0);
  // The counties whose nodes never connected, said in Chinese from the broker's facts.
  EXPECT_NE(page->body.find("节点从未连接"), std::string::npos);
  EXPECT_EQ(page->body.find("node never connected"), std::string::npos);
  size_t cells = 0;
  for (size_t at = page->body.find("class=\"county "); at != std::string::npos; at = page->body.find("class=\"county ", at + 1)) ++cells;
  EXPECT_EQ(cells, 12u);
  const double hospital = 800.0 / 1200.0;
  char cover[16];
  std::snprintf(cover, sizeof cover, "%.1f", hospital);
  EXPECT_NE(page->body.find(std::string("data-county=\"meilie\" data-cover=\"") + cover + "\""), std::string::npos);
  EXPECT_NE(page->body.find("梅列区"), std::string::npos);
  EXPECT_NE(page->body.find("3,000"), std::string::npos);
  const json city = Json(c.Get("/api/city"));
  EXPECT_DOUBLE_EQ(county(city, "meilie")["tier1_lowest_cover"].get<double>(), std::round(hospital * 100) / 100);
  EXPECT_EQ(city["silent"].size(), 12u);  // every county but Meilie, and the city reserve

  // /api/demand: every field the spec names for a demand row, as ppe-ctl demand --json says it.
  const json demand = Json(c.Get("/api/demand")), ctl_demand = cluster_.CtlJson({"demand"});
  ASSERT_EQ(demand.size(), ctl_demand.size());
  for (size_t i = 0; i < demand.size(); ++i) {
    for (const char* field : {"site", "county", "item", "tier", "on_hand", "daily_use", "in_transit", "days_of_cover",
                              "reported_daily_use", "ceiling", "observed_daily_use", "used_daily_use", "capped", "stale",
                              "as_of"}) {
      ASSERT_TRUE(demand[i].contains(field)) << field;
      EXPECT_EQ(demand[i][field], ctl_demand[i][field]) << field << " of " << ctl_demand[i]["site"];
    }
  }

  // English on the same address, remembered by a cookie.
  auto en = c.Get("/?lang=en");
  ASSERT_TRUE(en);
  EXPECT_NE(en->body.find("<html lang=\"en\">"), std::string::npos);
  EXPECT_NE(en->body.find("Meilie District"), std::string::npos);
  EXPECT_NE(en->get_header_value("Set-Cookie").find("ppe_lang=en"), std::string::npos);
  auto remembered = c.Get("/county/meilie", {{"Cookie", "ppe_lang=en"}});
  ASSERT_TRUE(remembered);
  EXPECT_NE(remembered->body.find("<html lang=\"en\">"), std::string::npos);

  // A report changes the version live.js watches, and the figures, within 5 s.
  const uint64_t version = Json(c.Get("/api/version"))["version"].get<uint64_t>();
  Record({"stock", "meilie-wh", "mask.n95", "4321"});
  EXPECT_TRUE(WaitFor([&] { return Json(c.Get("/api/version"))["version"].get<uint64_t>() > version; }, 5000));
  EXPECT_EQ(county(Json(c.Get("/api/city")), "meilie")["items"]["mask.n95"]["stock"], 4321);
  EXPECT_NE(c.Get("/")->body.find("4,321"), std::string::npos);
  // Nothing changed: the version stands still (heartbeats alone move nothing).
  WaitFor([] { return false; }, 1200);
  const uint64_t settled = Json(c.Get("/api/version"))["version"].get<uint64_t>();
  WaitFor([] { return false; }, 2500);
  EXPECT_EQ(Json(c.Get("/api/version"))["version"].get<uint64_t>(), settled);
}

TEST_F(WebDashboard, AnOrderIsExplainedASiteChartedAndTheLogFilteredAsPpeCtlDoes) {
  ASSERT_EQ(cluster_.Ctl({"allocate"}).exit_code, 0);
  // The node takes its orders at once; compared once it has, the answers cannot move in between.
  ASSERT_TRUE(WaitFor([&] {
    const json o = cluster_.CtlJson({"orders"});
    return !o.empty() && std::all_of(o.begin(), o.end(), [](const json& r) { return r["status"] == "accepted"; });
  }, 15000));
  Record({"demand", "sm-first-hospital", "mask.n95", "--on-hand", "700", "--daily-use", "1200"});
  WebProcess web(cluster_.dir() + "/web.yaml", cluster_.dir() + "/web.out");
  ASSERT_GT(web.port(), 0) << web.log();
  auto c = web.Client();
  const json orders = cluster_.CtlJson({"orders"});
  ASSERT_FALSE(orders.empty());
  const int64_t id = orders[0]["id"];
  const json explained = cluster_.CtlJson({"explain", std::to_string(id)});
  EXPECT_EQ(Json(c.Get("/api/order/" + std::to_string(id))), explained);
  auto order = c.Get("/order/" + std::to_string(id));
  ASSERT_TRUE(order);
  EXPECT_EQ(order->status, 200);
  EXPECT_NE(order->body.find("调拨单 " + std::to_string(id)), std::string::npos);

  // The site's history: both counts, in time order, with the cover each gives.
  const json site = Json(c.Get("/api/site/sm-first-hospital"));
  ASSERT_EQ(site["history"]["items"].size(), 1u);
  const json points = site["history"]["items"][0]["points"];
  ASSERT_GE(points.size(), 2u);
  EXPECT_EQ(points[0]["on_hand"], 800);
  EXPECT_EQ(points[points.size() - 1]["on_hand"], 700);
  EXPECT_EQ(points[0]["change"], "count");
  EXPECT_EQ(site["orders"], cluster_.CtlJson({"orders", "--site", "sm-first-hospital"}));
  auto site_page = c.Get("/site/sm-first-hospital");
  ASSERT_TRUE(site_page);
  EXPECT_NE(site_page->body.find("id=\"cover-chart\""), std::string::npos);
  // Its cover coloured by the map's bands, as on the county page.
  const size_t table = site_page->body.find("<table class=\"site-demand\">");
  ASSERT_NE(table, std::string::npos);
  EXPECT_NE(site_page->body.find("<span class=\"cover band-", table), std::string::npos) << site_page->body;
  EXPECT_NE(site_page->body.find("三明市第一医院"), std::string::npos);

  const json log = cluster_.CtlJson({"log", "--status", "created", "--county", "meilie"});
  EXPECT_EQ(Json(c.Get("/api/log?status=created&county=meilie")), log);
  auto log_page = c.Get("/log?status=created&county=meilie");
  ASSERT_TRUE(log_page);
  EXPECT_NE(log_page->body.find("<option value=\"created\" selected>"), std::string::npos);
  EXPECT_EQ(Json(c.Get("/api/donations"))["city"], "sanming");
  const json plan = Json(c.Get("/api/plan"));
  EXPECT_TRUE(plan["dry_run"].get<bool>());
  auto plan_page = c.Get("/plan");
  ASSERT_TRUE(plan_page);
  EXPECT_NE(plan_page->body.find("data-tier=\"1\""), std::string::npos);
  // ppe-web is a viewer: the plan was a preview, no round was committed.
  EXPECT_EQ(cluster_.CtlJson({"orders"}).size(), orders.size());
}

TEST_F(WebDashboard, ASiteAddedOrRetiredLiveShowsWithoutARestartAndTheFileIsNotRead) {
  // Changed before ppe-web starts (its city file knows nothing of it), then while it runs.
  ASSERT_EQ(cluster_.Ctl({"site", "add", "ml-liexi-fever", "--county", "meilie", "--kind", "fever_clinic",
                          "--headcount", "30", "--name", "列西发热哨点 Liexi fever post"}).exit_code, 0);
  WebProcess web(cluster_.dir() + "/web.yaml", cluster_.dir() + "/web.out");
  ASSERT_GT(web.port(), 0) << web.log();
  auto c = web.Client();
  ASSERT_TRUE(WaitFor([&] { auto r = c.Get("/api/site/ml-liexi-fever"); return r && r->status == 200; }, 5000));
  auto page = c.Get("/site/ml-liexi-fever");
  ASSERT_TRUE(page);
  EXPECT_NE(page->body.find("列西发热哨点"), std::string::npos);

  ASSERT_EQ(cluster_.Ctl({"site", "add", "ml-hotel", "--county", "meilie", "--kind", "community", "--headcount", "200",
                          "--name", "梅列隔离酒店 Meilie quarantine hotel"}).exit_code, 0);
  ASSERT_EQ(cluster_.Ctl({"site", "retire", "ml-liexi-fever", "--reason", "closed"}).exit_code, 0);
  EXPECT_TRUE(WaitFor([&] {
    auto added = c.Get("/api/site/ml-hotel"), retired = c.Get("/api/site/ml-liexi-fever");
    return added && added->status == 200 && retired && retired->status == 404;
  }, 5000));
  const json status = Json(c.Get("/api/status"));
  EXPECT_EQ(status["catalogue_version"], 3);
}

TEST_F(WebDashboard, BadRequestsGetAClear4xxPageAndTheServerKeepsServing) {
  WebProcess web(cluster_.dir() + "/web.yaml", cluster_.dir() + "/web.out");
  ASSERT_GT(web.port(), 0) << web.log();
  auto c = web.Client();
  std::vector<std::pair<std::string, int>> cases = {
      {"/site/no-such-site", 404}, {"/county/atlantis", 404},      {"/order/abc", 404},
      {"/order/99999", 404},       {"/nothing/here", 404},         {"/log?status=lost", 400},
      {"/log?since=yesterday", 400}, {"/?item=gold", 404},          {"/api/site/nope", 404},
      {"/api/log?county=atlantis", 404}, {"/site/%3Cscript%3E", 404}, {"/order/" + std::string(5000, '9'), 404},
      {"/log?since=2020-02-30", 400}};
  // Bytes that are not UTF-8, and a long Chinese id cut short for the message: the same 4xx, on
  // the pages and the JSON mirrors, and the message is UTF-8 still.
  std::string long_id;
  for (int i = 0; i < 40; ++i) long_id += "%E4%B8%89";  // 三
  const std::vector<std::pair<std::string, int>> garbled = {
      {"/api/site/%FF", 404},          {"/api/county/%FF%FE", 404},    {"/api/order/%FF", 404},
      {"/api/log?status=%FF", 400},    {"/api/log?site=%C3", 404},     {"/api/log?since=%FF", 400},
      {"/api/site/" + long_id, 404},   {"/site/%FF", 404},             {"/county/" + long_id, 404},
      {"/log?county=%FF", 404}};
  cases.insert(cases.end(), garbled.begin(), garbled.end());
  for (const auto& [path, status] : cases) {
    auto r = c.Get(path);
    ASSERT_TRUE(r) << path;
    EXPECT_EQ(r->status, status) << path << ": " << r->body.substr(0, 300);
    EXPECT_EQ(r->body.find("<script>"), std::string::npos) << path;
    EXPECT_TRUE(IsValidUtf8(r->body)) << path;
  }
  auto unknown = c.Get("/site/no-such-site");
  EXPECT_NE(unknown->body.find("没有点位"), std::string::npos);
  EXPECT_NE(c.Get("/site/no-such-site?lang=en")->body.find("There is no site"), std::string::npos);
  // A page of another site, rebinding its name to 127.0.0.1, is refused.
  auto rebound = c.Get("/api/status", {{"Host", "attacker.example:" + std::to_string(web.port())}});
  ASSERT_TRUE(rebound);
  EXPECT_EQ(rebound->status, 403);
  EXPECT_EQ(c.Get("/", {{"Host", "localhost:" + std::to_string(web.port())}})->status, 200);
  // Read-only: writing methods are refused.
  EXPECT_EQ(c.Put("/", "x", "text/plain")->status, 405);
  EXPECT_EQ(c.Delete("/api/status")->status, 405);
  EXPECT_EQ(c.Post("/api/status", "x", "text/plain")->status, 405);

  // Raw garbage on the socket: a 4xx, then the server still answers.
  for (const std::string& raw : {std::string("NONSENSE\r\n\r\n"), std::string("POST /login HTTP/1.1\r\nHost: localhost\r\nContent-Length: 99999999\r\n\r\n"),
                                std::string("GET /") + std::string(20000, 'a') + " HTTP/1.1\r\nHost: localhost\r\n\r\n",
                                std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11)}) {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(web.port()));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    timeval tv{5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ASSERT_GT(send(fd, raw.data(), raw.size(), MSG_NOSIGNAL), 0);
    char buf[64] = {};
    const ssize_t n = recv(fd, buf, sizeof buf - 1, 0);
    close(fd);
    if (n > 0) {
      EXPECT_EQ(std::string(buf, 9), "HTTP/1.1 ") << buf;
    }
    if (n >= 12) {
      EXPECT_EQ(buf[9], '4') << buf;
    }
  }
  EXPECT_EQ(c.Get("/api/version")->status, 200);
}

TEST_F(WebDashboard, WithLoginAlwaysEveryPageNeedsASessionFromTheRightPassword) {
  const std::string config = cluster_.dir() + "/web.yaml";
  std::string text = ReadFile(config);
  text = std::regex_replace(text, std::regex("login: auto"), "login: always");
  std::ofstream(config) << text;
  // The password comes on stdin, as an operator would type it.
  const std::string add = std::string("printf 'lanterns-in-sanming\\n' | ") + PPE_WEB + " --config " + config +
                          " user add coordinator-zhang";
  ASSERT_EQ(std::system(add.c_str()), 0);
  EXPECT_EQ(ReadFile(cluster_.dir() + "/web-users").find("lanterns"), std::string::npos);

  WebProcess web(config, cluster_.dir() + "/web.out");
  ASSERT_GT(web.port(), 0) << web.log();
  auto c = web.Client();
  for (const char* path : {"/", "/county/meilie", "/site/sm-first-hospital", "/log", "/donations", "/plan", "/api/status",
                           "/api/city", "/api/version", "/api/plan"}) {
    auto r = c.Get(path);
    ASSERT_TRUE(r) << path;
    EXPECT_EQ(r->status, 401) << path;
    EXPECT_EQ(r->body.find("梅列区"), std::string::npos) << path;  // no figure leaks out
  }
  EXPECT_NE(c.Get("/")->body.find("name=\"password\""), std::string::npos);
  EXPECT_EQ(c.Get("/static/style.css")->status, 200);  // the login page's own style

  auto wrong = c.Post("/login", "user=coordinator-zhang&password=guess&next=/", "application/x-www-form-urlencoded");
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->status, 401);
  EXPECT_FALSE(wrong->has_header("Set-Cookie") &&
               wrong->get_header_value("Set-Cookie").find("ppe_session=") != std::string::npos);
  auto right = c.Post("/login", "user=coordinator-zhang&password=lanterns-in-sanming&next=/county/meilie",
                      "application/x-www-form-urlencoded");
  ASSERT_TRUE(right);
  EXPECT_EQ(right->status, 303);
  EXPECT_EQ(right->get_header_value("Location"), "/county/meilie");
  std::string cookie;
  for (size_t i = 0; i < right->get_header_value_count("Set-Cookie"); ++i) {
    const std::string v = right->get_header_value("Set-Cookie", i);
    if (v.rfind("ppe_session=", 0) == 0) cookie = v;
  }
  ASSERT_FALSE(cookie.empty());
  EXPECT_NE(cookie.find("HttpOnly"), std::string::npos);
  EXPECT_NE(cookie.find("SameSite=Strict"), std::string::npos);
  const std::string session = cookie.substr(0, cookie.find(';'));
  auto in = c.Get("/county/meilie", {{"Cookie", session}});
  ASSERT_TRUE(in);
  EXPECT_EQ(in->status, 200);
  EXPECT_NE(in->body.find("coordinator-zhang"), std::string::npos);
  EXPECT_EQ(c.Get("/api/status", {{"Cookie", session}})->status, 200);
  EXPECT_EQ(c.Get("/api/status", {{"Cookie", "ppe_session=forged0123456789"}})->status, 401);
  // An address elsewhere is never where a login sends you.
  auto away = c.Post("/login", "user=coordinator-zhang&password=lanterns-in-sanming&next=//evil.example/",
                     "application/x-www-form-urlencoded");
  EXPECT_EQ(away->get_header_value("Location"), "/");
  // Logged out, the session is gone.
  c.Get("/logout", {{"Cookie", session}});
  EXPECT_EQ(c.Get("/api/status", {{"Cookie", session}})->status, 401);
}

TEST_F(WebDashboard, WithACertificateItSpeaksOnlyHttpsAndTheSessionCookieIsSecure) {
  const std::string dir = cluster_.dir();
  const std::string make_cert = "openssl req -x509 -newkey rsa:2048 -nodes -keyout " + dir + "/tls.key -out " + dir +
                                "/tls.crt -days 2 -subj /CN=localhost >/dev/null 2>&1";
  // scripts/bootstrap.sh installs openssl: without it this is a failure, never a silent skip.
  ASSERT_EQ(std::system(make_cert.c_str()), 0) << "no openssl command to make a test certificate with "
                                                  "(scripts/bootstrap.sh installs it)";
  std::ofstream(dir + "/web.yaml", std::ios::app) << "tls_cert: tls.crt\ntls_key: tls.key\nlogin: always\n";
  std::string text = ReadFile(dir + "/web.yaml");
  std::ofstream(dir + "/web.yaml") << std::regex_replace(text, std::regex("login: auto.*\n"), "");
  const std::string add = std::string("printf 'lanterns-in-sanming\\n' | ") + PPE_WEB + " --config " + dir +
                          "/web.yaml user add zhang";
  ASSERT_EQ(std::system(add.c_str()), 0);
  WebProcess web(dir + "/web.yaml", dir + "/web.out");
  ASSERT_GT(web.port(), 0) << web.log();
  EXPECT_NE(web.log().find("https://"), std::string::npos);
  httplib::SSLClient c("127.0.0.1", web.port());
  c.enable_server_certificate_verification(false);  // a self-signed test certificate
  c.set_read_timeout(20, 0);
  auto page = c.Get("/", {{"Host", "localhost"}});
  ASSERT_TRUE(page) << httplib::to_string(page.error());
  EXPECT_EQ(page->status, 401);
  auto right = c.Post("/login", {{"Host", "localhost"}}, "user=zhang&password=lanterns-in-sanming&next=/",
                      "application/x-www-form-urlencoded");
  ASSERT_TRUE(right);
  EXPECT_EQ(right->status, 303);
  const std::string cookie = right->get_header_value("Set-Cookie");
  EXPECT_NE(cookie.find("; Secure"), std::string::npos) << cookie;
  EXPECT_NE(cookie.find("HttpOnly"), std::string::npos) << cookie;
  auto in = c.Get("/api/status", {{"Host", "localhost"}, {"Cookie", cookie.substr(0, cookie.find(';'))}});
  ASSERT_TRUE(in);
  EXPECT_EQ(in->status, 200);
  // Plain HTTP to the same port gets nothing.
  httplib::Client plain("127.0.0.1", web.port());
  plain.set_read_timeout(5, 0);
  auto refused = plain.Get("/");
  EXPECT_TRUE(!refused || refused->status >= 400);
}

TEST(WebWithoutBroker, PagesSayTheBrokerIsAwayAndRecoverWhenItComes) {
  Cluster cluster;
  WebProcess web(cluster.dir() + "/web.yaml", cluster.dir() + "/web.out");
  ASSERT_GT(web.port(), 0) << web.log();
  auto c = web.Client();
  // No broker yet: the city page is a 503 saying so, in Chinese; the version says why.
  ASSERT_TRUE(WaitFor([&] {
    auto v = c.Get("/api/version");
    return v && v->status == 200 && !json::parse(v->body, nullptr, false).value("error", std::string()).empty();
  }, 15000));
  auto down = c.Get("/");
  ASSERT_TRUE(down);
  EXPECT_EQ(down->status, 503);
  EXPECT_NE(down->body.find("暂时无法连接市级调度中心"), std::string::npos);
  EXPECT_EQ(c.Get("/api/status")->status, 503);
  // The pages that ask the broker there and then say so at once too, not after their timeouts
  // (15 s for a site, 2 minutes for the plan).
  for (const char* path : {"/site/sm-first-hospital", "/order/1", "/log", "/donations", "/plan", "/api/plan"}) {
    const int64_t asked = MonotonicMs();
    auto r = c.Get(path);
    ASSERT_TRUE(r) << path;
    EXPECT_EQ(r->status, 503) << path;
    EXPECT_LT(MonotonicMs() - asked, 2000) << path;
    if (path[1] == 'a') continue;
    // Said in Chinese; the program's own English reason once, marked as English.
    EXPECT_NE(r->body.find("<p class=\"error\">暂时无法连接市级调度中心（ppe-broker），请稍后再试"), std::string::npos) << r->body;
    const size_t reason = r->body.find("no answer from the broker");
    ASSERT_NE(reason, std::string::npos) << path;
    EXPECT_EQ(r->body.find("no answer from the broker", reason + 1), std::string::npos) << path;
    EXPECT_LT(r->body.rfind("<small lang=\"en\">", reason), reason) << path;
  }
  // The broker comes: the same ppe-web shows the city within seconds, no restart.
  cluster.StartBroker();
  EXPECT_TRUE(WaitFor([&] {
    auto r = c.Get("/");
    return r && r->status == 200 && r->body.find("暂时无法连接") == std::string::npos;
  }, 15000)) << web.log();
}

}  // namespace
}  // namespace ppe::testing
