#include "web/host_check.h"

#include <arpa/inet.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>

namespace ppe::web {
namespace {

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

bool IsIpLiteral(const std::string& name) {
  unsigned char buf[16];
  return inet_pton(AF_INET, name.c_str(), buf) == 1 || inet_pton(AF_INET6, name.c_str(), buf) == 1;
}

}  // namespace

HostCheck::HostCheck(const std::string& listen_host, const std::vector<std::string>& extra_names) {
  for (const char* n : {"localhost", "localhost.localdomain", "ip6-localhost"}) names_.insert(n);
  if (listen_host != "0.0.0.0" && listen_host != "::") names_.insert(Lower(listen_host));
  for (const std::string& n : extra_names) names_.insert(Lower(n));
  char own[256] = {};
  if (gethostname(own, sizeof own - 1) == 0 && own[0]) names_.insert(Lower(own));
}

std::string HostCheck::NameOf(const std::string& host_header) {
  std::string h = host_header;
  if (!h.empty() && h[0] == '[') {
    const size_t close = h.find(']');
    return close == std::string::npos ? std::string() : Lower(h.substr(1, close - 1));
  }
  const size_t colon = h.find(':');
  if (colon != std::string::npos) h = h.substr(0, colon);
  if (!h.empty() && h.back() == '.') h.pop_back();  // "localhost." is localhost
  return Lower(h);
}

bool HostCheck::Allowed(const std::string& host_header) const {
  const std::string name = NameOf(host_header);
  if (name.empty()) return false;
  return names_.count(name) > 0 || IsIpLiteral(name);
}

}  // namespace ppe::web
