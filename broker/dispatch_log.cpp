#include "broker/dispatch_log.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/clock.h"

namespace ppe {
namespace {

namespace fs = std::filesystem;

constexpr int64_t kRowsPerQuery = 512;
// After a failed write (disk full, folder gone) the file is tried again this much later.
constexpr int64_t kRetryFileAfterMs = 5000;
// A rotated file's last line is found in this much of its end; lines are far shorter.
constexpr int64_t kTailBytes = 1 << 20;

// The bytes of `path` from `from_end` bytes before its end (all when 0); empty if absent.
Result<std::string> ReadEnd(const std::string& path, int64_t from_end = 0) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::error_code ec;
    if (!fs::exists(path, ec)) return std::string();
    return Status::Error("cannot read '" + path + "'");
  }
  in.seekg(0, std::ios::end);
  const int64_t size = in.tellg();
  const int64_t start = from_end > 0 && size > from_end ? size - from_end : 0;
  in.seekg(start);
  std::string text(size - start, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  if (!in) return Status::Error("cannot read '" + path + "'");
  return text;
}

// Where the last whole line ends in `text` (0 if none), and that line, parsed. What follows the
// last line that is JSON is a torn write: a line cut short by a crash, or the zeros a filesystem
// may leave after a power cut. (A line that is JSON but not ours is kept: never cut what a crash
// cannot have written.)
size_t EndOfLastLine(const std::string& text, nlohmann::json* line) {
  size_t end = text.rfind('\n');
  end = end == std::string::npos ? 0 : end + 1;
  while (end > 0) {
    const size_t newline = end >= 2 ? text.rfind('\n', end - 2) : std::string::npos;
    const size_t start = newline == std::string::npos ? 0 : newline + 1;
    nlohmann::json parsed = nlohmann::json::parse(text.begin() + start, text.begin() + end - 1, nullptr, false);
    if (!parsed.is_discarded()) {
      *line = std::move(parsed);
      return end;
    }
    end = start;
  }
  return 0;
}

// The id a line of the file stands for: its "event", or for a line written before lines carried
// one, the event it matches in the store.
int64_t IdOf(const nlohmann::json& line, OrderEventSource& source) {
  const auto id = line.find("event");
  if (id != line.end() && id->is_number_integer()) return id->get<int64_t>();
  return source.FindUnnumbered(line);
}

}  // namespace

DispatchLog::DispatchLog(std::string path, zmq::socket_t* feed, OrderEventSource& source,
                         int64_t max_bytes, int keep)
    : path_(std::move(path)), feed_(feed), source_(source), max_bytes_(max_bytes), keep_(keep) {}

DispatchLog::~DispatchLog() {
  if (fd_ >= 0) close(fd_);
}

Status DispatchLog::Open() {
  // The feed shows what happens from now on; the file, all the store holds.
  feed_last_ = source_.LastEventId();
  if (path_.empty()) return Status::Ok();
  if (Status s = FindEnd(); !s.ok()) {
    retry_file_ms_ = MonotonicMs() + kRetryFileAfterMs;
    return Status::Error("dispatch log '" + path_ + "': " + s.message());
  }
  feed_last_ = std::min(feed_last_, file_last_);
  return CatchUp();
}

Status DispatchLog::LastLineIn(const std::string& path, nlohmann::json* line) {
  auto text = ReadEnd(path, kTailBytes);
  if (!text.ok()) return text.status();
  if (EndOfLastLine(*text, line) == 0) *line = nullptr;
  return Status::Ok();
}

// Whether the store holds the very event `line` shows; *id is the id the line stands for (0 for
// a line without one that matches nothing). Compared on what never changes (not "time": it is
// local time, and the zone may change).
bool DispatchLog::InStore(const nlohmann::json& line, int64_t* id) {
  *id = IdOf(line, source_);
  if (*id <= 0) return false;
  auto rows = source_.EventsAfter(*id - 1, 1);
  if (!rows.ok() || rows->empty() || (*rows)[0].value("event", int64_t{0}) != *id) return false;
  for (const char* key : {"order", "status", "at_ms", "qty", "who"}) {
    if ((*rows)[0].value(key, nlohmann::json()) != line.value(key, nlohmann::json())) return false;
  }
  return true;
}

Status DispatchLog::FindEnd() {
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
  std::error_code ec;
  fs::create_directories(fs::path(path_).parent_path(), ec);
  auto text = ReadEnd(path_);
  if (!text.ok()) return text.status();
  nlohmann::json line;
  const size_t end = EndOfLastLine(*text, &line);
  if (end < text->size()) {
    spdlog::warn("dispatch log {}: its last {} bytes are a line cut short (a crash); cut off and "
                 "written again from the store", path_, text->size() - end);
    if (truncate(path_.c_str(), static_cast<off_t>(end)) != 0) {
      return Status::Error(std::string("cannot cut off its torn end: ") + std::strerror(errno));
    }
    text->resize(end);
  }
  // The newest line: the current file's or, when that is empty or absent (a new log, or a crash
  // right after a rotation), the newest rotated file's.
  const bool in_current = end > 0;
  for (int i = 1; i <= keep_ && line.is_null(); ++i) {
    PPE_RETURN_IF_ERROR(LastLineIn(path_ + "." + std::to_string(i), &line));
  }
  const int64_t store_last = source_.LastEventId();
  int64_t last = 0;
  if (!line.is_null() && !InStore(line, &last)) {
    if (last == 0 && !line.contains("event")) {
      // A line from before lines carried ids that matches no event: take the file as complete.
      spdlog::warn("dispatch log {}: its last line matches no order event in the store; new events "
                   "follow it (the file may lack events from before this broker version)", path_);
      last = store_last;
    } else {
      // The store does not hold the file's newest event: it went back in time (restored from a
      // backup). The file keeps what the store holds; the lines from the first the store lacks
      // are kept aside, never mixed with the new events that will take their ids.
      const int64_t newest = last;
      last = 0;
      size_t cut = 0;
      while (in_current && cut < text->size()) {
        const size_t newline = text->find('\n', cut);
        if (newline == std::string::npos) break;
        const nlohmann::json l = nlohmann::json::parse(text->begin() + cut, text->begin() + newline, nullptr, false);
        int64_t id = 0;
        if (l.is_object() && !InStore(l, &id)) break;
        if (l.is_object()) last = id;
        cut = newline + 1;
      }
      bool older_differ = false;
      if (cut == 0) {
        nlohmann::json older;
        for (int i = 1; i <= keep_ && older.is_null(); ++i) {
          PPE_RETURN_IF_ERROR(LastLineIn(path_ + "." + std::to_string(i), &older));
        }
        if (!older.is_null() && !InStore(older, &last)) {
          older_differ = true;
          last = std::min(last, store_last);
        }
      }
      const std::string aside = path_ + ".orphaned-" + std::to_string(NowMs());
      if (in_current && cut < text->size()) {
        std::ofstream out(aside, std::ios::binary);
        out << text->substr(cut);
        out.flush();
        if (!out) return Status::Error("cannot write '" + aside + "' to keep the events the store lacks");
        if (truncate(path_.c_str(), static_cast<off_t>(cut)) != 0) {
          return Status::Error(std::string("cannot cut off the events the store lacks: ") + std::strerror(errno));
        }
      }
      spdlog::error("dispatch log {} holds events the store does not (the file up to event {}, the store up "
                    "to {}: restored from a backup?): {}; the file goes on from event {}{}",
                    path_, newest, store_last,
                    in_current && cut < text->size() ? "the lines from the first of them are moved to " + aside
                                                     : std::string("they are in older rotated files"),
                    last + 1,
                    older_differ ? "; older rotated files also hold events the store no longer has" : "");
    }
  }
  fd_ = open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd_ < 0) return Status::Error(std::string("cannot open: ") + std::strerror(errno));
  struct stat st{};
  size_ = fstat(fd_, &st) == 0 ? st.st_size : 0;
  file_last_ = last;
  return Status::Ok();
}

Status DispatchLog::CatchUp() {
  Status file_status;
  bool file_current = false;
  if (!path_.empty() && MonotonicMs() >= retry_file_ms_) {
    file_status = fd_ >= 0 ? Status::Ok() : FindEnd();  // after a failure: find the end again
    while (file_status.ok()) {
      auto rows = source_.EventsAfter(file_last_, kRowsPerQuery);
      if (!rows.ok()) return rows.status();
      for (const nlohmann::json& row : *rows) {
        const std::string line = row.dump();
        if (file_status = WriteLine(line); !file_status.ok()) break;
        file_last_ = row["event"].get<int64_t>();
        if (file_last_ > feed_last_) {
          Publish(line);
          feed_last_ = file_last_;
        }
      }
      if (file_status.ok() && static_cast<int64_t>(rows->size()) < kRowsPerQuery) {
        file_current = true;
        break;
      }
    }
    if (!file_status.ok()) retry_file_ms_ = MonotonicMs() + kRetryFileAfterMs;
  }
  // The feed on its own: no file, or one that cannot be written just now.
  while (feed_ && !file_current) {
    auto rows = source_.EventsAfter(feed_last_, kRowsPerQuery);
    if (!rows.ok()) return rows.status();
    for (const nlohmann::json& row : *rows) {
      Publish(row.dump());
      feed_last_ = row["event"].get<int64_t>();
    }
    if (static_cast<int64_t>(rows->size()) < kRowsPerQuery) break;
  }
  if (!file_status.ok()) {
    return Status::Error("dispatch log '" + path_ + "': " + file_status.message() + " (from event " +
                         std::to_string(file_last_ + 1) + ")");
  }
  return Status::Ok();
}

// One write per line, so a crash leaves at most the last line torn; a failed write is undone.
Status DispatchLog::WriteLine(const std::string& line) {
  if (size_ > 0 && size_ + static_cast<int64_t>(line.size()) + 1 > max_bytes_) Rotate();
  if (fd_ < 0) return Status::Error("cannot open a new file after rotating");
  const std::string text = line + "\n";
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = write(fd_, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int error = errno;
      if (ftruncate(fd_, static_cast<off_t>(size_)) != 0) {
        // Left torn: the next FindEnd cuts it off.
      }
      close(fd_);
      fd_ = -1;
      return Status::Error(std::string("cannot write: ") + std::strerror(error));
    }
    done += static_cast<size_t>(n);
  }
  size_ += static_cast<int64_t>(text.size());
  return Status::Ok();
}

void DispatchLog::Publish(const std::string& line) {
  if (!feed_) return;
  try {
    feed_->send(zmq::buffer(line), zmq::send_flags::dontwait);
  } catch (const zmq::error_t& e) {
    spdlog::debug("feed: {}", e.what());
  }
}

// dispatch.jsonl -> .1 -> .2 ... ; the oldest beyond `keep` is dropped. A crash in between leaves
// the newest events either in the current file or, when it is empty or absent, in .1.
void DispatchLog::Rotate() {
  close(fd_);
  std::error_code ec;
  for (int i = keep_ - 1; i >= 1; --i) {
    fs::rename(path_ + "." + std::to_string(i), path_ + "." + std::to_string(i + 1), ec);
  }
  fs::rename(path_, path_ + ".1", ec);
  fd_ = open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600);
  size_ = 0;
}

}  // namespace ppe
