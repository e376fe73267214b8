#include "web/page_shell.h"

#include <httplib.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "common/text_encoding.h"
#include "web/html.h"
#include "web/static_assets.h"

namespace ppe::web {
namespace {

constexpr const char* kLangCookie = "ppe_lang";
constexpr const char* kHtml = "text/html; charset=utf-8";
constexpr const char* kJson = "application/json; charset=utf-8";

}  // namespace

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

Lang LangOf(const httplib::Request& req) {
  if (req.has_param("lang")) return LangFromCode(req.get_param_value("lang"));
  return LangFromCode(CookieValue(req, kLangCookie));
}

std::string SwitchUrl(const httplib::Request& req, Lang lang) {
  std::string query;
  for (const auto& [key, value] : req.params) {
    if (key == "lang") continue;
    query += UrlEncode(key) + "=" + UrlEncode(value) + "&";
  }
  // The path as it was decoded, encoded again piece by piece: a '?' or a byte that is not UTF-8
  // in it stays part of the path.
  std::string path;
  for (size_t at = 0; at < req.path.size();) {
    const size_t slash = req.path.find('/', at);
    const size_t end = slash == std::string::npos ? req.path.size() : slash;
    path += UrlEncode(std::string_view(req.path).substr(at, end - at));
    if (slash == std::string::npos) break;
    path += '/';
    at = slash + 1;
  }
  return path + "?" + query + "lang=" + std::string(LangCode(lang == Lang::kEn ? Lang::kZh : Lang::kEn));
}

std::string Short(const std::string& text) {
  // Garbage from an address (%FF) is shown as '?', never as bytes that are not UTF-8.
  std::string out = text;
  if (!IsValidUtf8(out)) {
    for (char& c : out) {
      if (static_cast<unsigned char>(c) >= 0x80) c = '?';
    }
  }
  if (out.size() <= 80) return out;
  size_t cut = 80;
  while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xC0) == 0x80) --cut;  // not inside a character
  return out.substr(0, cut) + "…";
}

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

std::unique_ptr<httplib::Server> MakeServer(const PageSettings& settings) {
  std::unique_ptr<httplib::Server> server;
  if (settings.Tls()) {
    server = std::make_unique<httplib::SSLServer>(settings.tls_cert.c_str(), settings.tls_key.c_str());
  } else {
    server = std::make_unique<httplib::Server>();
  }
  // httplib's default is SO_REUSEPORT, with which a second copy of the page binds the same port and
  // the kernel shares the browser's requests between the two: forms refused as from another page,
  // another process's notice shown. SO_REUSEADDR alone: a restart binds at once, a second copy not.
  server->set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, reinterpret_cast<void*>(&yes), sizeof(yes));
  });
  return server;
}

Result<int> BindServer(httplib::Server& server, const PageSettings& settings, const ListenAddress& address) {
  if (!server.is_valid()) {
    return Status::Error("cannot use the TLS certificate '" + settings.tls_cert + "' and key '" + settings.tls_key + "'");
  }
  if (address.port == 0) {
    const int port = server.bind_to_any_port(address.host);
    if (port <= 0) return Status::Error("cannot listen on " + address.host + " (any port)");
    return port;
  }
  if (!server.bind_to_port(address.host, address.port)) {
    return Status::Error("cannot listen on " + address.host + ":" + std::to_string(address.port) +
                         ": the address is in use or not this machine's");
  }
  return address.port;
}

PageShell::PageShell(httplib::Server& server, const PageSettings& settings, SessionLogin* login, Render render)
    : server_(server),
      settings_(settings),
      login_(login),
      render_(std::move(render)),
      hosts_(settings.listen.host, settings.hosts) {}

RequestContext PageShell::Context(const httplib::Request& req) const {
  RequestContext c;
  c.lang = LangOf(req);
  if (login_) c.user = login_->UserOf(SessionLogin::TokenFrom(req.get_header_value("Cookie"))).value_or("");
  return c;
}

void PageShell::Page(const httplib::Request& req, httplib::Response& res, const RequestContext& c,
                     const std::string& title, const std::string& body) const {
  NoStore(res);
  res.set_content(render_(req, c, title, body), kHtml);
}

void PageShell::ErrorPage(const httplib::Request& req, httplib::Response& res, const RequestContext& c, int status,
                          const std::string& text) const {
  res.status = status;
  Page(req, res, c, std::string(Text(c.lang, Msg::kErrTitle)),
       "<h1>" + Esc(Text(c.lang, Msg::kErrTitle)) + " (" + std::to_string(status) + ")</h1>\n<p class=\"error\">" +
           Esc(text) + "</p>\n<p><a href=\"/\">" + Esc(Text(c.lang, back_home)) + "</a></p>\n");
}

void PageShell::ApiError(httplib::Response& res, int status, const std::string& text) {
  res.status = status;
  NoStore(res);
  res.set_content(nlohmann::json{{"error", text}}.dump(), kJson);
}

void PageShell::LoginForm(const httplib::Request& req, httplib::Response& res, const RequestContext& c, int status,
                          Msg message) const {
  // Back to the page asked for, its filters too (req.target is the path and query as sent).
  const std::string next = req.path == "/login" ? req.get_param_value("next")
                           : req.target.size() <= 1024 ? req.target : std::string("/");
  const std::string hidden = login_hidden ? login_hidden(req, res) : std::string();
  res.status = status;
  Page(req, res, c, std::string(Text(c.lang, Msg::kLoginHeading)),
       "<h1>" + Esc(Text(c.lang, Msg::kLoginHeading)) + "</h1>\n<p class=\"error\">" + Esc(Text(c.lang, message)) +
           "</p>\n<form class=\"login\" method=\"post\" action=\"/login\"><input type=\"hidden\" name=\"next\" value=\"" +
           Esc(next) + "\">" + hidden + "<label>" + Esc(Text(c.lang, Msg::kLoginUser)) +
           " <input name=\"user\" id=\"login-user\" autocomplete=\"username\" required></label><label>" +
           Esc(Text(c.lang, Msg::kLoginPassword)) +
           " <input type=\"password\" name=\"password\" id=\"login-password\" autocomplete=\"current-password\" "
           "required></label><button type=\"submit\" id=\"login-submit\">" +
           Esc(Text(c.lang, Msg::kLoginSubmit)) + "</button></form>\n");
}

void PageShell::Install() {
  httplib::Server& s = server_;
  // Before any route: the Host, the language link's cookie, the login.
  s.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    const RequestContext c = Context(req);
    const std::string host = req.get_header_value("Host");
    if (!hosts_.Allowed(host)) {
      spdlog::warn("refused a request for host '{}' from {}", Short(host), req.remote_addr);
      if (IsApi(req)) {
        ApiError(res, 403, Format(Lang::kEn, Msg::kErrHost, {Short(HostCheck::NameOf(host))}));
      } else {
        ErrorPage(req, res, c, 403, Format(c.lang, Msg::kErrHost, {Short(HostCheck::NameOf(host))}));
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
        ApiError(res, 401, std::string(Text(Lang::kEn, Msg::kLoginNeeded)));
      } else {
        LoginForm(req, res, c, 401, Msg::kLoginNeeded);
      }
      return httplib::Server::HandlerResponse::Handled;
    }
    return httplib::Server::HandlerResponse::Unhandled;
  });
  // httplib's own refusals (a malformed request line, an unknown path) get a page too.
  s.set_error_handler(httplib::Server::HandlerWithResponse([this](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;  // a page of ours
    const RequestContext c{LangOf(req), ""};
    const Msg msg = res.status == 404   ? Msg::kErrNotFound
                    : res.status == 405 ? Msg::kErrMethod
                    : res.status == 413 ? Msg::kErrTooLarge
                                        : Msg::kErrBadRequest;
    if (IsApi(req)) {
      ApiError(res, res.status, std::string(Text(Lang::kEn, msg)));
    } else {
      ErrorPage(req, res, c, res.status, std::string(Text(c.lang, msg)));
    }
    return httplib::Server::HandlerResponse::Handled;
  }));
  s.set_exception_handler([this](const httplib::Request& req, httplib::Response& res, std::exception_ptr ep) {
    std::string what = "unknown";
    try {
      std::rethrow_exception(ep);
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {
    }
    spdlog::error("{} {}: {}", req.method, Short(req.path), what);
    const RequestContext c{LangOf(req), ""};
    if (IsApi(req)) return ApiError(res, 500, std::string(Text(Lang::kEn, Msg::kErrServer)));
    ErrorPage(req, res, c, 500, std::string(Text(c.lang, Msg::kErrServer)));
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

  // Login and out.
  s.Get("/login", [this](const httplib::Request& req, httplib::Response& res) {
    const RequestContext c = Context(req);
    if (!login_ || !c.user.empty()) {
      res.status = 303;
      res.set_header("Location", "/");
      return;
    }
    LoginForm(req, res, c, 200, Msg::kLoginNeeded);
  });
  s.Post("/login", [this](const httplib::Request& req, httplib::Response& res) {
    const RequestContext c = Context(req);
    if (!login_) {
      res.status = 303;
      res.set_header("Location", "/");
      return;
    }
    if (login_post_allowed && !login_post_allowed(req)) {
      return ErrorPage(req, res, c, 403, std::string(Text(c.lang, Msg::kErrCsrf)));
    }
    auto token = login_->Login(req.get_param_value("user"), req.get_param_value("password"));
    if (!token) {
      spdlog::warn("wrong password for user '{}' from {}", Short(req.get_param_value("user")), req.remote_addr);
      return LoginForm(req, res, c, 401, Msg::kLoginWrong);
    }
    std::string next = req.get_param_value("next");
    // Only a path of this site: never "//elsewhere" or a full address.
    if (next.empty() || next[0] != '/' || (next.size() > 1 && (next[1] == '/' || next[1] == '\\')) ||
        next.rfind("/login", 0) == 0) {
      next = "/";
    }
    res.status = 303;
    res.set_header("Set-Cookie", SessionLogin::CookieFor(*token, settings_.Tls()));
    res.set_header("Location", next);
  });
  s.Get("/logout", [this](const httplib::Request& req, httplib::Response& res) {
    if (login_) login_->Logout(SessionLogin::TokenFrom(req.get_header_value("Cookie")));
    res.status = 303;
    res.set_header("Set-Cookie", SessionLogin::ExpiredCookie(settings_.Tls()));
    res.set_header("Location", login_ ? "/login" : "/");
  });
}

}  // namespace ppe::web
