// Cluster: test harness that runs the real ppe-broker, ppe-node and ppe-ctl binaries on loopback
// in a temporary deployment, and kills them (SIGKILL) on demand. Every wait is bounded in time.
#pragma once

#include <sys/types.h>

#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace ppe::testing {

struct CommandResult {
  int exit_code = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};

// A file's bytes ("" when it cannot be read), and a text's lines.
std::string ReadFile(const std::string& path);
std::vector<std::string> Lines(const std::string& text);

// Runs a program to completion (bounded by timeout_s) and captures its output.
CommandResult RunCommand(const std::vector<std::string>& argv, int timeout_s = 60);

// Two free consecutive TCP ports on 127.0.0.1 (N and N+1).
int FreePortPair();

// Polls `condition` every 50 ms until it holds or `timeout_ms` passes.
bool WaitFor(const std::function<bool()>& condition, int timeout_ms);

// A file `name` holding `text` in a fresh folder under /tmp (e.g. a test's city file); the folder
// goes with the object.
class TempFile {
 public:
  TempFile(const std::string& name, const std::string& text);
  ~TempFile();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

class Cluster {
 public:
  // Inits a deployment of `city_file` (default: the real Sanming file) in a fresh temporary dir.
  explicit Cluster(const std::string& city_file = "", const std::vector<std::string>& init_extra = {});
  ~Cluster();  // kills every process it started and removes the folder

  const std::string& dir() const { return dir_; }
  int port() const { return port_; }
  std::string NodeConfig(const std::string& node) const { return dir_ + "/nodes/" + node + ".yaml"; }

  // env: extra NAME=VALUE for the broker only (e.g. PPE_FAULT=kill-after-commit:3); args: more
  // of its command line (--apply-city-file).
  void StartBroker(const std::vector<std::string>& env = {}, const std::vector<std::string>& args = {});
  // Waits up to timeout_ms for the broker to exit by itself (a fault it was armed with); its
  // waitpid status, or -1 when it is still running (it is then left running).
  int WaitBrokerExit(int timeout_ms);
  void KillBroker();  // SIGKILL
  void StopBroker();  // SIGTERM, waits
  void StartNode(const std::string& node);
  void KillNode(const std::string& node);
  bool BrokerRunning() const { return broker_pid_ > 0; }
  pid_t broker_pid() const { return broker_pid_; }  // to signal it (SIGHUP) or read /proc

  // ppe-node --config nodes/<node>.yaml ARGS...
  CommandResult Node(const std::string& node, const std::vector<std::string>& args);
  // ppe-ctl --config <config> ARGS...  (config: "ctl" or "viewer")
  CommandResult Ctl(const std::vector<std::string>& args, const std::string& config = "ctl");
  // Same with --json, parsed; fails the test if the command fails.
  nlohmann::json CtlJson(const std::vector<std::string>& args, const std::string& config = "ctl");
  nlohmann::json NodeStatus(const std::string& node);
  // Waits until the node's outbox is empty and the broker acknowledged everything.
  bool WaitDrained(const std::string& node, int timeout_ms = 30000);
  // on_hand of a warehouse/item at the broker, -1 if the broker has no row.
  int64_t BrokerStock(const std::string& warehouse, const std::string& item);

 private:
  pid_t Spawn(const std::vector<std::string>& argv, const std::string& log,
              const std::vector<std::string>& env = {});

  std::string dir_;
  int port_ = 0;
  pid_t broker_pid_ = -1;
  std::map<std::string, pid_t> node_pids_;
};

}  // namespace ppe::testing
