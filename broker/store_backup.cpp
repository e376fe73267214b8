#include "broker/store_backup.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace ppe {
namespace {

namespace fs = std::filesystem;

// What SQLite leaves beside a database file it writes.
void RemoveWithCompanions(const std::string& path) {
  std::error_code ignored;
  for (const char* suffix : {"", "-journal", "-wal", "-shm"}) fs::remove(path + suffix, ignored);
}

Status SyncFolder(const std::string& path) {
  const int fd = open(fs::path(path).parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Status::Error(std::string("cannot open its folder: ") + std::strerror(errno));
  const bool synced = fsync(fd) == 0;
  close(fd);
  return synced ? Status::Ok() : Status::Error(std::string("cannot sync its folder: ") + std::strerror(errno));
}

}  // namespace

Result<std::unique_ptr<StoreBackup>> StoreBackup::Begin(sqlite3* source, const std::string& path) {
  if (!fs::path(path).is_absolute()) return Status::Error("the backup file must be an absolute path, not '" + path + "'");
  std::error_code ec;
  if (!fs::is_directory(fs::path(path).parent_path(), ec)) {
    return Status::Error("no folder '" + fs::path(path).parent_path().string() + "' on the broker's machine");
  }
  const char* live = sqlite3_db_filename(source, "main");
  if (live && *live && fs::weakly_canonical(path, ec) == fs::weakly_canonical(live, ec)) {
    return Status::Error("'" + path + "' is the live store itself; name another file");
  }
  // Never over a file: a coordinator's slip must not replace an older backup, a key or the
  // config with a copy of the store.
  if (fs::exists(fs::symlink_status(path, ec))) {
    return Status::Error("'" + path + "' exists; a backup never replaces a file: name a new one (e.g. by date)");
  }
  const std::string tmp = path + ".tmp";
  RemoveWithCompanions(tmp);  // left by a broker that died mid-copy
  // Created here, 0600, before SQLite opens it: the copy holds every report, and SQLite would
  // create it (and its journal, which takes the file's mode) as the umask says.
  const int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Status::Error("cannot create '" + tmp + "': " + std::strerror(errno));
  fchmod(fd, 0600);
  close(fd);
  sqlite3* dest = nullptr;
  if (sqlite3_open_v2(tmp.c_str(), &dest, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr) != SQLITE_OK) {
    const std::string message = dest ? sqlite3_errmsg(dest) : "out of memory";
    sqlite3_close(dest);
    RemoveWithCompanions(tmp);
    return Status::Error("cannot open '" + tmp + "': " + message);
  }
  sqlite3_backup* backup = sqlite3_backup_init(dest, "main", source, "main");
  if (!backup) {
    const std::string message = sqlite3_errmsg(dest);
    sqlite3_close(dest);
    RemoveWithCompanions(tmp);
    return Status::Error("cannot start the backup: " + message);
  }
  return std::unique_ptr<StoreBackup>(new StoreBackup(path, dest, backup));
}

StoreBackup::~StoreBackup() {
  if (state_ != State::kDone) Abandon();
}

void StoreBackup::Abandon() {
  if (backup_) sqlite3_backup_finish(backup_);
  backup_ = nullptr;
  if (dest_) sqlite3_close(dest_);
  dest_ = nullptr;
  RemoveWithCompanions(tmp_);
}

StoreBackup::State StoreBackup::Step(int pages) {
  if (state_ != State::kCopying) return state_;
  const int rc = sqlite3_backup_step(backup_, pages);
  pages_ = sqlite3_backup_pagecount(backup_);
  if (rc == SQLITE_DONE) return Finish();
  // BUSY and LOCKED are passing: the next step tries again.
  if (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED) return state_;
  return Fail(sqlite3_errmsg(dest_));
}

StoreBackup::State StoreBackup::Finish() {
  // The copy's last step committed it (synchronous=FULL: on disk); finishing releases it.
  const int rc = sqlite3_backup_finish(backup_);
  backup_ = nullptr;
  if (rc != SQLITE_OK) return Fail(sqlite3_errmsg(dest_));
  if (sqlite3_close(dest_) != SQLITE_OK) return Fail("cannot close the copy");
  dest_ = nullptr;
  chmod(tmp_.c_str(), 0600);
  // link + unlink rather than rename: it fails instead of replacing a file that appeared at
  // FILE while the copy ran.
  if (link(tmp_.c_str(), path_.c_str()) != 0) {
    return Fail("cannot name the copy '" + path_ + "': " + std::strerror(errno));
  }
  unlink(tmp_.c_str());
  if (Status s = SyncFolder(path_); !s.ok()) return Fail(s.message());
  std::error_code ec;
  bytes_ = static_cast<int64_t>(fs::file_size(path_, ec));
  state_ = State::kDone;
  return state_;
}

StoreBackup::State StoreBackup::Fail(const std::string& message) {
  status_ = Status::Error("backup to '" + path_ + "' failed: " + message);
  state_ = State::kFailed;
  Abandon();
  return state_;
}

}  // namespace ppe
