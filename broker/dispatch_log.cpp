#include "broker/dispatch_log.h"

#include <spdlog/spdlog.h>

#include <filesystem>

namespace ppe {

DispatchLog::DispatchLog(std::string path, zmq::socket_t* feed, int64_t max_bytes, int keep)
    : path_(std::move(path)), feed_(feed), max_bytes_(max_bytes), keep_(keep) {
  if (path_.empty()) return;
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(path_).parent_path(), ec);
  size_ = std::filesystem::exists(path_, ec) ? std::filesystem::file_size(path_, ec) : 0;
  file_.open(path_, std::ios::app);
  if (!file_) spdlog::error("cannot open the dispatch log '{}'", path_);
}

void DispatchLog::Append(const nlohmann::json& event) {
  const std::string line = event.dump();
  if (file_) {
    if (size_ + static_cast<int64_t>(line.size()) + 1 > max_bytes_) Rotate();
    file_ << line << '\n';
    file_.flush();
    size_ += line.size() + 1;
  }
  if (feed_) {
    try {
      feed_->send(zmq::buffer(line), zmq::send_flags::dontwait);
    } catch (const zmq::error_t& e) {
      spdlog::debug("feed: {}", e.what());
    }
  }
}

// dispatch.jsonl -> .1 -> .2 ... ; the oldest beyond `keep` is dropped.
void DispatchLog::Rotate() {
  file_.close();
  std::error_code ec;
  for (int i = keep_ - 1; i >= 1; --i) {
    std::filesystem::rename(path_ + "." + std::to_string(i), path_ + "." + std::to_string(i + 1), ec);
  }
  std::filesystem::rename(path_, path_ + ".1", ec);
  file_.open(path_, std::ios::trunc);
  size_ = 0;
}

}  // namespace ppe
