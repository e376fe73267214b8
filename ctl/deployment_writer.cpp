#include "ctl/deployment_writer.h"

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "common/certificate.h"
#include "common/city.h"
#include "common/deployment.h"

namespace ppe {
namespace {

namespace fs = std::filesystem;

Status WriteText(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
  out.close();
  if (!out) return Status::Error("cannot write '" + path.string() + "'");
  return Status::Ok();
}

Status MakeKey(const fs::path& keys, const std::string& name, const std::string& role,
               const std::string& county) {
  std::map<std::string, std::string> meta = {{"name", name}, {"role", role}};
  if (!county.empty()) meta["county"] = county;
  auto cert = Certificate::Generate(meta);
  if (!cert.ok()) return cert.status();
  return cert->Save((keys / name).string());
}

// The address clients dial: a wildcard bind is reached on loopback from this machine.
std::string DialHost(const std::string& bind) {
  return bind == "*" || bind == "0.0.0.0" ? "127.0.0.1" : bind;
}

std::string Endpoint(const std::string& host, int port) {
  return "tcp://" + host + ":" + std::to_string(port);
}

// The address clients dial for a listen address "tcp://HOST:PORT".
std::string DialAddress(const std::string& listen) {
  const size_t host_at = listen.find("://");
  const size_t port_at = listen.rfind(':');
  if (host_at == std::string::npos || port_at <= host_at + 3) return listen;
  const std::string host = listen.substr(host_at + 3, port_at - host_at - 3);
  return listen.substr(0, host_at + 3) + DialHost(host) + listen.substr(port_at);
}

// How every config of one deployment reaches the broker.
struct BrokerAccess {
  std::string city_file;  // relative to the deployment folder
  std::string dial;
  std::string dial_feed;
  bool secure = true;
};

// DIR/NAME.yaml for ppe-ctl with a coordinator's or viewer's key.
std::string ClientConfigText(const std::string& file, const std::string& key_name, const std::string& role,
                             const BrokerAccess& broker) {
  return "# ppe-ctl --config " + file + "  (" + role + ")\n"
         "name: " + key_name + "\n"
         "role: " + role + "\n"
         "city: " + broker.city_file + "\n"
         "broker: " + broker.dial + "\n"
         "feed: " + broker.dial_feed + "\n"
         "secure: " + (broker.secure ? "true" : "false") + "\n"
         "broker_key: keys/broker.key\n"
         "key: keys/" + key_name + ".key_secret\n";
}

// DIR/nodes/NODE.yaml for ppe-node; web_port: where its county page ('ppe-node web') listens.
std::string NodeConfigText(const std::string& node, const std::string& county, const BrokerAccess& broker,
                           int web_port) {
  return "# ppe-node --config nodes/" + node + ".yaml run\n"
         "node: " + node + "\n"
         "county: " + county + "\n"
         "city: ../" + broker.city_file + "\n"
         "broker: " + broker.dial + "\n"
         "secure: " + (broker.secure ? "true" : "false") + "\n"
         "broker_key: ../keys/broker.key\n"
         "key: ../keys/" + node + ".key_secret\n"
         "store: ../data/" + node + ".db\n"
         "log_file: ../logs/" + node + ".log\n"
         "heartbeat_ms: 1000\n"
         "# acknowledged reports are kept this long, to resend to a broker restored from a backup\n"
         "keep_acked_days: 30\n"
         "# the county page: ppe-node --config nodes/" + node + ".yaml web  (docs/node-web.md)\n"
         "web_listen: 127.0.0.1:" + std::to_string(web_port) + "   # beyond loopback, the page needs a login\n"
         "web_login: auto                 # auto: only beyond loopback; always: on loopback too\n"
         "web_users: " + node + "-web-users       # name:hash lines, 'ppe-node --config ... web --add-user NAME'\n";
}

// The county pages' ports: N+3, N+4, ... one per node in the order init writes them (the city
// file's counties, then the city's own node), after the broker's N, its feed's N+1 and ppe-web's
// N+2, so no two of one deployment's programs ever share a port.
constexpr int kFirstNodeWebOffset = 3;

// A node added later ('ppe-ctl key add --role node') takes the port after the highest one the
// deployment's node configs already name (at least N+3).
int NextNodeWebPort(const fs::path& nodes_dir, int port_base) {
  int highest = port_base + kFirstNodeWebOffset - 1;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(nodes_dir, ec)) {
    if (entry.path().extension() != ".yaml") continue;
    std::ifstream in(entry.path());
    std::string line;
    while (std::getline(in, line)) {
      const std::string key = "web_listen: ";
      if (line.rfind(key, 0) != 0) continue;
      const size_t colon = line.find(':', key.size());
      if (colon == std::string::npos) continue;
      try {
        highest = std::max(highest, std::stoi(line.substr(colon + 1)));
      } catch (const std::exception&) {
      }
    }
  }
  return highest + 1;
}

// DIR/web.yaml for ppe-web: a viewer's access to the broker (its own key) and where the dashboard
// listens; loopback unless the operator changes it, and then every page asks for a login.
std::string WebConfigText(const BrokerAccess& broker, int web_port) {
  return "# ppe-web --config web.yaml  (the coordinators' dashboard, read-only; docs/web.md)\n"
         "name: web\n"
         "role: viewer\n"
         "city: " + broker.city_file + "\n"
         "broker: " + broker.dial + "\n"
         "feed: " + broker.dial_feed + "\n"
         "secure: " + (broker.secure ? "true" : "false") + "\n"
         "broker_key: keys/broker.key\n"
         "key: keys/web.key_secret\n"
         "listen: 127.0.0.1:" + std::to_string(web_port) + "        # beyond loopback, every page needs a login\n"
         "login: auto                    # auto: only beyond loopback; always: on loopback too\n"
         "users: web-users               # name:hash lines, written by 'ppe-web --config web.yaml user add NAME'\n"
         "# hosts: [ppe.example.org]     # names the page is reached by, besides localhost (Host check)\n"
         "# tls_cert: certs/web.crt      # both set: HTTPS\n"
         "# tls_key: certs/web.key\n";
}

// A key name becomes a file name and a ZAP User-Id: plain lower-case words only.
Status CheckKeyName(const std::string& name) {
  const bool plain = !name.empty() && name.size() <= 64 && name[0] != '.' && name[0] != '-' &&
                     name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789._-") == std::string::npos;
  if (!plain) {
    return Status::Error("key name '" + name +
                         "' must be 1-64 of a-z, 0-9, '.', '_', '-' (not first: '.', '-')");
  }
  return Status::Ok();
}

}  // namespace

Status WriteDeployment(const InitOptions& o, std::ostream& out) {
  auto city = City::Load(o.city_file);
  if (!city.ok()) return city.status();
  // N: broker, N+1: live feed, N+2: ppe-web, N+3...: the county pages, one per node.
  const int ports = kFirstNodeWebOffset + static_cast<int>(city->counties().size()) + 1;
  if (o.port_base < 1 || o.port_base > 65536 - ports) {
    return Status::Error("--port-base must be 1.." + std::to_string(65536 - ports) +
                         " (N: broker, N+1: live feed, N+2: ppe-web, N+3 to N+" + std::to_string(ports - 1) +
                         ": the county pages)");
  }
  const fs::path dir(o.out_dir);
  std::error_code ec;
  if (fs::exists(dir / "broker.yaml", ec)) {
    return Status::Error("'" + o.out_dir + "' already holds a deployment (broker.yaml); "
                         "choose another --out, or remove it first: its keys would be replaced");
  }
  for (const char* sub : {"keys", "nodes", "data", "logs"}) {
    fs::create_directories(dir / sub, ec);
    if (ec) return Status::Error("cannot create '" + (dir / sub).string() + "': " + ec.message());
    // The owner's alone (0700), even if it was there before: keys, stores and logs hold every
    // secret and every report (ppe-ctl's umask makes each file in them 0600).
    fs::permissions(dir / sub, fs::perms::owner_all, fs::perm_options::replace, ec);
    if (ec) return Status::Error("cannot restrict '" + (dir / sub).string() + "' to its owner: " + ec.message());
  }
  const std::string city_copy = city->name() + ".yaml";
  fs::copy_file(o.city_file, dir / city_copy, fs::copy_options::overwrite_existing, ec);
  if (ec) return Status::Error("cannot copy the city file: " + ec.message());
  // copy_file keeps the source's mode; like every file written here, the copy is the owner's.
  fs::permissions(dir / city_copy, fs::perms::owner_read | fs::perms::owner_write, fs::perm_options::replace, ec);

  const fs::path keys = dir / "keys";
  PPE_RETURN_IF_ERROR(MakeKey(keys, "broker", "broker", ""));
  PPE_RETURN_IF_ERROR(MakeKey(keys, "coordinator", "coordinator", ""));
  PPE_RETURN_IF_ERROR(MakeKey(keys, "viewer", "viewer", ""));
  PPE_RETURN_IF_ERROR(MakeKey(keys, "web", "viewer", ""));  // ppe-web's own: revoked apart from viewer's

  const std::string secure = o.insecure ? "false" : "true";  // as broker.yaml spells it
  const std::string listen = Endpoint(o.bind, o.port_base);
  const std::string feed = Endpoint(o.bind, o.port_base + 1);
  const std::string dial = Endpoint(DialHost(o.bind), o.port_base);
  const std::string dial_feed = Endpoint(DialHost(o.bind), o.port_base + 1);

  PPE_RETURN_IF_ERROR(WriteText(dir / "broker.yaml",
      "# ppe-broker --config broker.yaml  (written by ppe-ctl init; paths are relative to this file)\n"
      "city: " + city_copy + "\n"
      "listen: " + listen + "      # nodes and ppe-ctl\n"
      "feed: " + feed + "        # live dispatch log (ppe-ctl log --follow)\n"
      "secure: " + secure + "                   # CURVE encryption and authentication\n"
      "key: keys/broker.key_secret\n"
      "clients_dir: keys                # every NAME.key here may connect; remove one and SIGHUP\n"
      "store: data/broker.db\n"
      "log_file: logs/broker.log\n"
      "log_level: info\n"
      "dispatch_log: logs/dispatch.jsonl\n"
      "auto_allocate_every: 0           # seconds between automatic rounds; 0: on request only\n"
      "silent_after: 300                # seconds before a quiet county is flagged\n"
      "alert_cover_days: 2              # sites under this many days of cover are flagged\n"
      "expiry_alert_days: 30            # batches expiring within this many days are flagged\n"
      "accept_within: 1800              # seconds for a node to take an order before it is flagged\n"
      "ship_within: 21600               # seconds for an order to ship before it is flagged\n"
      "max_message_bytes: 4194304       # larger messages drop the connection\n"
      "# What one key may cost per minute (docs/security.md): refusals stored one by one, ledger\n"
      "# rows written (more are refused RATE_LIMITED and sent again), log lines (then a summary).\n"
      "refusals_stored_per_key_per_minute: 600\n"
      "ledger_rows_per_key_per_minute: 2000000\n"
      "log_lines_per_key_per_minute: 60\n"
      "connections_per_key: 32          # served at once; more are refused until some close\n"));

  const BrokerAccess broker{city_copy, dial, dial_feed, !o.insecure};
  for (const auto& [name, role] : {std::pair<std::string, std::string>{"ctl", "coordinator"},
                                   {"viewer", "viewer"}}) {
    PPE_RETURN_IF_ERROR(
        WriteText(dir / (name + ".yaml"), ClientConfigText(name + ".yaml", role, role, broker)));
  }
  PPE_RETURN_IF_ERROR(WriteText(dir / "web.yaml", WebConfigText(broker, o.port_base + 2)));

  std::vector<std::pair<std::string, std::string>> nodes;  // node id, county
  for (const County& c : city->counties()) nodes.emplace_back(c.id, c.id);
  nodes.emplace_back(kCityCounty, kCityCounty);
  int web_port = o.port_base + kFirstNodeWebOffset;
  for (const auto& [node, county] : nodes) {
    PPE_RETURN_IF_ERROR(MakeKey(keys, node, "node", county));
    PPE_RETURN_IF_ERROR(
        WriteText(dir / "nodes" / (node + ".yaml"), NodeConfigText(node, county, broker, web_port++)));
  }
  out << "initialised " << city->name() << " in " << o.out_dir << ":\n"
      << "  broker.yaml      ppe-broker, listening on " << listen << " (feed " << feed << ")"
      << (o.insecure ? ", INSECURE: no encryption" : ", CURVE") << "\n"
      << "  ctl.yaml         coordinator (ppe-ctl)\n"
      << "  viewer.yaml      read-only, for logistics staff\n"
      << "  web.yaml         ppe-web, the dashboard: http://127.0.0.1:" << o.port_base + 2 << "/\n"
      << "  nodes/           " << nodes.size() << " node configs (" << city->counties().size()
      << " counties and the city reserve); county pages ('ppe-node ... web') on http://127.0.0.1:"
      << o.port_base + kFirstNodeWebOffset << "/ to :" << web_port - 1 << "/\n"
      << "  keys/            " << nodes.size() + 4 << " certificates (NAME.key public, NAME.key_secret private)\n"
      << "next: ppe-broker --config " << (dir / "broker.yaml").string() << "\n"
      << "      ppe-node --config " << (dir / "nodes" / (nodes.front().first + ".yaml")).string()
      << " run\n";
  return Status::Ok();
}

Status AddKey(const KeyOptions& o, std::ostream& out) {
  PPE_RETURN_IF_ERROR(CheckKeyName(o.name));
  const fs::path dir(o.dir);
  auto config = BrokerConfig::Load((dir / "broker.yaml").string());
  if (!config.ok()) {
    return Status::Error(config.status().message() + " (--dir must be a folder written by 'ppe-ctl init')");
  }
  const fs::path keys = dir / "keys";
  std::error_code ec;
  if (!fs::equivalent(config->clients_dir, keys, ec)) {
    return Status::Error("this broker reads its keys from '" + config->clients_dir + "', not from '" +
                         keys.string() + "'; add the key there by hand");
  }
  auto city = City::Load(config->city);
  if (!city.ok()) return city.status();
  const bool node = o.role == "node";
  if (!node && o.role != "viewer" && o.role != "coordinator") {
    return Status::Error("role '" + o.role + "' is not one of viewer, coordinator, node");
  }
  std::string county = o.county;
  if (node && county.empty() && city->FindCounty(o.name)) county = o.name;
  if (node && county != kCityCounty && !city->FindCounty(county)) {
    return Status::Error(county.empty() ? "a node key needs --county C (the county it reports for)"
                                        : "unknown county '" + county + "' (see the counties in " +
                                              config->city + ", or 'city' for the city reserve)");
  }
  if (!node && !county.empty()) return Status::Error("--county is for node keys only");

  const fs::path config_file = node ? dir / "nodes" / (o.name + ".yaml") : dir / (o.name + ".yaml");
  for (const fs::path& taken : {keys / (o.name + ".key"), keys / (o.name + ".key_secret"), config_file}) {
    if (fs::exists(taken, ec)) {
      return Status::Error("'" + taken.string() + "' exists: the name '" + o.name + "' is taken; choose "
                           "another (to replace a key, add a new name and remove the old one)");
    }
  }
  const std::string city_file = fs::relative(config->city, dir, ec).string();
  const BrokerAccess broker{city_file, DialAddress(config->listen), DialAddress(config->feed), config->secure};
  PPE_RETURN_IF_ERROR(MakeKey(keys, o.name, node ? "node" : o.role, county));
  int port_base = 0;
  if (node) {
    const size_t colon = config->listen.rfind(':');
    try {
      port_base = std::stoi(config->listen.substr(colon + 1));
    } catch (const std::exception&) {
      return Status::Error("cannot read the broker's port from its listen address '" + config->listen + "'");
    }
  }
  const std::string config_text = node ? NodeConfigText(o.name, county, broker, NextNodeWebPort(dir / "nodes", port_base))
                                       : ClientConfigText(o.name + ".yaml", o.name, o.role, broker);
  PPE_RETURN_IF_ERROR(WriteText(config_file, config_text));
  out << "added " << o.role << " key '" << o.name << "'" << (node ? " for county " + county : "") << ":\n"
      << "  " << (keys / (o.name + ".key")).string() << "         public: the broker admits it\n"
      << "  " << (keys / (o.name + ".key_secret")).string()
      << "  private: give it, with the config, to its holder only\n"
      << "  " << config_file.string() << "\n"
      << "the running broker admits it after a key reload: kill -HUP <ppe-broker's pid>\n"
      << "use: " << (node ? "ppe-node --config " + config_file.string() + " run"
                          : "ppe-ctl --config " + config_file.string() + " status") << "\n";
  return Status::Ok();
}

Result<nlohmann::json> ListKeys(const std::string& dir) {
  auto config = BrokerConfig::Load((fs::path(dir) / "broker.yaml").string());
  if (!config.ok()) return config.status();
  std::error_code ec;
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(config->clients_dir, ec)) {
    if (entry.path().extension() == ".key") files.push_back(entry.path());
  }
  if (ec) return Status::Error("cannot read '" + config->clients_dir + "': " + ec.message());
  std::sort(files.begin(), files.end());
  nlohmann::json rows = nlohmann::json::array();
  for (const fs::path& file : files) {
    auto cert = Certificate::Load(file.string());
    if (!cert.ok()) return cert.status();
    rows.push_back({{"name", cert->Meta("name")}, {"role", cert->Meta("role")},
                    {"county", cert->Meta("county")}, {"file", file.filename().string()}});
  }
  return rows;
}

}  // namespace ppe
