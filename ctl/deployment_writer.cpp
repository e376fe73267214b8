#include "ctl/deployment_writer.h"

#include <filesystem>
#include <fstream>

#include "common/certificate.h"
#include "common/city.h"

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

}  // namespace

Status WriteDeployment(const InitOptions& o, std::ostream& out) {
  auto city = City::Load(o.city_file);
  if (!city.ok()) return city.status();
  if (o.port_base < 1 || o.port_base > 65534) return Status::Error("--port-base must be 1..65534");
  const fs::path dir(o.out_dir);
  std::error_code ec;
  if (fs::exists(dir / "broker.yaml", ec)) {
    return Status::Error("'" + o.out_dir + "' already holds a deployment (broker.yaml); "
                         "choose another --out, or remove it first: its keys would be replaced");
  }
  for (const char* sub : {"keys", "nodes", "data", "logs"}) {
    fs::create_directories(dir / sub, ec);
    if (ec) return Status::Error("cannot create '" + (dir / sub).string() + "': " + ec.message());
  }
  const std::string city_copy = city->name() + ".yaml";
  fs::copy_file(o.city_file, dir / city_copy, fs::copy_options::overwrite_existing, ec);
  if (ec) return Status::Error("cannot copy the city file: " + ec.message());

  const fs::path keys = dir / "keys";
  PPE_RETURN_IF_ERROR(MakeKey(keys, "broker", "broker", ""));
  PPE_RETURN_IF_ERROR(MakeKey(keys, "coordinator", "coordinator", ""));
  PPE_RETURN_IF_ERROR(MakeKey(keys, "viewer", "viewer", ""));

  const std::string secure = o.insecure ? "false" : "true";
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
      "silent_after: 300                # seconds before a quiet county is flagged\n"));

  for (const auto& [name, role] : {std::pair<std::string, std::string>{"ctl", "coordinator"},
                                   {"viewer", "viewer"}}) {
    const std::string key_name = role;
    PPE_RETURN_IF_ERROR(WriteText(dir / (name + ".yaml"),
        "# ppe-ctl --config " + name + ".yaml  (" + role + ")\n"
        "name: " + key_name + "\n"
        "role: " + role + "\n"
        "city: " + city_copy + "\n"
        "broker: " + dial + "\n"
        "feed: " + dial_feed + "\n"
        "secure: " + secure + "\n"
        "broker_key: keys/broker.key\n"
        "key: keys/" + key_name + ".key_secret\n"));
  }

  std::vector<std::pair<std::string, std::string>> nodes;  // node id, county
  for (const County& c : city->counties()) nodes.emplace_back(c.id, c.id);
  nodes.emplace_back(kCityCounty, kCityCounty);
  for (const auto& [node, county] : nodes) {
    PPE_RETURN_IF_ERROR(MakeKey(keys, node, "node", county));
    PPE_RETURN_IF_ERROR(WriteText(dir / "nodes" / (node + ".yaml"),
        "# ppe-node --config nodes/" + node + ".yaml run\n"
        "node: " + node + "\n"
        "county: " + county + "\n"
        "city: ../" + city_copy + "\n"
        "broker: " + dial + "\n"
        "secure: " + secure + "\n"
        "broker_key: ../keys/broker.key\n"
        "key: ../keys/" + node + ".key_secret\n"
        "store: ../data/" + node + ".db\n"
        "log_file: ../logs/" + node + ".log\n"
        "heartbeat_ms: 1000\n"));
  }
  out << "initialised " << city->name() << " in " << o.out_dir << ":\n"
      << "  broker.yaml      ppe-broker, listening on " << listen << " (feed " << feed << ")"
      << (o.insecure ? ", INSECURE: no encryption" : ", CURVE") << "\n"
      << "  ctl.yaml         coordinator (ppe-ctl)\n"
      << "  viewer.yaml      read-only, for logistics staff\n"
      << "  nodes/           " << nodes.size() << " node configs (" << city->counties().size()
      << " counties and the city reserve)\n"
      << "  keys/            " << nodes.size() + 3 << " certificates (NAME.key public, NAME.key_secret private)\n"
      << "next: ppe-broker --config " << (dir / "broker.yaml").string() << "\n"
      << "      ppe-node --config " << (dir / "nodes" / (nodes.front().first + ".yaml")).string()
      << " run\n";
  return Status::Ok();
}

}  // namespace ppe
