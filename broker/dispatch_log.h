// DispatchLog: the broker's outward record of order events: a JSON-lines file rotated by size,
// and the live PUB feed for `ppe-ctl log --follow`. Best effort by design: the store is the truth.
#pragma once

#include <cstdint>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <zmq.hpp>

namespace ppe {

class DispatchLog {
 public:
  // path may be empty (no file); feed may be null (no live feed). Keeps `keep` rotated files.
  DispatchLog(std::string path, zmq::socket_t* feed, int64_t max_bytes = 16 << 20, int keep = 5);
  void Append(const nlohmann::json& event);

 private:
  void Rotate();

  std::string path_;
  zmq::socket_t* feed_;
  int64_t max_bytes_;
  int keep_;
  std::ofstream file_;
  int64_t size_ = 0;
};

}  // namespace ppe
