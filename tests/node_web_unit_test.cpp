// The county page's pieces without a socket: the CSRF token, form fields as a browser sends them,
// a mistake's words in both languages beside its field, and the orders' pick lines and buttons.
#include <gtest/gtest.h>

#include "common/city.h"
#include "nodes/report_entry.h"
#include "web/csrf_guard.h"
#include "web/form_fields.h"
#include "web/node_pages.h"

namespace ppe::web {
namespace {

bool Contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

TEST(CsrfGuard, ATokenIsValidOnlyForItsBrowserAndOnlyInThisProcess) {
  const CsrfGuard guard;
  const std::string alice = CsrfGuard::NewBrowserId(), bob = CsrfGuard::NewBrowserId();
  EXPECT_TRUE(CsrfGuard::WellFormed(alice));
  EXPECT_NE(alice, bob);
  const std::string token = guard.TokenFor(alice);
  EXPECT_EQ(token.size(), 64u);
  EXPECT_EQ(token, guard.TokenFor(alice));  // one per browser, for every form of every page
  EXPECT_TRUE(guard.Valid(alice, token));
  EXPECT_FALSE(guard.Valid(bob, token));
  EXPECT_FALSE(CsrfGuard().Valid(alice, token));  // another process (a restart): another secret
  EXPECT_FALSE(guard.Valid(alice, ""));
  EXPECT_FALSE(guard.Valid(alice, token.substr(0, 63) + (token[63] == 'a' ? "b" : "a")));
  EXPECT_FALSE(guard.Valid(alice, token + "00"));
  EXPECT_FALSE(guard.Valid(alice, std::string(64, 'z')));  // not hex
  EXPECT_FALSE(guard.Valid("", guard.TokenFor("")));       // a cookie we never set
  EXPECT_FALSE(guard.Valid("ABC", guard.TokenFor("ABC")));
  const std::string cookie = CsrfGuard::CookieFor(alice, false);
  EXPECT_TRUE(Contains(cookie, "ppe_csrf=" + alice + ";"));
  EXPECT_TRUE(Contains(cookie, "HttpOnly") && Contains(cookie, "SameSite=Strict"));
  EXPECT_FALSE(Contains(cookie, "Secure"));
  EXPECT_TRUE(Contains(CsrfGuard::CookieFor(alice, true), "; Secure"));
}

TEST(FormFields, ReadsWhatABrowserSendsAndRefusesWhatItNeverWould) {
  auto f = FormFields::ParseUrlEncoded(
      "csrf=ab12&place=meilie-wh&from=%E7%A6%8F%E5%BB%BA+Red+Cross%2C+Sanming&quantity=12%2C000&confirm=yes&empty=");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->Get("from"), "福建 Red Cross, Sanming");
  EXPECT_EQ(f->Get("quantity"), "12,000");
  EXPECT_EQ(f->Get("missing"), "");
  EXPECT_TRUE(f->Has("empty"));
  EXPECT_FALSE(f->Has("missing"));
  EXPECT_TRUE(f->Checked("confirm"));
  EXPECT_FALSE(f->Checked("empty"));
  EXPECT_FALSE(f->Checked("missing"));
  EXPECT_EQ(FormFields::ParseUrlEncoded("a=1&a=2")->Get("a"), "2");
  EXPECT_EQ(FormFields::ParseUrlEncoded("")->size(), 0u);
  EXPECT_EQ(FormFields::ParseUrlEncoded("&&a=1&")->size(), 1u);
  EXPECT_EQ(FormFields::ParseUrlEncoded("flag")->Get("flag"), "");
  for (const char* bad : {"a=%zz", "a=%4", "a=%", "%G0=1"}) EXPECT_FALSE(FormFields::ParseUrlEncoded(bad)) << bad;
  std::string many;
  for (int i = 0; i < 100; ++i) many += "f" + std::to_string(i) + "=1&";
  EXPECT_FALSE(FormFields::ParseUrlEncoded(many));
  EXPECT_EQ(FormFields::ParseUrlEncoded("a=%00")->Get("a"), std::string(1, '\0'));  // ReportEntry refuses it later
}

class CountyPages : public ::testing::Test {
 protected:
  void SetUp() override {
    auto city = City::Load(PPE_SOURCE_DIR "/config/sanming.yaml");
    ASSERT_TRUE(city.ok()) << city.status().message();
    city_ = std::make_unique<City>(std::move(*city));
  }
  NodePageContext Page(Lang lang) const { return {lang, city_.get(), "meilie", "t0ken"}; }
  std::unique_ptr<City> city_;
};

TEST_F(CountyPages, AMistakeIsSaidInTheLanguageOfThePageBesideItsField) {
  FormState state{"stock", *FormFields::ParseUrlEncoded("place=meilie-wh&item=mask.n95&quantity=-5"),
                  EntryError{EntryField::kQuantity, EntryProblem::kNegative, {"-5"}, 0}};
  const std::string zh = EntryPage(Page(Lang::kZh), state, "");
  EXPECT_TRUE(Contains(zh, "id=\"stock-quantity-error\" role=\"alert\">-5 是负数；数量应为 0 或更多")) << zh;
  EXPECT_TRUE(Contains(zh, "未记录：请改正标出的错误后再提交"));
  EXPECT_TRUE(Contains(zh, "name=\"csrf\" value=\"t0ken\""));
  EXPECT_TRUE(Contains(zh, "<option value=\"meilie-wh\" selected>"));
  EXPECT_FALSE(Contains(zh, "receipt-quantity-error"));  // only the form that was sent
  const std::string en = EntryPage(Page(Lang::kEn), state, "");
  EXPECT_TRUE(Contains(en, "id=\"stock-quantity-error\" role=\"alert\">-5 is negative; counts are 0 or more")) << en;
  // Every problem has words in both tables, filled with its figures.
  const EntryError expired{EntryField::kExpires, EntryProblem::kExpired, {"2020-01-01"}, 0};
  EXPECT_EQ(ProblemText(Lang::kZh, *city_, expired), "该批次已于 2020-01-01 过期（过期物资会入账，但不会发出）");
  EXPECT_EQ(ProblemText(Lang::kEn, *city_, {EntryField::kOrder, EntryProblem::kStepTooLate, {"7", "received", "reject"}, 0}),
            "order 7 is received; it can no longer be rejected");
  EXPECT_EQ(ProblemText(Lang::kZh, *city_, {EntryField::kOrder, EntryProblem::kStepTooLate, {"7", "shipped", "reject"}, 0}),
            "调拨单 7 已是“已发货”，不能再拒绝");
  EXPECT_EQ(ProblemLine(Lang::kZh, *city_, {EntryField::kItem, EntryProblem::kUnknownItem, {"mask.kn95"}, 3}),
            "第 3 行，物资：没有物资 “mask.kn95”");
  EXPECT_EQ(ProblemLine(Lang::kEn, *city_, {EntryField::kQuantity, EntryProblem::kMissing, {}, 4}),
            "Line 4: Qty is missing");
  // A figure the broker's limits refuse is said as what is wrong with it, not as every rule at once.
  const ReportEntry entry(*city_, Identity{"meilie", Role::kNode, "meilie"});
  EntryError zero, huge;
  EXPECT_FALSE(entry.Receipt("meilie-wh", "mask.n95", "0", "production", "", "", "", "", &zero).ok());
  EXPECT_EQ(zero.field, EntryField::kQuantity);
  EXPECT_EQ(ProblemText(Lang::kZh, *city_, zero), "入库数量为 0：到货至少 1 件才登记");
  EXPECT_FALSE(entry.Stock("meilie-wh", "mask.n95", "99999999999999", "", &huge).ok());
  EXPECT_EQ(ProblemText(Lang::kZh, *city_, huge), "99,999,999,999,999 超过上限 10,000,000,000，请核对（是否多打了 0？）");
  EXPECT_EQ(ProblemLine(Lang::kZh, *city_, {EntryField::kNone, EntryProblem::kCsvFieldsMissing, {"3", "7"}, 2}),
            "第 2 行：只有 3 个字段，而表头有 7 个：请补齐缺少的列（空着的列可以留空，但逗号要有）");
  // A file's `place` is a site in a demand row: never called a warehouse.
  EXPECT_EQ(ProblemLine(Lang::kZh, *city_, {EntryField::kPlace, EntryProblem::kUnknownSite, {"sm-first-hospitel"}, 2})
                .rfind("第 2 行，仓库或点位：没有点位 “sm-first-hospitel”", 0),
            0u);
  EXPECT_EQ(ProblemLine(Lang::kEn, *city_, {EntryField::kPlace, EntryProblem::kNotYourCounty, {"sy-bus"}, 5}),
            "Line 5, Warehouse or site: “sy-bus” is not this county's");
  // A figure that needs confirming asks for it, with a box to tick.
  state.error = EntryError{EntryField::kQuantity, EntryProblem::kImplausibleCount, {"900000", "1000"}, 0};
  const std::string ask = EntryPage(Page(Lang::kZh), state, "");
  EXPECT_TRUE(Contains(ask, "请核实：900,000 超过上次记录（1,000）的 100 倍")) << ask;
  EXPECT_TRUE(Contains(ask, "<input type=\"checkbox\" name=\"confirm\" value=\"yes\" id=\"stock-confirm\">"));
  EXPECT_TRUE(Contains(ask, ">确认并记录</button>"));
}

TEST_F(CountyPages, OrdersShowTheirPickLinesWithAShipButtonAndIncomingOnesAReceiveForm) {
  NodeOrder ship;
  ship.id = 12;
  ship.from_warehouse = "meilie-wh";
  ship.from_county = "meilie";
  ship.to_site = "sm-first-hospital";
  ship.to_county = "meilie";
  ship.item = "mask.n95";
  ship.qty = 500;
  ship.status = "accepted";
  wire::BatchLine line;
  line.set_batch(3);
  line.set_lot("L2003");
  line.set_expires("2030-06-30");
  line.set_donor("Fujian Red Cross");
  line.set_qty(500);
  ship.batches.push_back(line);
  NodeOrder done = ship;
  done.id = 13;
  done.status = "received";
  const std::string html = OrdersPage(Page(Lang::kZh), {ship, done}, 7, OrderFormState{}, "");
  EXPECT_TRUE(Contains(html, "<button type=\"submit\" id=\"ship-12\">发货</button>")) << html;
  EXPECT_TRUE(Contains(html, "批次 3 · 批号 L2003 · 有效期至 2030-06-30 · Fujian Red Cross × 500"));
  EXPECT_TRUE(Contains(html, "id=\"reject-12-reason\""));
  EXPECT_TRUE(Contains(html, "id=\"receive-12-quantity\" inputmode=\"numeric\" size=\"8\" value=\"500\""));
  EXPECT_FALSE(Contains(html, "ship-13"));  // closed orders have nothing to do
  EXPECT_TRUE(Contains(html, "三明市第一医院"));
}

// Rejected here, the rejection not yet at the broker: no receive form to press (the receipt would be
// refused as contradicting the rejection); received here: none either. Shipped: one.
TEST_F(CountyPages, AReceiveFormOnlyWhereReceivingIsAStepToTake) {
  NodeOrder order;
  order.from_county = order.to_county = "meilie";
  order.from_warehouse = "meilie-wh";
  order.to_site = "sm-first-hospital";
  order.item = "mask.n95";
  order.qty = 100;
  order.status = "accepted";
  NodeOrder rejected = order, received = order, shipped = order;
  rejected.id = 21;
  rejected.pending = OrderStep::kReject;
  rejected.pending_step = "reject";
  received.id = 22;
  received.pending = OrderStep::kReceive;
  received.pending_step = "receive";
  shipped.id = 23;
  shipped.status = "shipped";
  const std::string html = OrdersPage(Page(Lang::kZh), {rejected, received, shipped}, 1, OrderFormState{}, "");
  EXPECT_FALSE(Contains(html, "id=\"receive-21\"")) << html;
  EXPECT_TRUE(Contains(html, "已登记，待上报：拒绝"));
  EXPECT_FALSE(Contains(html, "id=\"receive-22\""));
  EXPECT_TRUE(Contains(html, "id=\"receive-23\""));
}

TEST_F(CountyPages, TheOrdersPageCarriesItsOwnWordsForANewOrderAndWorksWithoutTheScript) {
  NodeOrder order;
  order.id = 12;
  order.from_county = order.to_county = "meilie";
  order.status = "accepted";
  for (const Lang lang : {Lang::kZh, Lang::kEn}) {
    const std::string html = OrdersPage(Page(lang), {order}, 7, OrderFormState{}, "");
    // Hidden until orders-watch.js sees /api/orders move past what the page was made with.
    EXPECT_TRUE(Contains(html, "id=\"orders-watch\" role=\"status\" hidden data-held=\"7\" data-newest=\"12\"")) << html;
    EXPECT_TRUE(Contains(html, "<script src=\"/static/orders-watch.js\" defer></script>"));
    EXPECT_TRUE(Contains(html, lang == Lang::kZh ? ">有新的调拨单 — 点击刷新</a>" : ">A new order has come — click to refresh</a>"));
    EXPECT_TRUE(Contains(html, lang == Lang::kZh ? ">调拨单有更新 — 点击刷新</a>" : ">An order has changed — click to refresh</a>"));
  }
  EXPECT_EQ(NewestOrder({}), 0);
}

TEST_F(CountyPages, TheFileFieldIsLabelledInThePagesWordsAndNoFileIsSaidBesideIt) {
  const std::string zh = ImportPage(Page(Lang::kZh), {}, "");
  EXPECT_TRUE(Contains(zh, "<label for=\"import-file\">CSV 文件</label>")) << zh;
  EXPECT_TRUE(Contains(zh, "选中在 Excel 或 WPS 中另存的 .csv 文件"));
  EXPECT_FALSE(Contains(zh, "import-error"));
  const std::string none = ImportPage(Page(Lang::kZh), {}, "", Msg::kImportNoFile);
  EXPECT_TRUE(Contains(none, "aria-invalid=\"true\" class=\"wrong\"><small class=\"hint\">")) << none;
  EXPECT_TRUE(Contains(none, "<span class=\"field-error\" id=\"import-error\" role=\"alert\">请选择要上传的 CSV 文件</span></div>"));
  EXPECT_TRUE(Contains(ImportPage(Page(Lang::kEn), {}, ""), "<label for=\"import-file\">CSV file</label>"));
}

TEST_F(CountyPages, TheStatusPanelSaysWhatPpeNodeStatusSays) {
  const nlohmann::json status = {{"daemon_running", true}, {"connected", false}, {"outbox_pending", 3},
                                 {"last_ack", 17}, {"last_ack_at", "2020-02-10 08:00"}, {"refused", 0}};
  const std::string zh = StatusPanel(Lang::kZh, status);
  EXPECT_TRUE(Contains(zh, "待发送 3 条"));
  EXPECT_TRUE(Contains(zh, "市级最近确认：第 17 号报告（2020-02-10 08:00）"));
  EXPECT_TRUE(Contains(zh, "未连接市级调度中心"));
  EXPECT_FALSE(Contains(zh, "目录版本"));  // only when the status has one
  nlohmann::json with_catalogue = status;
  with_catalogue["catalogue_version"] = 4;
  EXPECT_TRUE(Contains(StatusPanel(Lang::kZh, with_catalogue), "目录版本 4"));
}

}  // namespace
}  // namespace ppe::web
