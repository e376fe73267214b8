#include "web/http_server.h"

#include <httplib.h>
#include <spdlog/spdlog.h>

#include "common/clock.h"
#include "web/html.h"
#include "web/pages.h"
#include "web/page_shell.h"

namespace ppe::web {
namespace {

constexpr const char* kJson = "application/json; charset=utf-8";

// Digits only, and not absurdly many: an order id.
std::optional<int64_t> OrderId(const std::string& text) {
  if (text.empty() || text.size() > 15 || text.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
  return std::stoll(text);
}

// The map's bands: the broker's alert threshold and the live policy's target.
BandEdges EdgesOf(const City& city) {
  BandEdges edges;
  edges.target_days = city.policy().target_days;
  return edges;
}

}  // namespace

HttpServer::HttpServer(const WebConfig& config, BrokerGateway& gateway, SessionLogin* login)
    : config_(config), gateway_(gateway), login_(login) {
  server_ = MakeServer(config);
  // Every open page polls: a pool larger than the default 8, so idle keep-alive connections of a
  // dozen browsers never hold up a new request.
  server_->new_task_queue = [] { return new httplib::ThreadPool(24); };
  server_->set_keep_alive_timeout(3);
  server_->set_read_timeout(5);
  server_->set_write_timeout(10);
  server_->set_payload_max_length(16 * 1024);  // a login form is all anyone may send
  Routes();
}

HttpServer::~HttpServer() = default;

Status HttpServer::Bind(const ListenAddress& address) {
  auto port = BindServer(*server_, config_, address);
  if (!port.ok()) return port.status();
  port_ = *port;
  return Status::Ok();
}

bool HttpServer::Run() { return server_->listen_after_bind(); }
void HttpServer::Stop() { server_->stop(); }

void HttpServer::Routes() {
  httplib::Server& s = *server_;
  // A whole page: the frame around `body`, with the snapshot's version for live.js.
  const auto frame = [this](const httplib::Request& req, const RequestContext& c, Section section,
                            const std::string& title, const std::string& body, const Snapshot* snap) {
    PageFrame f;
    f.lang = c.lang;
    f.title = title;
    f.section = section;
    f.switch_url = SwitchUrl(req, c.lang);
    f.user = c.user;
    auto current = gateway_.Current();
    if (!snap) snap = current.get();
    f.version = snap->version;
    f.as_of = snap->view.at.empty() ? "-" : snap->view.at;
    if (!snap->error.empty()) {
      f.notice = Text(c.lang, Msg::kBrokerDown);
      f.notice_detail = snap->error;
    }
    return RenderPage(f, body);
  };
  shell_ = std::make_unique<PageShell>(
      s, config_, login_,
      [frame](const httplib::Request& req, const RequestContext& c, const std::string& title, const std::string& body) {
        return frame(req, c, Section::kOther, title, body, nullptr);
      });
  shell_->Install();
  const PageShell* shell = shell_.get();  // the server's, as long as the routes
  const auto ctx = [shell](const httplib::Request& req) { return shell->Context(req); };
  const auto page = [frame](const httplib::Request& req, httplib::Response& res, const RequestContext& c,
                            Section section, const std::string& title, const std::string& body, const Snapshot* snap) {
    NoStore(res);
    res.set_content(frame(req, c, section, title, body, snap), "text/html; charset=utf-8");
  };
  const auto error_page = [shell](const httplib::Request& req, httplib::Response& res, const RequestContext& c,
                                  int status, const std::string& text) { shell->ErrorPage(req, res, c, status, text); };
  const auto api_error = [](httplib::Response& res, int status, const std::string& text) {
    PageShell::ApiError(res, status, text);
  };
  // A failed request to the broker: an unknown entity is the user's 404, anything else the
  // broker being away (503).
  const auto broker_failed = [error_page, api_error](const httplib::Request& req, httplib::Response& res,
                                                     const RequestContext& c, const Status& status, Msg unknown,
                                                     const std::string& what) {
    const bool unknown_entity = status.message().rfind("unknown ", 0) == 0;
    const std::string text = unknown_entity ? Format(c.lang, unknown, {Short(what)})
                                            : std::string(Text(c.lang, Msg::kBrokerDown));
    if (IsApi(req)) return api_error(res, unknown_entity ? 404 : 503, status.message());
    spdlog::warn("{} {}: {}", req.method, Short(req.path), status.message());
    error_page(req, res, c, unknown_entity ? 404 : 503, text);
  };
  const auto json = [](httplib::Response& res, const std::string& text) {
    NoStore(res);
    res.set_content(text, kJson);
  };

  // The city.
  s.Get("/", [=, this](const httplib::Request& req, httplib::Response& res) {
    const std::shared_ptr<const City> catalogue = gateway_.Catalogue();  // one version for the whole page
    const RequestContext c = ctx(req);
    const std::string item = req.get_param_value("item");
    if (!item.empty() && !catalogue->FindItem(item)) {
      return error_page(req, res, c, 404, Format(c.lang, Msg::kErrUnknownItem, {Short(item)}));
    }
    auto snap = gateway_.Current();
    if (snap->fetched_ms == 0) res.status = 503;
    page(req, res, c, Section::kCity, std::string(Text(c.lang, Msg::kNavCity)),
         CityPage(c.lang, *catalogue, *snap, item, EdgesOf(*catalogue)), snap.get());
  });
  s.Get(R"(/county/([^/]+))", [=, this](const httplib::Request& req, httplib::Response& res) {
    const std::shared_ptr<const City> catalogue = gateway_.Catalogue();  // one version for the whole page
    const RequestContext c = ctx(req);
    const std::string id = req.matches[1];
    if (!catalogue->FindCounty(id) && id != kCityCounty) {
      return error_page(req, res, c, 404, Format(c.lang, Msg::kErrUnknownCounty, {Short(id)}));
    }
    auto snap = gateway_.Current();
    page(req, res, c, Section::kCity, CountyName(c.lang, *catalogue, id), CountyPage(c.lang, *catalogue, *snap, id, EdgesOf(*catalogue)),
         snap.get());
  });
  s.Get(R"(/site/([^/]+))", [=, this](const httplib::Request& req, httplib::Response& res) {
    const std::shared_ptr<const City> catalogue = gateway_.Catalogue();  // one version for the whole page
    const RequestContext c = ctx(req);
    const std::string id = req.matches[1];
    if (!catalogue->FindSite(id)) return error_page(req, res, c, 404, Format(c.lang, Msg::kErrUnknownSite, {Short(id)}));
    auto snap = gateway_.Current();
    auto history = gateway_.AskJson("site_history", {{"site", id}});
    if (!history.ok()) return broker_failed(req, res, c, history.status(), Msg::kErrUnknownSite, id);
    auto orders = gateway_.AskJson("orders", {{"site", id}});
    if (!orders.ok()) return broker_failed(req, res, c, orders.status(), Msg::kErrUnknownSite, id);
    page(req, res, c, Section::kCity, SiteName(c.lang, *catalogue, id),
         SitePage(c.lang, *catalogue, *snap, id, *history, *orders, EdgesOf(*catalogue), NowMs()), snap.get());
  });
  s.Get(R"(/order/([^/]+))", [=, this](const httplib::Request& req, httplib::Response& res) {
    const std::shared_ptr<const City> catalogue = gateway_.Catalogue();  // one version for the whole page
    const RequestContext c = ctx(req);
    const auto id = OrderId(req.matches[1]);
    if (!id) return error_page(req, res, c, 404, Format(c.lang, Msg::kErrUnknownOrder, {Short(req.matches[1])}));
    auto snap = gateway_.Current();
    auto order = gateway_.AskJson("explain", {{"order", *id}});
    if (!order.ok()) return broker_failed(req, res, c, order.status(), Msg::kErrUnknownOrder, std::to_string(*id));
    page(req, res, c, Section::kLog, Format(c.lang, Msg::kOrderHeading, {std::to_string(*id)}),
         OrderPage(c.lang, *catalogue, *order), snap.get());
  });
  const auto filter_of = [](const httplib::Request& req) {
    LogFilter f;
    f.county = req.get_param_value("county");
    f.site = req.get_param_value("site");
    f.item = req.get_param_value("item");
    f.status = req.get_param_value("status");
    f.since = req.get_param_value("since");
    f.until = req.get_param_value("until");
    return f;
  };
  s.Get("/log", [=, this](const httplib::Request& req, httplib::Response& res) {
    const std::shared_ptr<const City> catalogue = gateway_.Catalogue();  // one version for the whole page
    const RequestContext c = ctx(req);
    const LogFilter f = filter_of(req);
    nlohmann::json args;
    if (auto bad = LogArgs(*catalogue, f, &args)) {
      return error_page(req, res, c, bad->http_status, Format(c.lang, bad->msg, {Short(bad->arg)}));
    }
    auto snap = gateway_.Current();
    auto events = gateway_.AskJson("log", args);
    if (!events.ok()) return broker_failed(req, res, c, events.status(), Msg::kErrBadRequest, "");
    page(req, res, c, Section::kLog, std::string(Text(c.lang, Msg::kLogHeading)), LogPage(c.lang, *catalogue, *events, f),
         snap.get());
  });
  s.Get("/donations", [=, this](const httplib::Request& req, httplib::Response& res) {
    const std::shared_ptr<const City> catalogue = gateway_.Catalogue();  // one version for the whole page
    const RequestContext c = ctx(req);
    auto snap = gateway_.Current();
    auto report = gateway_.AskJson("donations", nlohmann::json::object(), 60000);
    if (!report.ok()) return broker_failed(req, res, c, report.status(), Msg::kErrBadRequest, "");
    page(req, res, c, Section::kDonations, std::string(Text(c.lang, Msg::kDonationsHeading)),
         DonationsPage(c.lang, *catalogue, *report), snap.get());
  });
  s.Get("/plan", [=, this](const httplib::Request& req, httplib::Response& res) {
    const std::shared_ptr<const City> catalogue = gateway_.Catalogue();  // one version for the whole page
    const RequestContext c = ctx(req);
    auto snap = gateway_.Current();
    auto text = gateway_.Plan();
    if (!text.ok()) return broker_failed(req, res, c, text.status(), Msg::kErrBadRequest, "");
    auto plan = ReadPlan(**text);
    if (!plan.ok()) {
      spdlog::error("the plan: {}", plan.status().message());
      return error_page(req, res, c, 503, std::string(Text(c.lang, Msg::kBrokerDown)));
    }
    page(req, res, c, Section::kPlan, std::string(Text(c.lang, Msg::kPlanHeading)), PlanPage(c.lang, *catalogue, *plan),
         snap.get());
  });

  // The JSON mirrors: the same fields as ppe-ctl --json; their errors in English, for programs.
  s.Get("/api/version", [=, this](const httplib::Request&, httplib::Response& res) {
    auto snap = gateway_.Current();
    json(res, nlohmann::json{{"version", snap->version}, {"at", snap->view.at}, {"error", snap->error}}.dump());
  });
  s.Get("/api/status", [=, this](const httplib::Request&, httplib::Response& res) {
    auto snap = gateway_.Current();
    if (snap->fetched_ms == 0) return api_error(res, 503, snap->error);
    json(res, snap->status.dump());
  });
  s.Get("/api/city", [=, this](const httplib::Request&, httplib::Response& res) {
    auto snap = gateway_.Current();
    if (snap->fetched_ms == 0) return api_error(res, 503, snap->error);
    json(res, ToJson(snap->view).dump());
  });
  s.Get("/api/demand", [=, this](const httplib::Request&, httplib::Response& res) {
    auto snap = gateway_.Current();
    nlohmann::json rows = nlohmann::json::array();
    for (const DemandFact& d : *snap->demand) rows.push_back(ToJson(d));
    json(res, rows.dump());
  });
  s.Get(R"(/api/county/([^/]+))", [=, this](const httplib::Request& req, httplib::Response& res) {
    const std::shared_ptr<const City> catalogue = gateway_.Catalogue();  // one version for the whole page
    const std::string id = req.matches[1];
    if (!catalogue->FindCounty(id) && id != kCityCounty) return api_error(res, 404, Format(Lang::kEn, Msg::kErrUnknownCounty, {Short(id)}));
    json(res, CountyJson(*gateway_.Current(), id).dump());
  });
  s.Get(R"(/api/site/([^/]+))", [=, this](const httplib::Request& req, httplib::Response& res) {
    const std::shared_ptr<const City> catalogue = gateway_.Catalogue();  // one version for the whole page
    const RequestContext c = ctx(req);
    const std::string id = req.matches[1];
    const Site* site = catalogue->FindSite(id);
    if (!site) return api_error(res, 404, Format(Lang::kEn, Msg::kErrUnknownSite, {Short(id)}));
    auto history = gateway_.AskJson("site_history", {{"site", id}});
    if (!history.ok()) return broker_failed(req, res, c, history.status(), Msg::kErrUnknownSite, id);
    auto orders = gateway_.AskJson("orders", {{"site", id}});
    if (!orders.ok()) return broker_failed(req, res, c, orders.status(), Msg::kErrUnknownSite, id);
    nlohmann::json demand = nlohmann::json::array();
    const auto snap = gateway_.Current();
    for (const DemandFact& d : *snap->demand) {
      if (d.site == id) demand.push_back(ToJson(d));
    }
    json(res, nlohmann::json{{"site",
                              {{"id", site->id}, {"county", site->county}, {"name", site->name}, {"kind", site->kind},
                               {"tier", site->tier}, {"headcount", site->headcount}}},
                             {"demand", demand},
                             {"history", *history},
                             {"orders", *orders}}
                      .dump());
  });
  s.Get(R"(/api/order/([^/]+))", [=, this](const httplib::Request& req, httplib::Response& res) {
    const RequestContext c = ctx(req);
    const auto id = OrderId(req.matches[1]);
    if (!id) return api_error(res, 404, Format(Lang::kEn, Msg::kErrUnknownOrder, {Short(req.matches[1])}));
    auto text = gateway_.Ask("explain", {{"order", *id}});
    if (!text.ok()) return broker_failed(req, res, c, text.status(), Msg::kErrUnknownOrder, std::to_string(*id));
    json(res, *text);
  });
  s.Get("/api/log", [=, this](const httplib::Request& req, httplib::Response& res) {
    const std::shared_ptr<const City> catalogue = gateway_.Catalogue();  // one version for the whole page
    const RequestContext c = ctx(req);
    nlohmann::json args;
    if (auto bad = LogArgs(*catalogue, filter_of(req), &args)) {
      return api_error(res, bad->http_status, Format(Lang::kEn, bad->msg, {Short(bad->arg)}));
    }
    auto text = gateway_.Ask("log", args);
    if (!text.ok()) return broker_failed(req, res, c, text.status(), Msg::kErrBadRequest, "");
    json(res, *text);
  });
  s.Get("/api/donations", [=, this](const httplib::Request& req, httplib::Response& res) {
    const RequestContext c = ctx(req);
    auto text = gateway_.Ask("donations", nlohmann::json::object(), 60000);
    if (!text.ok()) return broker_failed(req, res, c, text.status(), Msg::kErrBadRequest, "");
    json(res, *text);
  });
  s.Get("/api/plan", [=, this](const httplib::Request& req, httplib::Response& res) {
    const RequestContext c = ctx(req);
    auto text = gateway_.Plan();
    if (!text.ok()) return broker_failed(req, res, c, text.status(), Msg::kErrBadRequest, "");
    json(res, **text);
  });

  // Read-only: any other method is refused, on any path.
  const auto refuse = [=](const httplib::Request& req, httplib::Response& res) {
    res.status = 405;
    res.set_header("Allow", "GET, HEAD");
    const RequestContext c{LangOf(req), ""};
    if (IsApi(req)) return api_error(res, 405, std::string(Text(Lang::kEn, Msg::kErrMethod)));
    error_page(req, res, c, 405, std::string(Text(c.lang, Msg::kErrMethod)));
  };
  s.Post(".*", refuse);
  s.Put(".*", refuse);
  s.Patch(".*", refuse);
  s.Delete(".*", refuse);
  s.Options(".*", refuse);
}

}  // namespace ppe::web
