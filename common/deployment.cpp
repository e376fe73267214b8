#include "common/deployment.h"

#include <yaml-cpp/yaml.h>

#include <filesystem>

namespace ppe {
namespace {

// Reads the YAML file and wraps field access so every error names the file and the field.
class ConfigReader {
 public:
  static Result<ConfigReader> Open(const std::string& path) {
    ConfigReader reader;
    reader.path_ = path;
    try {
      reader.root_ = YAML::LoadFile(path);
    } catch (const YAML::BadFile&) {
      return Status::Error("cannot read config '" + path + "'");
    } catch (const YAML::Exception& e) {
      return Status::Error("config '" + path + "' is not valid YAML: " + e.what());
    }
    if (!reader.root_.IsMap()) return Status::Error("config '" + path + "' must be a YAML map");
    return reader;
  }

  template <typename T>
  Status Get(const char* key, T* out, bool required = true) const {
    const YAML::Node value = root_[key];
    if (!value) {
      return required ? Status::Error("config '" + path_ + "': missing '" + key + "'")
                      : Status::Ok();
    }
    try {
      *out = value.as<T>();
    } catch (const YAML::Exception&) {
      return Status::Error("config '" + path_ + "': '" + key + "' has the wrong type");
    }
    return Status::Ok();
  }

  // A path field, resolved against the config file's folder.
  Status Path(const char* key, std::string* out, bool required = true) const {
    PPE_RETURN_IF_ERROR(Get(key, out, required));
    if (!out->empty()) *out = ResolveBeside(path_, *out);
    return Status::Ok();
  }

  Status Endpoint(BrokerEndpoint* endpoint) const {
    PPE_RETURN_IF_ERROR(Get("broker", &endpoint->address));
    PPE_RETURN_IF_ERROR(Get("secure", &endpoint->secure, false));
    PPE_RETURN_IF_ERROR(Path("broker_key", &endpoint->broker_key));
    return Path("key", &endpoint->key);
  }

 private:
  std::string path_;
  YAML::Node root_;
};

}  // namespace

std::string ResolveBeside(const std::string& base_file, const std::string& path) {
  std::filesystem::path p(path);
  if (p.is_absolute()) return path;
  return (std::filesystem::path(base_file).parent_path() / p).lexically_normal().string();
}

Result<BrokerConfig> BrokerConfig::Load(const std::string& path) {
  auto reader = ConfigReader::Open(path);
  if (!reader.ok()) return reader.status();
  BrokerConfig c;
  PPE_RETURN_IF_ERROR(reader->Path("city", &c.city));
  PPE_RETURN_IF_ERROR(reader->Get("listen", &c.listen));
  PPE_RETURN_IF_ERROR(reader->Get("feed", &c.feed, false));
  PPE_RETURN_IF_ERROR(reader->Get("secure", &c.secure, false));
  PPE_RETURN_IF_ERROR(reader->Path("key", &c.key));
  PPE_RETURN_IF_ERROR(reader->Path("clients_dir", &c.clients_dir));
  PPE_RETURN_IF_ERROR(reader->Path("store", &c.store));
  PPE_RETURN_IF_ERROR(reader->Path("log_file", &c.log_file, false));
  PPE_RETURN_IF_ERROR(reader->Get("log_level", &c.log_level, false));
  PPE_RETURN_IF_ERROR(reader->Path("dispatch_log", &c.dispatch_log, false));
  PPE_RETURN_IF_ERROR(reader->Get("auto_allocate_every", &c.auto_allocate_every_s, false));
  PPE_RETURN_IF_ERROR(reader->Get("silent_after", &c.silent_after_s, false));
  PPE_RETURN_IF_ERROR(reader->Get("alert_cover_days", &c.alert_cover_days, false));
  PPE_RETURN_IF_ERROR(reader->Get("expiry_alert_days", &c.expiry_alert_days, false));
  PPE_RETURN_IF_ERROR(reader->Get("accept_within", &c.accept_within_s, false));
  PPE_RETURN_IF_ERROR(reader->Get("ship_within", &c.ship_within_s, false));
  PPE_RETURN_IF_ERROR(reader->Get("max_message_bytes", &c.max_message_bytes, false));
  PPE_RETURN_IF_ERROR(reader->Get("refusals_stored_per_key_per_minute", &c.refusals_stored_per_key_per_minute, false));
  PPE_RETURN_IF_ERROR(reader->Get("ledger_rows_per_key_per_minute", &c.ledger_rows_per_key_per_minute, false));
  PPE_RETURN_IF_ERROR(reader->Get("log_lines_per_key_per_minute", &c.log_lines_per_key_per_minute, false));
  PPE_RETURN_IF_ERROR(reader->Get("connections_per_key", &c.connections_per_key, false));
  return c;
}

Result<NodeConfig> NodeConfig::Load(const std::string& path) {
  auto reader = ConfigReader::Open(path);
  if (!reader.ok()) return reader.status();
  NodeConfig c;
  PPE_RETURN_IF_ERROR(reader->Get("node", &c.node));
  PPE_RETURN_IF_ERROR(reader->Get("county", &c.county));
  PPE_RETURN_IF_ERROR(reader->Path("city", &c.city));
  PPE_RETURN_IF_ERROR(reader->Endpoint(&c.endpoint));
  PPE_RETURN_IF_ERROR(reader->Path("store", &c.store));
  PPE_RETURN_IF_ERROR(reader->Path("log_file", &c.log_file, false));
  PPE_RETURN_IF_ERROR(reader->Get("log_level", &c.log_level, false));
  PPE_RETURN_IF_ERROR(reader->Get("heartbeat_ms", &c.heartbeat_ms, false));
  PPE_RETURN_IF_ERROR(reader->Get("keep_acked_days", &c.keep_acked_days, false));
  if (c.keep_acked_days < 0) return Status::Error(path + ": keep_acked_days must be 0 or more");
  return c;
}

Result<ClientConfig> ClientConfig::Load(const std::string& path) {
  auto reader = ConfigReader::Open(path);
  if (!reader.ok()) return reader.status();
  ClientConfig c;
  PPE_RETURN_IF_ERROR(reader->Get("name", &c.name));
  PPE_RETURN_IF_ERROR(reader->Get("role", &c.role));
  PPE_RETURN_IF_ERROR(reader->Path("city", &c.city, false));
  PPE_RETURN_IF_ERROR(reader->Get("feed", &c.feed, false));
  PPE_RETURN_IF_ERROR(reader->Endpoint(&c.endpoint));
  return c;
}

}  // namespace ppe
