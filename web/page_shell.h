// PageShell: what ppe-web and the county page (ppe-node web) both put around their routes on
// cpp-httplib: the Host check, the language link, the login and its form, 4xx/5xx pages in the
// user's language (never a crash), the static assets, and the headers that keep pages private.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "web/host_check.h"
#include "web/messages.h"
#include "web/session_login.h"
#include "web/web_config.h"

namespace httplib {
class Server;
struct Request;
struct Response;
}  // namespace httplib

namespace ppe::web {

// What one request is: its language and, when a login is needed, its user.
struct RequestContext {
  Lang lang = Lang::kZh;
  std::string user;
};

// A cookie's value from the request's Cookie header ("" when none).
std::string CookieValue(const httplib::Request& req, const std::string& name);
// ?lang= first (the language link), then the cookie it set, else Chinese.
Lang LangOf(const httplib::Request& req);
// This page in the other language: the same address and filters, lang= switched.
std::string SwitchUrl(const httplib::Request& req, Lang lang);
// Text from a request, cut short: an error page may repeat it, never at any length.
std::string Short(const std::string& text);
// No caching, nothing from another origin, no framing.
void NoStore(httplib::Response& res);
bool IsApi(const httplib::Request& req);

// The HTTP server for these settings: HTTPS when they name a certificate and key; a port another
// process listens on is refused (BindServer fails), never shared with it.
std::unique_ptr<httplib::Server> MakeServer(const PageSettings& settings);
// Binds `server` to `address` (port 0: any free one); the port, or why it could not.
Result<int> BindServer(httplib::Server& server, const PageSettings& settings, const ListenAddress& address);

class PageShell {
 public:
  // The whole HTML document around `body` (the program's own frame and navigation).
  using Render = std::function<std::string(const httplib::Request&, const RequestContext&, const std::string& title,
                                           const std::string& body)>;

  // `login` null: no login needed. Everything must outlive the shell.
  PageShell(httplib::Server& server, const PageSettings& settings, SessionLogin* login, Render render);

  // Hidden fields the login form carries, and the check its POST must pass (the county page's
  // CSRF token); unset: none.
  std::function<std::string(const httplib::Request&, httplib::Response&)> login_hidden;
  std::function<bool(const httplib::Request&)> login_post_allowed;
  // The link under an error page: back to this program's first page.
  Msg back_home = Msg::kBackHome;

  // The handlers before and around every route, the static assets, /login and /logout.
  void Install();

  RequestContext Context(const httplib::Request& req) const;
  void Page(const httplib::Request& req, httplib::Response& res, const RequestContext& c, const std::string& title,
            const std::string& body) const;
  void ErrorPage(const httplib::Request& req, httplib::Response& res, const RequestContext& c, int status,
                 const std::string& text) const;
  static void ApiError(httplib::Response& res, int status, const std::string& text);
  void LoginForm(const httplib::Request& req, httplib::Response& res, const RequestContext& c, int status,
                 Msg message) const;

 private:
  httplib::Server& server_;
  const PageSettings& settings_;
  SessionLogin* login_;
  Render render_;
  HostCheck hosts_;
};

}  // namespace ppe::web
