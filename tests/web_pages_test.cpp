// ppe-web's page data and pages, without sockets: the message tables are complete in both
// languages, broker replies become facts (and malformed ones errors), the city view takes each
// county's tier 1 sites' lowest cover, silence and orders in flight, the trend compares with a day
// before, the map tiles the plane, and the pages speak the chosen language with escaped text.
#include <gtest/gtest.h>

#include <cmath>
#include <set>

#include "web/broker_phrases.h"
#include "web/city_view.h"
#include "web/flat_rows.h"
#include "web/plan_view.h"
#include "web/html.h"
#include "web/messages.h"
#include "web/pages.h"
#include "web/svg_chart.h"
#include "web/svg_map.h"
#include "web/trend_book.h"

namespace ppe::web {
namespace {

using nlohmann::json;

City TwoCounties() {
  auto city = City::Parse(R"(city: testville
items:
  - {id: mask.n95, name: N95 respirator, unit: piece, lot: 50, substitutes_for: [], per_head_daily: 1}
  - {id: sanitizer, name: Hand sanitizer, unit: bottle, lot: 24, substitutes_for: [], per_head_daily: 0.1}
tiers: {1: [designated_hospital], 2: [rail_station]}
policy: {target_days: 7, min_order_days: 1}
counties:
  - {id: alpha, name: "阿尔法县 Alpha County", location: [26.00, 117.00]}
  - {id: beta, name: "贝塔区 Beta District", location: [26.50, 117.50]}
warehouses:
  - {id: alpha-wh, county: alpha, name: "阿尔法仓库 Alpha warehouse"}
  - {id: beta-wh, county: beta, name: Beta warehouse}
sites:
  - {id: a-hosp, county: alpha, name: "阿尔法医院 Alpha Hospital", kind: designated_hospital, headcount: 100}
  - {id: a-rail, county: alpha, name: "阿尔法站 Alpha Station", kind: rail_station, headcount: 10}
  - {id: b-hosp, county: beta, name: "<b>Beta</b> & Hospital", kind: designated_hospital, headcount: 100}
)");
  EXPECT_TRUE(city.ok()) << city.status().message();
  return *city;
}

json Status(int64_t alpha_stock, double alpha_cover) {
  const json items = {{"mask.n95", {{"stock", alpha_stock}, {"site_on_hand", 10}, {"in_transit", 0}, {"daily_use", 20.0},
                                    {"days_of_cover", alpha_cover}, {"lowest_site_cover", 0.5}}},
                      {"sanitizer", {{"stock", 0}, {"site_on_hand", 0}, {"in_transit", 0}, {"daily_use", 0.0},
                                     {"days_of_cover", nullptr}, {"lowest_site_cover", nullptr}}}};
  return {{"city", "testville"},
          {"at", "2020-02-10 09:00:00"},
          {"events", 7},
          {"counties",
           {{{"county", "alpha"}, {"name", "阿尔法县 Alpha County"}, {"connected", true}, {"last_contact", "2020-02-10 08:59:59"},
             {"reports_behind", 0}, {"items", items}, {"alerts", {"sites under 2.0 days of cover"}}},
            {{"county", "beta"}, {"name", "贝塔区 Beta District"}, {"connected", false}, {"last_contact", "-"},
             {"items", json::object()}, {"alerts", json::array()}},
            {{"county", "city"}, {"name", "testville city reserve"}, {"connected", false}, {"last_contact", "-"},
             {"items", json::object()}, {"alerts", json::array()}}}},
          {"alerts", {{{"county", "alpha"}, {"kind", "low_cover"}, {"text", "sites under 2.0 days of cover"},
                       {"facts", {{"under_days", 2}, {"count", 1}, {"lowest_site", "a-hosp"}, {"lowest_item", "mask.n95"},
                                  {"lowest_days", 0.4}}}},
                      {{"county", "beta"}, {"kind", "silent"}, {"text", "node never connected"}}}}};
}

const char* kDemand = R"([
  {"site": "a-hosp", "county": "alpha", "item": "mask.n95", "tier": 1, "on_hand": 10, "daily_use": 20.0,
   "reported_daily_use": 20.0, "used_daily_use": 20.0, "in_transit": 0, "days_of_cover": 0.5, "capped": false,
   "stale": false, "as_of": "2020-02-10 08:00:00", "ceiling": null, "extra": [1, {"deep": 2}]},
  {"site": "a-rail", "county": "alpha", "item": "mask.n95", "tier": 2, "on_hand": 0, "daily_use": 5.0,
   "reported_daily_use": 5.0, "used_daily_use": 5.0, "in_transit": 0, "days_of_cover": 0.0, "capped": true,
   "stale": true, "as_of": "2020-02-09 08:00:00"},
  {"site": "a-hosp", "county": "alpha", "item": "sanitizer", "tier": 1, "on_hand": 30, "daily_use": 1.0,
   "reported_daily_use": 1.0, "used_daily_use": 1.0, "in_transit": 0, "days_of_cover": 30.0, "capped": false,
   "stale": false, "as_of": "2020-02-10 08:00:00"}
])";

const char* kOrders = R"([
  {"id": 4, "round": 1, "from_warehouse": "beta-wh", "from_county": "beta", "to_site": "a-hosp", "to_county": "alpha",
   "item": "mask.n95", "qty": 500, "status": "shipped", "received_qty": null, "tier": 1, "reason": "nearest",
   "batches": [{"batch": 1, "qty": 500}]},
  {"id": 3, "round": 1, "from_warehouse": "alpha-wh", "from_county": "alpha", "to_site": "a-rail", "to_county": "alpha",
   "item": "mask.n95", "qty": 50, "status": "created", "received_qty": null, "tier": 2, "reason": "own county"}
])";

TEST(WebMessages, EveryMessageHasATextInBothLanguagesAndTheyDiffer) {
  for (size_t i = 0; i < static_cast<size_t>(Msg::kCount); ++i) {
    const Msg m = static_cast<Msg>(i);
    EXPECT_FALSE(Text(Lang::kZh, m).empty()) << "zh lacks message " << i;
    EXPECT_FALSE(Text(Lang::kEn, m).empty()) << "en lacks message " << i;
  }
  // Each table names each message once: a copy-paste slip would hide one.
  for (const MessageTable* t : {&ZhTable(), &EnTable()}) {
    std::set<Msg> seen;
    for (size_t i = 0; i < t->message_count; ++i) EXPECT_TRUE(seen.insert(t->messages[i].id).second) << i;
  }
  EXPECT_EQ(Text(Lang::kZh, Msg::kLangSwitch), "English");
  EXPECT_EQ(Text(Lang::kEn, Msg::kLangSwitch), "中文");
  EXPECT_EQ(LangTag(Lang::kZh), "zh-CN");
  EXPECT_EQ(LangTag(Lang::kEn), "en");
  EXPECT_EQ(LangFromCode("en"), Lang::kEn);
  EXPECT_EQ(LangFromCode("fr"), Lang::kZh);
  EXPECT_EQ(Format(Lang::kZh, Msg::kTierValue, {"2"}), "2 级");
  EXPECT_EQ(Format(Lang::kEn, Msg::kOrderHeading, {"17"}), "Order 17");
  EXPECT_EQ(ItemWord(Lang::kZh, "disinfectant").substr(0, 9), "消毒液");
  EXPECT_TRUE(ItemWord(Lang::kEn, "disinfectant").empty());  // the catalogue's own English name
}

TEST(WebMessages, BilingualNamesSplitIntoTheirHalves) {
  EXPECT_EQ(PlaceName(Lang::kZh, "梅列区 Meilie District"), "梅列区");
  EXPECT_EQ(PlaceName(Lang::kEn, "梅列区 Meilie District"), "Meilie District");
  EXPECT_EQ(PlaceName(Lang::kEn, "沙县 Shaxian County"), "Shaxian County");
  EXPECT_EQ(PlaceName(Lang::kZh, "Overseas Chinese Association"), "Overseas Chinese Association");
  EXPECT_EQ(PlaceName(Lang::kEn, "列东街道社区卫生服务中心"), "列东街道社区卫生服务中心");
  EXPECT_EQ(PlaceName(Lang::kEn, "三明市第2医院 Second"), "三明市第2医院 Second");  // not a clean pair: as it is
}

TEST(WebFacts, DemandAndOrderRowsAreReadAndNestedFieldsSkipped) {
  auto demand = ReadDemand(kDemand);
  ASSERT_TRUE(demand.ok()) << demand.status().message();
  ASSERT_EQ(demand->size(), 3u);
  EXPECT_EQ((*demand)[0].site, "a-hosp");
  EXPECT_EQ((*demand)[0].tier, 1);
  EXPECT_DOUBLE_EQ(*(*demand)[0].days_of_cover, 0.5);
  EXPECT_TRUE((*demand)[1].capped);
  EXPECT_TRUE((*demand)[1].stale);
  EXPECT_EQ(ToJson((*demand)[1])["used_daily_use"], 5.0);
  auto orders = ReadOrders(kOrders);
  ASSERT_TRUE(orders.ok()) << orders.status().message();
  ASSERT_EQ(orders->size(), 2u);
  EXPECT_EQ((*orders)[0].id, 4);
  EXPECT_FALSE((*orders)[0].received_qty.has_value());
  EXPECT_EQ(ToJson((*orders)[0])["to_site"], "a-hosp");
}

// A capped row carries the figures it was capped from, to /api/demand and to the pages' flags.
TEST(WebFacts, ACappedRowKeepsItsReportedCeilingAndObservedUse) {
  auto rows = ReadDemand(R"([{"site": "a-hosp", "county": "alpha", "item": "mask.n95", "tier": 1, "on_hand": 10,
    "daily_use": 1200.0, "reported_daily_use": 1200.0, "ceiling": 300.0, "observed_daily_use": null,
    "used_daily_use": 300.0, "capped": true, "stale": true, "in_transit": 0, "days_of_cover": 0.03}])");
  ASSERT_TRUE(rows.ok()) << rows.status().message();
  const json row = ToJson((*rows)[0]);
  EXPECT_EQ(row["ceiling"], 300.0);
  EXPECT_TRUE(row["observed_daily_use"].is_null());
  EXPECT_EQ(DemandFlags(Lang::kZh, (*rows)[0]), "已核减（上报 1,200，上限 300，实测 -） 需求数据过时");
  EXPECT_EQ(DemandFlags(Lang::kEn, (*rows)[0]), "capped (reported 1,200, ceiling 300, observed -) stale");
}

TEST(WebFacts, AMalformedReplyIsAnErrorNeverACrash) {
  for (const char* bad : {"", "{", "{\"a\": 1}", "[1, 2]", "[[1]]", "[{\"site\": \"x\"", "not json", "\"text\""}) {
    EXPECT_FALSE(ReadDemand(bad).ok()) << bad;
  }
  EXPECT_TRUE(ReadDemand("[]").ok());
  EXPECT_TRUE(ReadDemand("[]")->empty());
}

TEST(WebFacts, RowsUnderAKeyAndTheObjectsOwnFields) {
  FlatRow top;
  std::vector<std::string> sites;
  ASSERT_TRUE(ReadFlatRowsIn(R"({"round": 4, "orders": [{"to_site": "a", "batches": [{"to_site": "no"}]}, {"to_site": "b"}],
                                "coverage": [{"to_site": "c"}]})",
                             "orders", [&](const FlatRow& r) { sites.push_back(r.Text("to_site")); }, &top)
                  .ok());
  EXPECT_EQ(sites, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(top.Int("round"), 4);
  EXPECT_FALSE(ReadFlatRowsIn("[1]", "orders", [](const FlatRow&) {}).ok());
  EXPECT_FALSE(ReadPlan("{\"orders\": [").ok());
  EXPECT_TRUE(ReadPlan("{}").ok());
}

TEST(WebCityView, CountiesTakeTheirTier1SitesLowestCoverSilenceAndOrdersInFlight) {
  const City city = TwoCounties();
  auto demand = ReadDemand(kDemand);
  auto orders = ReadOrders(kOrders);
  const CityView v = BuildCityView(city, Status(1200, 0.4), *demand, *orders, nullptr, 0);
  ASSERT_EQ(v.counties.size(), 3u);
  const CountyView& alpha = v.counties[0];
  EXPECT_EQ(alpha.id, "alpha");
  EXPECT_TRUE(alpha.on_map);
  // Tier 1 only: the station at 0 days does not colour the county; over items the lowest, 0.5.
  ASSERT_TRUE(alpha.tier1_cover.has_value());
  EXPECT_DOUBLE_EQ(*alpha.tier1_cover, 0.5);
  EXPECT_DOUBLE_EQ(*alpha.items.at("sanitizer").tier1_cover, 30.0);
  EXPECT_EQ(alpha.items.at("mask.n95").stock, 1200);
  EXPECT_DOUBLE_EQ(*alpha.items.at("mask.n95").days_of_cover, 0.4);
  EXPECT_FALSE(alpha.items.at("sanitizer").days_of_cover.has_value());
  EXPECT_EQ(alpha.orders_in_flight, 2u);  // both go to alpha
  EXPECT_EQ(v.counties[1].orders_in_flight, 1u);  // one comes from beta
  EXPECT_FALSE(v.counties[1].tier1_cover.has_value());  // beta's hospital reported nothing
  EXPECT_FALSE(v.counties[2].on_map);  // the city reserve has no place on the map
  EXPECT_EQ(v.silent, (std::vector<std::string>{"beta", "city"}));
  ASSERT_EQ(v.in_flight.size(), 2u);
  EXPECT_EQ(v.in_flight[0].id, 3);  // in id order
  ASSERT_EQ(v.alerts.size(), 2u);
  EXPECT_EQ(v.alerts[1].kind, "silent");
  const json j = ToJson(v);
  EXPECT_EQ(j["counties"][0]["items"]["mask.n95"]["stock"], 1200);
  EXPECT_EQ(j["counties"][0]["tier1_lowest_cover"], 0.5);
  EXPECT_EQ(j["orders_in_flight"].size(), 2u);
}

TEST(WebCityView, AStatusMissingPartsGivesAnEmptyViewNotAThrow) {
  const City city = TwoCounties();
  for (const json& status : {json::object(), json{{"counties", 3}}, json{{"counties", {1, "x", json::object()}}},
                             json{{"alerts", {{{"county", 1}}}}}}) {
    EXPECT_NO_THROW(BuildCityView(city, status, {}, {}, nullptr, 0)) << status.dump();
  }
}

TEST(WebTrend, TheChangeIsAgainstTheSampleNearestADayBefore) {
  TrendBook book(60 * 1000);
  const int64_t day = TrendBook::kDayMs;
  const TrendBook::Key key{"alpha", "mask.n95"};
  EXPECT_FALSE(book.Change(key, 3, 1000).has_value());  // nothing seen yet
  book.Record(0, {{key, 2.0}});
  book.Record(30 * 1000, {{key, 9.0}});  // within the interval: not kept
  book.Record(day / 2, {{key, 4.0}});
  int64_t since = -1;
  // Less than a day: compared with the oldest.
  EXPECT_DOUBLE_EQ(*book.Change(key, 5.0, day / 2 + 1000, &since), 3.0);
  EXPECT_EQ(since, 0);
  book.Record(day + day / 2, {{key, 6.0}});
  // A day and a half in: the sample of half a day is the one nearest a day before.
  EXPECT_DOUBLE_EQ(*book.Change(key, 7.5, day + day / 2 + 1000, &since), 3.5);
  EXPECT_EQ(since, day / 2);
  EXPECT_FALSE(book.Change({"beta", "mask.n95"}, 1, day * 2).has_value());
}

// A cover that did not move says so: "unchanged since", never "as at" (which reads as the time
// of the figure, not of the one compared with).
TEST(WebTrend, AnUnchangedCoverSaysSinceWhen) {
  const City city = TwoCounties();
  TrendBook book(60 * 1000);
  book.Record(1000, {{{"alpha", "mask.n95"}, 0.4}});
  Snapshot s;
  s.demand = std::make_shared<const std::vector<DemandFact>>(*ReadDemand(kDemand));
  s.view = BuildCityView(city, Status(1200, 0.4), *s.demand, {}, &book, 3600 * 1000);
  const std::string en = CityPage(Lang::kEn, city, s, "", BandEdges{});
  EXPECT_NE(en.find("unchanged since "), std::string::npos) << en;
  EXPECT_EQ(en.find("as at "), std::string::npos);
  EXPECT_NE(CityPage(Lang::kZh, city, s, "", BandEdges{}).find("持平"), std::string::npos);
}

TEST(WebMap, BandsFollowTheAlertLevelAndTheTarget) {
  const BandEdges e{2, 7};
  EXPECT_EQ(BandOf(std::nullopt, e), CoverBand::kNone);
  EXPECT_EQ(BandOf(0.0, e), CoverBand::kCritical);
  EXPECT_EQ(BandOf(1.0, e), CoverBand::kLow);
  EXPECT_EQ(BandOf(2.0, e), CoverBand::kWatch);
  EXPECT_EQ(BandOf(6.99, e), CoverBand::kWatch);
  EXPECT_EQ(BandOf(7.0, e), CoverBand::kOk);
}

TEST(WebMap, CountyCellsTileTheMapWithoutGapsOrOverlaps) {
  const std::vector<Point> seats = {{100, 100}, {300, 120}, {200, 300}, {420, 380}, {80, 400}, {210, 180}};
  const std::vector<Point> box = {{0, 0}, {500, 0}, {500, 500}, {0, 500}};
  double total = 0;
  for (size_t i = 0; i < seats.size(); ++i) {
    const std::vector<Point> cell = NearestCell(seats, i, box);
    ASSERT_GE(cell.size(), 3u);
    double area = 0;
    for (size_t k = 0; k < cell.size(); ++k) {
      const Point p = cell[k], q = cell[(k + 1) % cell.size()];
      area += p.x * q.y - q.x * p.y;
    }
    total += std::fabs(area) / 2;
    // Every corner of the cell is at least as near its own seat as any other.
    for (const Point& p : cell) {
      const double own = std::hypot(p.x - seats[i].x, p.y - seats[i].y);
      for (const Point& s : seats) EXPECT_LE(own, std::hypot(p.x - s.x, p.y - s.y) + 1e-6);
    }
  }
  EXPECT_NEAR(total, 500.0 * 500.0, 1e-3);
}

TEST(WebMap, TheSvgNamesCountiesInThePagesLanguageAndColoursThem) {
  const City city = TwoCounties();
  const CityView v = BuildCityView(city, Status(1200, 0.4), *ReadDemand(kDemand), {}, nullptr, 0);
  const std::string zh = CityMapSvg(Lang::kZh, city, v, "", BandEdges{});
  EXPECT_NE(zh.find("阿尔法县"), std::string::npos);
  EXPECT_EQ(zh.find("Alpha County"), std::string::npos);
  EXPECT_NE(zh.find("data-county=\"alpha\" data-cover=\"0.5\""), std::string::npos);
  EXPECT_NE(zh.find("county band-critical"), std::string::npos);
  EXPECT_NE(zh.find("county band-none"), std::string::npos);  // beta
  const std::string en = CityMapSvg(Lang::kEn, city, v, "sanitizer", BandEdges{});
  EXPECT_NE(en.find("Alpha County"), std::string::npos);
  EXPECT_NE(en.find("data-cover=\"30.0\""), std::string::npos);  // sanitizer's tier 1 cover
  EXPECT_EQ(std::count(zh.begin(), zh.end(), '<') - std::count(zh.begin(), zh.end(), '>'), 0);
}

TEST(WebPages, TheCityPageSpeaksItsLanguageAndEscapesCatalogueText) {
  const City city = TwoCounties();
  Snapshot s;
  s.demand = std::make_shared<const std::vector<DemandFact>>(*ReadDemand(kDemand));
  s.view = BuildCityView(city, Status(1200, 0.4), *s.demand, *ReadOrders(kOrders), nullptr, 0);
  const std::string zh = CityPage(Lang::kZh, city, s, "", BandEdges{});
  EXPECT_NE(zh.find("全市防疫物资概览"), std::string::npos);
  EXPECT_NE(zh.find("1,200"), std::string::npos);
  EXPECT_NE(zh.find("0.4 天"), std::string::npos);
  EXPECT_NE(zh.find("失联的县"), std::string::npos);
  EXPECT_NE(zh.find("保障天数不足"), std::string::npos);  // the alert's kind, in Chinese
  // ... and its detail, built from the broker's facts with the catalogue's names; an alert with no
  // facts (a broker one release older) shows the broker's English line, marked as English.
  EXPECT_NE(zh.find("1 个点位保障不足 2 天；最低：阿尔法医院"), std::string::npos) << zh;
  EXPECT_NE(zh.find("N95/KN95 口罩 0.4 天"), std::string::npos) << zh;  // days as every cell says them: 0.4, not 0.40
  EXPECT_EQ(zh.find("sites under 2.0 days of cover"), std::string::npos);
  EXPECT_NE(zh.find("节点从未连接"), std::string::npos);
  EXPECT_NE(zh.find("/order/4"), std::string::npos);
  const std::string en = CityPage(Lang::kEn, city, s, "", BandEdges{});
  EXPECT_NE(en.find("Silent counties"), std::string::npos);
  EXPECT_NE(en.find("0.4 d"), std::string::npos);
  EXPECT_EQ(en.find("失联"), std::string::npos);
  EXPECT_NE(en.find("1 site(s) under 2 days of cover; lowest: Alpha Hospital"), std::string::npos) << en;
  const std::string county = CountyPage(Lang::kEn, city, s, "beta", BandEdges{});
  EXPECT_EQ(county.find("<b>Beta</b>"), std::string::npos);
  const std::string alpha = CountyPage(Lang::kZh, city, s, "alpha", BandEdges{});
  EXPECT_NE(alpha.find("阿尔法医院"), std::string::npos);
  EXPECT_NE(alpha.find("已核减"), std::string::npos);  // the capped station
  // A county's own page: its items (not "every county"), labels with the Chinese colon.
  EXPECT_NE(alpha.find("<h2>各物资库存与保障天数</h2>"), std::string::npos);
  EXPECT_EQ(alpha.find("各县库存与保障天数"), std::string::npos);
  EXPECT_NE(alpha.find("最近联系："), std::string::npos);
  EXPECT_EQ(alpha.find(": "), std::string::npos);
  EXPECT_NE(zh.find("最近联系：从未联系"), std::string::npos);  // the silent list
  EXPECT_NE(zh.find("<a href=\"/county/city\">市级储备库</a>"), std::string::npos);  // the reserve has its page too
  EXPECT_NE(CountyPage(Lang::kEn, city, s, "alpha", BandEdges{}).find("Last contact: "), std::string::npos);
  const json cj = CountyJson(s, "alpha");
  EXPECT_EQ(cj["demand"].size(), 3u);
  EXPECT_EQ(cj["orders_in_flight"].size(), 2u);
}

TEST(WebPages, TheFrameCarriesLangVersionAndTheSwitchLink) {
  PageFrame f;
  f.lang = Lang::kEn;
  f.title = "<x>";
  f.switch_url = "/log?status=created&lang=zh";
  f.version = 42;
  const std::string page = RenderPage(f, "<p>body</p>");
  EXPECT_NE(page.find("<html lang=\"en\">"), std::string::npos);
  EXPECT_NE(page.find("data-version=\"42\""), std::string::npos);
  EXPECT_NE(page.find("href=\"/log?status=created&amp;lang=zh\">中文</a>"), std::string::npos);
  EXPECT_NE(page.find("&lt;x&gt;"), std::string::npos);
  f.lang = Lang::kZh;
  EXPECT_NE(RenderPage(f, "").find("<html lang=\"zh-CN\">"), std::string::npos);
}

TEST(WebPages, LogFiltersAreCheckedLikePpeCtlLog) {
  const City city = TwoCounties();
  json args;
  EXPECT_FALSE(LogArgs(city, {"alpha", "a-hosp", "mask.n95", "shipped", "2020-02-10", "2020-02-11 08:30"}, &args));
  EXPECT_EQ(args["county"], "alpha");
  EXPECT_EQ(args["status"], "shipped");
  EXPECT_GT(args["until_ms"].get<int64_t>(), args["since_ms"].get<int64_t>());
  EXPECT_EQ(LogArgs(city, {"gamma", "", "", "", "", ""}, &args)->msg, Msg::kErrUnknownCounty);
  EXPECT_EQ(LogArgs(city, {"", "nowhere", "", "", "", ""}, &args)->http_status, 404);
  EXPECT_EQ(LogArgs(city, {"", "", "gold", "", "", ""}, &args)->msg, Msg::kErrUnknownItem);
  EXPECT_EQ(LogArgs(city, {"", "", "", "lost", "", ""}, &args)->msg, Msg::kErrBadStatus);
  EXPECT_EQ(LogArgs(city, {"", "", "", "", "yesterday", ""}, &args)->msg, Msg::kErrBadTime);
  // A day the calendar lacks is refused, never read as the day after.
  EXPECT_EQ(LogArgs(city, {"", "", "", "", "2020-02-30", ""}, &args)->http_status, 400);
  EXPECT_EQ(LogArgs(city, {"", "", "", "", "", "2020-04-31 08:00"}, &args)->msg, Msg::kErrBadTime);
  EXPECT_EQ(LogArgs(city, {"", "", "", "", "2019-02-29", ""}, &args)->msg, Msg::kErrBadTime);
  EXPECT_FALSE(LogArgs(city, {"", "", "", "", "2020-02-29", "2020-02-29 23:59:59"}, &args));  // a leap day
  EXPECT_FALSE(LogArgs(city, {"city", "", "", "", "", ""}, &args));  // the city reserve's own
  // A site by its name as the page shows it, in either language, as well as by its id.
  for (const char* name : {"阿尔法医院", "Alpha Hospital", "阿尔法医院 Alpha Hospital", "a-hosp"}) {
    EXPECT_FALSE(LogArgs(city, {"", name, "", "", "", ""}, &args)) << name;
    EXPECT_EQ(args["site"], "a-hosp") << name;
  }
  EXPECT_EQ(LogArgs(city, {"", "阿尔法", "", "", "", ""}, &args)->msg, Msg::kErrUnknownSite);  // not a part of one
}

TEST(WebPages, OrderLogDonationsAndPlanPagesShowTheBrokersFigures) {
  const City city = TwoCounties();
  const json order = {{"id", 9}, {"round", 2}, {"qty", 500}, {"item", "mask.n95"}, {"for_item", "mask.n95"},
                      {"from_warehouse", "alpha-wh"}, {"to_site", "a-hosp"}, {"to_county", "alpha"}, {"status", "received"},
                      {"received_qty", 450}, {"tier", 1}, {"days_before", 0.5}, {"days_after", 7.0},
                      {"reason", "own county"}, {"distance_km", 0.0},
                      {"batches", {{{"batch", 3}, {"lot", "L1"}, {"expires", nullptr}, {"donor", "Red Cross"}, {"qty", 500}}}},
                      {"history", {{{"time", "2020-02-10 09:00:00"}, {"status", "created"}, {"who", "coordinator"}, {"qty", 500}}}}};
  const std::string o = OrderPage(Lang::kZh, city, order);
  EXPECT_NE(o.find("调拨单 9"), std::string::npos);
  EXPECT_NE(o.find("<strong>状态：</strong><span class=\"status\">已签收"), std::string::npos) << o;
  EXPECT_NE(o.find("由 0.5 天提高到 7.0 天"), std::string::npos) << o;  // days as the plan says them
  EXPECT_NE(o.find("Red Cross"), std::string::npos);
  const std::string log = LogPage(Lang::kEn, city, order["history"], LogFilter{"alpha", "", "", "", "", ""});
  EXPECT_NE(log.find("<option value=\"alpha\" selected>Alpha County</option>"), std::string::npos);
  EXPECT_NE(log.find("coordinator"), std::string::npos);
  const json report = {{"generated", "2020-02-10"},
                       {"donors", {{{"donor", "福建省红十字会 Fujian Red Cross"}, {"adds_up", true}, {"received", 1000},
                                    {"in_warehouses", 400}, {"in_transit", 100}, {"landed", 500}, {"lost", 0},
                                    {"batches", json::array()},
                                    {"rows", {{{"order", 9}, {"site", "a-hosp"}, {"county", "alpha"}, {"qty", 500},
                                               {"status", "received"}, {"date", "2020-02-10"}}}}}}}};
  const std::string d = DonationsPage(Lang::kZh, city, report);
  EXPECT_NE(d.find("福建省红十字会"), std::string::npos);
  EXPECT_NE(d.find("收到 1,000：仓库中 400，在途 100，已送达 500，损耗 0"), std::string::npos);
  const json plan = {{"round", 3},
                     {"orders", {{{"tier", 2}, {"from_warehouse", "alpha-wh"}, {"to_site", "a-rail"}, {"to_county", "alpha"},
                                  {"item", "mask.n95"}, {"for_item", "mask.n95"}, {"qty", 50}, {"days_before", 0},
                                  {"days_after", 7}, {"reason", "own county"}}}},
                     {"coverage", {{{"site", "a-hosp"}, {"tier", 1}, {"days_before", 7.5}, {"days_after", 7.5}},
                                   {{"site", "a-rail"}, {"tier", 2}, {"days_before", 0.0}, {"days_after", 7.0}}}}};
  auto view = ReadPlan(plan.dump());
  ASSERT_TRUE(view.ok()) << view.status().message();
  EXPECT_EQ(view->round, 3);
  EXPECT_EQ(view->orders, 1u);
  const std::string p = PlanPage(Lang::kZh, city, *view);
  EXPECT_NE(p.find("1 级：0 张调拨单；最低点位保障 7.5 → 7.5 天"), std::string::npos);
  EXPECT_NE(p.find("2 级：1 张调拨单；最低点位保障 0.0 → 7.0 天"), std::string::npos);
  EXPECT_LT(p.find("data-tier=\"1\""), p.find("data-tier=\"2\""));
}

// The broker writes why a warehouse, a step's notes and who took it in fixed English phrases and
// key names: a Chinese page says them in Chinese, with the catalogue's names; a person's own
// words stay as typed.
TEST(WebPages, TheBrokersPhrasesAndWhoAreSaidInThePagesLanguage) {
  const City city = TwoCounties();
  const json history = {
      {{"time", "2020-02-10 09:00:00"}, {"status", "created"}, {"who", "coordinator"}, {"qty", 500}, {"order", 9},
       {"to", "a-hosp"}, {"note", "nearest with stock (53 km)"}},
      {{"time", "2020-02-10 10:00:00"}, {"status", "shipped"}, {"who", "alpha"}, {"qty", 500}, {"order", 9},
       {"to", "a-hosp"}, {"note", "implied by its receipt at a-hosp"}},
      {{"time", "2020-02-10 10:00:00"}, {"status", "received"}, {"who", "alpha"}, {"qty", 450}, {"order", 9},
       {"to", "a-hosp"}, {"note", "discrepancy: shipped 500, received 450"}},
      {{"time", "2020-02-10 11:00:00"}, {"status", "rejected"}, {"who", "city"}, {"qty", 50}, {"order", 10},
       {"to", "a-hosp"}, {"note", "道路封闭 road closed"}}};
  const json order = {{"id", 9}, {"round", 2}, {"qty", 500}, {"item", "mask.n95"}, {"for_item", "mask.n95"},
                      {"from_warehouse", "beta-wh"}, {"to_site", "a-hosp"}, {"to_county", "alpha"}, {"status", "received"},
                      {"tier", 1}, {"reason", "nearest with stock (53 km)"}, {"distance_km", 52.7},
                      {"batches", {{{"batch", 3}, {"lot", nullptr}, {"expires", nullptr},
                                    {"donor", "福建省红十字会 Fujian Red Cross"}, {"qty", 500}}}},
                      {"history", history}};
  for (const std::string& page : {OrderPage(Lang::kZh, city, order), LogPage(Lang::kZh, city, history, LogFilter{})}) {
    EXPECT_NE(page.find("有库存的最近仓库（53 公里）"), std::string::npos) << page;
    EXPECT_NE(page.find("市级协调员"), std::string::npos);
    EXPECT_NE(page.find("<td>阿尔法县</td>"), std::string::npos);
    EXPECT_NE(page.find("<td>市级储备库</td>"), std::string::npos);
    EXPECT_NE(page.find("数量差异：发出 500，实收 450"), std::string::npos);
    EXPECT_NE(page.find("阿尔法医院 已收货"), std::string::npos);
    EXPECT_NE(page.find("道路封闭 road closed"), std::string::npos);  // an operator's words, as typed
    for (const char* english : {"nearest", "coordinator", "discrepancy", "implied", ">alpha<", ">city<"}) {
      EXPECT_EQ(page.find(english), std::string::npos) << english;
    }
  }
  const std::string zh = OrderPage(Lang::kZh, city, order);
  EXPECT_NE(zh.find("<td>福建省红十字会</td>"), std::string::npos);  // the donor's Chinese half, as on the report
  EXPECT_EQ(zh.find("Fujian Red Cross"), std::string::npos);
  const std::string en = OrderPage(Lang::kEn, city, order);
  EXPECT_NE(en.find("Source: nearest with stock (53 km)"), std::string::npos);
  EXPECT_NE(en.find("<td>Alpha County</td>"), std::string::npos);
  EXPECT_NE(en.find("Fujian Red Cross"), std::string::npos);
  const json plan = {{"round", 3},
                     {"orders", {{{"tier", 1}, {"from_warehouse", "alpha-wh"}, {"to_site", "a-hosp"}, {"to_county", "alpha"},
                                  {"item", "mask.n95"}, {"for_item", "mask.n95"}, {"qty", 50}, {"reason", "own county"}},
                                 {{"tier", 1}, {"from_warehouse", "alpha-wh"}, {"to_site", "b-hosp"}, {"to_county", "beta"},
                                  {"item", "mask.n95"}, {"for_item", "mask.n95"}, {"qty", 50}, {"reason", "city reserve"}}}},
                     {"coverage", json::array()}};
  auto view = ReadPlan(plan.dump());
  ASSERT_TRUE(view.ok());
  const std::string p = PlanPage(Lang::kZh, city, *view);
  EXPECT_NE(p.find("<td>本县（市、区）仓库</td>"), std::string::npos);
  EXPECT_NE(p.find("<td>市级储备库</td>"), std::string::npos);
  EXPECT_EQ(p.find("own county"), std::string::npos);
  EXPECT_EQ(p.find("city reserve"), std::string::npos);
  EXPECT_EQ(SourceText(Lang::kZh, "nearest with stock (x km)"), "nearest with stock (x km)");  // not the broker's
}

TEST(WebChart, ASitesCoverIsAStepLinePerItemWithTheTarget) {
  const City city = TwoCounties();
  const json history = {{"items", {{{"item", "mask.n95"},
                                    {"points", {{{"at_ms", 1000000}, {"days_of_cover", 2.0}},
                                                {{"at_ms", 4600000}, {"days_of_cover", 9.0}},
                                                {{"at_ms", 8200000}, {"days_of_cover", nullptr}}}}},
                                   {{"item", "sanitizer"}, {"points", json::array()}}}}};
  const std::string svg = CoverChartSvg(Lang::kEn, city, history, 7, 9000000);
  EXPECT_NE(svg.find("id=\"cover-chart\""), std::string::npos);
  EXPECT_EQ(std::count(svg.begin(), svg.end(), 'M'), 1);  // one series: sanitizer has no points
  EXPECT_NE(svg.find("data-item=\"mask.n95\""), std::string::npos);
  EXPECT_NE(svg.find("target 7.0 d"), std::string::npos);
  EXPECT_TRUE(CoverChartSvg(Lang::kEn, city, json::object(), 7, 0).empty());
}

TEST(WebHtml, EscapingAndFigures) {
  EXPECT_EQ(Esc("<a href=\"x\">&'"), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
  EXPECT_EQ(UrlEncode("a b/é"), "a%20b%2F%C3%A9");
  EXPECT_EQ(Count(1234567), "1,234,567");
  EXPECT_EQ(Count(-1000), "-1,000");
  EXPECT_EQ(Count(999), "999");
  EXPECT_EQ(Figure(json(nullptr)), "-");
  EXPECT_EQ(Figure(json(2.5)), "2.50");
  EXPECT_EQ(Figure(json("<x>")), "&lt;x&gt;");
  EXPECT_EQ(Days(std::nullopt), "-");
  EXPECT_EQ(Days(3.25), "3.2");
  EXPECT_EQ(Use(1466.0), "1,466");
  EXPECT_EQ(Use(0.25), "0.25");
}

}  // namespace
}  // namespace ppe::web
