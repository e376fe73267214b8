#include "web/http_server.h"

#include <httplib.h>
#include <spdlog/spdlog.h>

#include "common/clock.h"
#include "web/html.h"
#include "web/pages.h"
#include "web/static_assets.h"

namespace ppe::web {
namespace {

constexpr const char* kLangCookie = "ppe_lang";
constexpr const char* kHtml = "text/html; charset=utf-8";
constexpr const char* kJson = "application/json; charset=utf-8";

// What one request is: its language and, when a login is needed, its user.
struct Ctx {
  Lang lang = Lang::kZh;
  std::string user;
};

std::string CookieValue(const httplib::Request& req, const std::string& name) {
  const std::string header = req.get_header_value("Cookie");
  const std::string key = name + "=";
  size_t at = 0;
  while (at < header.size()) {
    while (at < header.size() && (header[at] == ' ' || header[at] == ';')) ++at;
    const size_t end = header.find(';', at);
    const std::string part = header.substr(at, end == std::string::npos ? std::string::npos : end - at);
    if (part.rfind(key, 0) == 0) return part.substr(key.size());
    if (end == std::string::npos) break;
    at = end + 1;
  }
  return "";
}

// ?lang= first (the language link), then the cookie it set, else Chinese.
Lang LangOf(const httplib::Request& req) {
  if (req.has_param("lang")) return LangFromCode(req.get_param_value("lang"));
  return LangFromCode(CookieValue(req, kLangCookie));
}

// This page in the other language: the same address and filters, lang= switched.
std::string SwitchUrl(const httplib::Request& req, Lang lang) {
  std::string query;
  for (const auto& [key, value] : req.params) {
    if (key == "lang") continue;
    query += UrlEncode(key) + "=" + UrlEncode(value) + "&";
  }
  return req.path + "?" + query + "lang=" + std::string(LangCode(lang == Lang::kEn ? Lang::kZh : Lang::kEn));
}

// Text from a request, cut short: an error page may repeat it, never at any length.
std::string Short(const std::string& text) { return text.size() > 80 ? text.substr(0, 80) + "…" : text; }

void NoStore(httplib::Response& res) {
  res.set_header("Cache-Control", "no-store");
  // Everything the pages use comes from here: no other origin is asked for anything.
  res.set_header("Content-Security-Policy",
                 "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
                 "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
  res.set_header("X-Content-Type-Options", "nosniff");
  res.set_header("Referrer-Policy", "no-referrer");
  res.set_header("X-Frame-Options", "DENY");
}

bool IsApi(const httplib::Request& req) { return req.path.rfind("/api/", 0) == 0; }

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
    : config_(config), gateway_(gateway), login_(login), hosts_(config.listen.host, config.hosts) {
  if (config.Tls()) {
    server_ = std::make_unique<httplib::SSLServer>(config.tls_cert.c_str(), config.tls_key.c_str());
  } else {
    server_ = std::make_unique<httplib::Server>();
  }
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
  if (!server_->is_valid()) {
    return Status::Error("cannot use the TLS certificate '" + config_.tls_cert + "' and key '" + config_.tls_key + "'");
  }
  if (address.port == 0) {
    port_ = server_->bind_to_any_port(address.host);
    if (port_ <= 0) return Status::Error("cannot listen on " + address.host + " (any port)");
  } else if (server_->bind_to_port(address.host, address.port)) {
    port_ = address.port;
  } else {
    return Status::Error("cannot listen on " + address.host + ":" + std::to_string(address.port) +
                         ": the address is in use or not this machine's");
  }
  return Status::Ok();
}

bool HttpServer::Run() { return server_->listen_after_bind(); }
void HttpServer::Stop() { server_->stop(); }

void HttpServer::Routes() {
  httplib::Server& s = *server_;
  const auto ctx = [this](const httplib::Request& req) {
    Ctx c;
    c.lang = LangOf(req);
    if (login_) c.user = login_->UserOf(SessionLogin::TokenFrom(req.get_header_value("Cookie"))).value_or("");
    return c;
  };
  // A whole page: the frame around `body`, with the snapshot's version for live.js.
  const auto page = [this](const httplib::Request& req, httplib::Response& res, const Ctx& c, Section section,
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
    if (!snap->error.empty()) f.notice = Format(c.lang, Msg::kBrokerDown, {snap->error});
    NoStore(res);
    res.set_content(RenderPage(f, body), kHtml);
  };
  const auto error_page = [this, page](const httplib::Request& req, httplib::Response& res, const Ctx& c, int status,
                                       const std::string& text) {
    res.status = status;
    page(req, res, c, Section::kOther, std::string(Text(c.lang, Msg::kErrTitle)),
         "<h1>" + Esc(Text(c.lang, Msg::kErrTitle)) + " (" + std::to_string(status) + ")</h1>\n<p class=\"error\">" +
             Esc(text) + "</p>\n<p><a href=\"/\">" + Esc(Text(c.lang, Msg::kBackHome)) + "</a></p>\n",
         nullptr);
  };
  const auto api_error = [](httplib::Response& res, int status, const std::string& text) {
    res.status = status;
    NoStore(res);
    res.set_content(nlohmann::json{{"error", text}}.dump(), kJson);
  };
  // A failed request to the broker: an unknown entity is the user's 404, anything else the
  // broker being away (503).
  const auto broker_failed = [error_page, api_error](const httplib::Request& req, httplib::Response& res, const Ctx& c,
                                                     const Status& status, Msg unknown, const std::string& what) {
    const bool unknown_entity = status.message().rfind("unknown ", 0) == 0;
    const std::string text = unknown_entity ? Format(c.lang, unknown, {Short(what)})
                                            : Format(c.lang, Msg::kBrokerDown, {status.message()});
    if (IsApi(req)) return api_error(res, unknown_entity ? 404 : 503, unknown_entity ? status.message() : text);
    error_page(req, res, c, unknown_entity ? 404 : 503, text);
  };
  const auto json = [](httplib::Response& res, const std::string& text) {
    NoStore(res);
    res.set_content(text, kJson);
  };
  const auto login_form = [this, page](const httplib::Request& req, httplib::Response& res, const Ctx& c, int status,
                                       Msg message) {
    // Back to the page asked for, its filters too (req.target is the path and query as sent).
    const std::string next = req.path == "/login" ? req.get_param_value("next")
                             : req.target.size() <= 1024 ? req.target : std::string("/");
    res.status = status;
    page(req, res, c, Section::kOther, std::string(Text(c.lang, Msg::kLoginHeading)),
         "<h1>" + Esc(Text(c.lang, Msg::kLoginHeading)) + "</h1>\n<p class=\"error\">" + Esc(Text(c.lang, message)) +
             "</p>\n<form class=\"login\" method=\"post\" action=\"/login\"><input type=\"hidden\" name=\"next\" value=\"" +
             Esc(next) + "\"><label>" + Esc(Text(c.lang, Msg::kLoginUser)) +
             " <input name=\"user\" id=\"login-user\" autocomplete=\"username\" required></label><label>" +
             Esc(Text(c.lang, Msg::kLoginPassword)) +
             " <input type=\"password\" name=\"password\" id=\"login-password\" autocomplete=\"current-password\" "
             "required></label><button type=\"submit\" id=\"login-submit\">" +
             Esc(Text(c.lang, Msg::kLoginSubmit)) + "</button></form>\n",
         nullptr);
  };

  // Before any route: the Host, the language link's cookie, the login.
  s.set_pre_routing_handler([=, this](const httplib::Request& req, httplib::Response& res) {
    Ctx c = ctx(req);
    const std::string host = req.get_header_value("Host");
    if (!hosts_.Allowed(host)) {
      spdlog::warn("refused a request for host '{}' from {}", Short(host), req.remote_addr);
      if (IsApi(req)) {
        api_error(res, 403, Format(Lang::kEn, Msg::kErrHost, {Short(HostCheck::NameOf(host))}));
      } else {
        error_page(req, res, c, 403, Format(c.lang, Msg::kErrHost, {Short(HostCheck::NameOf(host))}));
      }
      return httplib::Server::HandlerResponse::Handled;
    }
    if (req.has_param("lang")) {
      res.set_header("Set-Cookie", std::string(kLangCookie) + "=" + std::string(LangCode(c.lang)) +
                                       "; Path=/; Max-Age=31536000; SameSite=Strict");
    }
    const bool open = req.path == "/login" || req.path.rfind("/static/", 0) == 0;
    if (login_ && c.user.empty() && !open) {
      if (IsApi(req)) {
        api_error(res, 401, std::string(Text(Lang::kEn, Msg::kLoginNeeded)));
      } else {
        login_form(req, res, c, 401, Msg::kLoginNeeded);
      }
      return httplib::Server::HandlerResponse::Handled;
    }
    return httplib::Server::HandlerResponse::Unhandled;
  });
  // httplib's own refusals (a malformed request line, an unknown path) get a page too.
  s.set_error_handler(httplib::Server::HandlerWithResponse([=](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;  // a page of ours
    const Ctx c{LangOf(req), ""};
    const Msg msg = res.status == 404 ? Msg::kErrNotFound : res.status == 405 ? Msg::kErrMethod : Msg::kErrBadRequest;
    if (IsApi(req)) {
      api_error(res, res.status, std::string(Text(Lang::kEn, msg)));
    } else {
      error_page(req, res, c, res.status, std::string(Text(c.lang, msg)));
    }
    return httplib::Server::HandlerResponse::Handled;
  }));
  s.set_exception_handler([=](const httplib::Request& req, httplib::Response& res, std::exception_ptr ep) {
    std::string what = "unknown";
    try {
      std::rethrow_exception(ep);
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {
    }
    spdlog::error("{} {}: {}", req.method, Short(req.path), what);
    const Ctx c{LangOf(req), ""};
    if (IsApi(req)) return api_error(res, 500, std::string(Text(Lang::kEn, Msg::kErrServer)));
    error_page(req, res, c, 500, std::string(Text(c.lang, Msg::kErrServer)));
  });

  s.Get("/static/style.css", [](const httplib::Request&, httplib::Response& res) {
    res.set_header("Cache-Control", "max-age=300");
    res.set_content(std::string(StyleSheet()), "text/css; charset=utf-8");
  });
  s.Get("/static/live.js", [](const httplib::Request&, httplib::Response& res) {
    res.set_header("Cache-Control", "max-age=300");
    res.set_content(std::string(LiveScript()), "text/javascript; charset=utf-8");
  });
  s.Get("/favicon.ico", [](const httplib::Request&, httplib::Response& res) { res.status = 204; });

  // The city.
  s.Get("/", [=, this](const httplib::Request& req, httplib::Response& res) {
    const std::shared_ptr<const City> catalogue = gateway_.Catalogue();  // one version for the whole page
    const Ctx c = ctx(req);
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
    const Ctx c = ctx(req);
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
    const Ctx c = ctx(req);
    const std::string id = req.matches[1];
    if (!catalogue->FindSite(id)) return error_page(req, res, c, 404, Format(c.lang, Msg::kErrUnknownSite, {Short(id)}));
    auto snap = gateway_.Current();
    auto history = gateway_.AskJson("site_history", {{"site", id}});
    if (!history.ok()) return broker_failed(req, res, c, history.status(), Msg::kErrUnknownSite, id);
    auto orders = gateway_.AskJson("orders", {{"site", id}});
    if (!orders.ok()) return broker_failed(req, res, c, orders.status(), Msg::kErrUnknownSite, id);
    page(req, res, c, Section::kCity, SiteName(c.lang, *catalogue, id),
         SitePage(c.lang, *catalogue, *snap, id, *history, *orders, NowMs()), snap.get());
  });
  s.Get(R"(/order/([^/]+))", [=, this](const httplib::Request& req, httplib::Response& res) {
    const std::shared_ptr<const City> catalogue = gateway_.Catalogue();  // one version for the whole page
    const Ctx c = ctx(req);
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
    const Ctx c = ctx(req);
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
    const Ctx c = ctx(req);
    auto snap = gateway_.Current();
    auto report = gateway_.AskJson("donations", nlohmann::json::object(), 60000);
    if (!report.ok()) return broker_failed(req, res, c, report.status(), Msg::kErrBadRequest, "");
    page(req, res, c, Section::kDonations, std::string(Text(c.lang, Msg::kDonationsHeading)),
         DonationsPage(c.lang, *catalogue, *report), snap.get());
  });
  s.Get("/plan", [=, this](const httplib::Request& req, httplib::Response& res) {
    const std::shared_ptr<const City> catalogue = gateway_.Catalogue();  // one version for the whole page
    const Ctx c = ctx(req);
    auto snap = gateway_.Current();
    auto text = gateway_.Plan();
    if (!text.ok()) return broker_failed(req, res, c, text.status(), Msg::kErrBadRequest, "");
    auto plan = ReadPlan(**text);
    if (!plan.ok()) return error_page(req, res, c, 503, Format(c.lang, Msg::kBrokerDown, {plan.status().message()}));
    page(req, res, c, Section::kPlan, std::string(Text(c.lang, Msg::kPlanHeading)), PlanPage(c.lang, *catalogue, *plan),
         snap.get());
  });

  // Login and out. The form is the only thing this server accepts a POST for.
  s.Get("/login", [=, this](const httplib::Request& req, httplib::Response& res) {
    const Ctx c = ctx(req);
    if (!login_ || !c.user.empty()) {
      res.status = 303;
      res.set_header("Location", "/");
      return;
    }
    login_form(req, res, c, 200, Msg::kLoginNeeded);
  });
  s.Post("/login", [=, this](const httplib::Request& req, httplib::Response& res) {
    const Ctx c = ctx(req);
    if (!login_) {
      res.status = 303;
      res.set_header("Location", "/");
      return;
    }
    auto token = login_->Login(req.get_param_value("user"), req.get_param_value("password"));
    if (!token) {
      spdlog::warn("wrong password for user '{}' from {}", Short(req.get_param_value("user")), req.remote_addr);
      return login_form(req, res, c, 401, Msg::kLoginWrong);
    }
    std::string next = req.get_param_value("next");
    // Only a path of this site: never "//elsewhere" or a full address.
    if (next.empty() || next[0] != '/' || (next.size() > 1 && (next[1] == '/' || next[1] == '\\')) ||
        next.rfind("/login", 0) == 0) {
      next = "/";
    }
    res.status = 303;
    res.set_header("Set-Cookie", SessionLogin::CookieFor(*token, config_.Tls()));
    res.set_header("Location", next);
  });
  s.Get("/logout", [=, this](const httplib::Request& req, httplib::Response& res) {
    if (login_) login_->Logout(SessionLogin::TokenFrom(req.get_header_value("Cookie")));
    res.status = 303;
    res.set_header("Set-Cookie", SessionLogin::ExpiredCookie(config_.Tls()));
    res.set_header("Location", login_ ? "/login" : "/");
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
    const Ctx c = ctx(req);
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
    const Ctx c = ctx(req);
    const auto id = OrderId(req.matches[1]);
    if (!id) return api_error(res, 404, Format(Lang::kEn, Msg::kErrUnknownOrder, {Short(req.matches[1])}));
    auto text = gateway_.Ask("explain", {{"order", *id}});
    if (!text.ok()) return broker_failed(req, res, c, text.status(), Msg::kErrUnknownOrder, std::to_string(*id));
    json(res, *text);
  });
  s.Get("/api/log", [=, this](const httplib::Request& req, httplib::Response& res) {
    const std::shared_ptr<const City> catalogue = gateway_.Catalogue();  // one version for the whole page
    const Ctx c = ctx(req);
    nlohmann::json args;
    if (auto bad = LogArgs(*catalogue, filter_of(req), &args)) {
      return api_error(res, bad->http_status, Format(Lang::kEn, bad->msg, {Short(bad->arg)}));
    }
    auto text = gateway_.Ask("log", args);
    if (!text.ok()) return broker_failed(req, res, c, text.status(), Msg::kErrBadRequest, "");
    json(res, *text);
  });
  s.Get("/api/donations", [=, this](const httplib::Request& req, httplib::Response& res) {
    const Ctx c = ctx(req);
    auto text = gateway_.Ask("donations", nlohmann::json::object(), 60000);
    if (!text.ok()) return broker_failed(req, res, c, text.status(), Msg::kErrBadRequest, "");
    json(res, *text);
  });
  s.Get("/api/plan", [=, this](const httplib::Request& req, httplib::Response& res) {
    const Ctx c = ctx(req);
    auto text = gateway_.Plan();
    if (!text.ok()) return broker_failed(req, res, c, text.status(), Msg::kErrBadRequest, "");
    json(res, **text);
  });

  // Read-only: any other method is refused, on any path.
  const auto refuse = [=](const httplib::Request& req, httplib::Response& res) {
    res.status = 405;
    res.set_header("Allow", "GET, HEAD");
    const Ctx c{LangOf(req), ""};
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
