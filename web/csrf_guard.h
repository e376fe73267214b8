// CsrfGuard: proves a form POST came from a page this server rendered for this browser, so no
// other web page open on the same PC can record a count on localhost. Owns a per-process secret;
// guarantees a token is valid only for the browser cookie it was made for, and only in this process.
#pragma once

#include <string>

namespace ppe::web {

inline constexpr const char* kCsrfCookie = "ppe_csrf";
inline constexpr const char* kCsrfField = "csrf";

class CsrfGuard {
 public:
  CsrfGuard();  // a fresh random secret: a restart makes every open form's token stale

  // A new browser id for the kCsrfCookie cookie (random, 64 hex digits).
  static std::string NewBrowserId();
  // Whether `id` looks like one NewBrowserId made (a cookie the browser sent may be anything).
  static bool WellFormed(const std::string& id);
  // The token forms carry for this browser: HMAC-SHA-512-256(secret, id), in hex.
  std::string TokenFor(const std::string& browser_id) const;
  // True only when `token` is TokenFor(browser_id) (compared in constant time) and the id is well formed.
  bool Valid(const std::string& browser_id, const std::string& token) const;
  // The Set-Cookie value for a browser id: HttpOnly, SameSite=Strict, Path=/, Secure under TLS.
  static std::string CookieFor(const std::string& browser_id, bool tls);

 private:
  unsigned char key_[32];
};

}  // namespace ppe::web
