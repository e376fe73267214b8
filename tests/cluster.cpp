#include "tests/cluster.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

namespace ppe::testing {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

namespace {

bool PortFree(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool free = bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  close(fd);
  return free;
}

void Exec(const std::vector<std::string>& argv) {
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  execv(args[0], args.data());
  _exit(127);
}

}  // namespace

CommandResult RunCommand(const std::vector<std::string>& argv, int timeout_s) {
  char out_path[] = "/tmp/ppe-out-XXXXXX";
  char err_path[] = "/tmp/ppe-err-XXXXXX";
  const int out_fd = mkstemp(out_path);
  const int err_fd = mkstemp(err_path);
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(out_fd, 1);
    dup2(err_fd, 2);
    Exec(argv);
  }
  close(out_fd);
  close(err_fd);
  CommandResult result;
  int status = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  while (waitpid(pid, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      ADD_FAILURE() << "timed out: " << argv[0];
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  result.out = ReadFile(out_path);
  result.err = ReadFile(err_path);
  unlink(out_path);
  unlink(err_path);
  return result;
}

int FreePortPair() {
  std::mt19937 rng(std::random_device{}());
  std::uniform_int_distribution<int> pick(20000, 60000);
  for (int attempt = 0; attempt < 200; ++attempt) {
    const int port = pick(rng);
    if (PortFree(port) && PortFree(port + 1)) return port;
  }
  ADD_FAILURE() << "no free port pair";
  return 0;
}

bool WaitFor(const std::function<bool()>& condition, int timeout_ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return condition();
}

TempFile::TempFile(const std::string& name, const std::string& text) {
  char tmpl[] = "/tmp/ppe-file-XXXXXX";
  path_ = std::string(mkdtemp(tmpl)) + "/" + name;
  std::ofstream(path_) << text;
}

TempFile::~TempFile() {
  std::error_code ignored;
  std::filesystem::remove_all(std::filesystem::path(path_).parent_path(), ignored);
}

Cluster::Cluster(const std::string& city_file, const std::vector<std::string>& init_extra) {
  char tmpl[] = "/tmp/ppe-cluster-XXXXXX";
  dir_ = mkdtemp(tmpl);
  port_ = FreePortPair();
  std::vector<std::string> argv = {PPE_CTL, "init", "--city",
                                   city_file.empty() ? std::string(PPE_SOURCE_DIR "/config/sanming.yaml") : city_file,
                                   "--out", dir_ + "/deploy", "--port-base", std::to_string(port_)};
  argv.insert(argv.end(), init_extra.begin(), init_extra.end());
  dir_ += "/deploy";
  const CommandResult init = RunCommand(argv);
  EXPECT_EQ(init.exit_code, 0) << init.err;
}

Cluster::~Cluster() {
  while (!node_pids_.empty()) KillNode(node_pids_.begin()->first);
  KillBroker();
  std::error_code ignored;
  if (!std::getenv("PPE_KEEP_TEST_DIRS")) {
    std::filesystem::remove_all(std::filesystem::path(dir_).parent_path(), ignored);
  }
}

pid_t Cluster::Spawn(const std::vector<std::string>& argv, const std::string& log,
                     const std::vector<std::string>& env) {
  const pid_t pid = fork();
  if (pid == 0) {
    const int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    dup2(fd, 1);
    dup2(fd, 2);
    for (const std::string& e : env) putenv(strdup(e.c_str()));
    Exec(argv);
  }
  return pid;
}

void Cluster::StartBroker(const std::vector<std::string>& env, const std::vector<std::string>& args) {
  ASSERT_LT(broker_pid_, 0) << "broker already running";
  std::vector<std::string> argv = {PPE_BROKER, "--config", dir_ + "/broker.yaml"};
  argv.insert(argv.end(), args.begin(), args.end());
  broker_pid_ = Spawn(argv, dir_ + "/broker.out", env);
  // Serving once a ctl call answers.
  ASSERT_TRUE(WaitFor([&] { return Ctl({"stock", "--json"}).exit_code == 0; }, 15000))
      << ReadFile(dir_ + "/broker.out");
}

int Cluster::WaitBrokerExit(int timeout_ms) {
  if (broker_pid_ <= 0) return -1;
  int status = 0;
  if (!WaitFor([&] { return waitpid(broker_pid_, &status, WNOHANG) == broker_pid_; }, timeout_ms)) return -1;
  broker_pid_ = -1;
  return status;
}

void Cluster::KillBroker() {
  if (broker_pid_ <= 0) return;
  kill(broker_pid_, SIGKILL);
  waitpid(broker_pid_, nullptr, 0);
  broker_pid_ = -1;
}

void Cluster::StopBroker() {
  if (broker_pid_ <= 0) return;
  kill(broker_pid_, SIGTERM);
  int status = 0;
  waitpid(broker_pid_, &status, 0);
  broker_pid_ = -1;
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "broker did not stop cleanly";
}

void Cluster::StartNode(const std::string& node) {
  ASSERT_FALSE(node_pids_.count(node)) << node << " already running";
  node_pids_[node] = Spawn({PPE_NODE, "--config", NodeConfig(node), "run"}, dir_ + "/" + node + ".out");
}

void Cluster::KillNode(const std::string& node) {
  auto it = node_pids_.find(node);
  if (it == node_pids_.end()) return;
  kill(it->second, SIGKILL);
  waitpid(it->second, nullptr, 0);
  node_pids_.erase(it);
}

CommandResult Cluster::Node(const std::string& node, const std::vector<std::string>& args) {
  std::vector<std::string> argv = {PPE_NODE, "--config", NodeConfig(node)};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunCommand(argv);
}

CommandResult Cluster::Ctl(const std::vector<std::string>& args, const std::string& config) {
  std::vector<std::string> argv = {PPE_CTL, "--config", dir_ + "/" + config + ".yaml"};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunCommand(argv);
}

nlohmann::json Cluster::CtlJson(const std::vector<std::string>& args, const std::string& config) {
  std::vector<std::string> with_json = args;
  with_json.push_back("--json");
  const CommandResult r = Ctl(with_json, config);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  if (r.exit_code != 0) return nullptr;
  return nlohmann::json::parse(r.out);
}

nlohmann::json Cluster::NodeStatus(const std::string& node) {
  const CommandResult r = Node(node, {"status", "--json"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return r.exit_code == 0 ? nlohmann::json::parse(r.out) : nlohmann::json();
}

bool Cluster::WaitDrained(const std::string& node, int timeout_ms) {
  return WaitFor([&] { return NodeStatus(node).value("outbox_pending", -1) == 0; }, timeout_ms);
}

int64_t Cluster::BrokerStock(const std::string& warehouse, const std::string& item) {
  const nlohmann::json rows = CtlJson({"stock"});
  if (!rows.is_array()) return -1;
  for (const auto& row : rows) {
    if (row["warehouse"] == warehouse && row["item"] == item) return row["on_hand"].get<int64_t>();
  }
  return -1;
}

}  // namespace ppe::testing
