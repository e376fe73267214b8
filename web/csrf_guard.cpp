#include "web/csrf_guard.h"

#include <sodium.h>

#include <stdexcept>

namespace ppe::web {
namespace {

std::string Hex(const unsigned char* bytes, size_t n) {
  std::string out(n * 2 + 1, '\0');
  sodium_bin2hex(out.data(), out.size(), bytes, n);
  out.pop_back();
  return out;
}

}  // namespace

CsrfGuard::CsrfGuard() {
  if (sodium_init() < 0) throw std::runtime_error("libsodium cannot start");
  crypto_auth_keygen(key_);
}

std::string CsrfGuard::NewBrowserId() {
  if (sodium_init() < 0) throw std::runtime_error("libsodium cannot start");
  unsigned char raw[32];
  randombytes_buf(raw, sizeof raw);
  return Hex(raw, sizeof raw);
}

bool CsrfGuard::WellFormed(const std::string& id) {
  return id.size() == 64 && id.find_first_not_of("0123456789abcdef") == std::string::npos;
}

std::string CsrfGuard::TokenFor(const std::string& browser_id) const {
  unsigned char mac[crypto_auth_BYTES];
  crypto_auth(mac, reinterpret_cast<const unsigned char*>(browser_id.data()), browser_id.size(), key_);
  return Hex(mac, sizeof mac);
}

bool CsrfGuard::Valid(const std::string& browser_id, const std::string& token) const {
  if (!WellFormed(browser_id) || token.size() != crypto_auth_BYTES * 2) return false;
  unsigned char mac[crypto_auth_BYTES];
  size_t length = 0;
  if (sodium_hex2bin(mac, sizeof mac, token.data(), token.size(), nullptr, &length, nullptr) != 0 ||
      length != sizeof mac) {
    return false;
  }
  return crypto_auth_verify(mac, reinterpret_cast<const unsigned char*>(browser_id.data()), browser_id.size(),
                            key_) == 0;
}

std::string CsrfGuard::CookieFor(const std::string& browser_id, bool tls) {
  return std::string(kCsrfCookie) + "=" + browser_id + "; Path=/; HttpOnly; SameSite=Strict" +
         (tls ? "; Secure" : "");
}

}  // namespace ppe::web
