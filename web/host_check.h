// HostCheck: which Host headers ppe-web answers, so a page on another site cannot read it through
// DNS rebinding (its name pointed at 127.0.0.1): loopback names, the listen address, the names
// web.yaml lists and this machine's own name; IP literals too, as rebinding needs a DNS name.
#pragma once

#include <set>
#include <string>
#include <vector>

namespace ppe::web {

class HostCheck {
 public:
  HostCheck(const std::string& listen_host, const std::vector<std::string>& extra_names);
  // `host_header` as sent ("localhost:7702", "[::1]:7702", "Example.ORG"); empty is refused.
  bool Allowed(const std::string& host_header) const;
  // The name part of a Host header, lower-cased, without the port or brackets.
  static std::string NameOf(const std::string& host_header);

 private:
  std::set<std::string> names_;
};

}  // namespace ppe::web
