// StoreBackup: one online copy of the broker's live SQLite store (sqlite3_backup), a few hundred
// pages per step between cycles. The copy is consistent as of its last step: written to FILE.tmp
// (mode 0600), synced, named FILE only when whole; never a half copy, never over an existing file.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <string>

#include "common/status.h"

namespace ppe {

class StoreBackup {
 public:
  enum class State { kCopying, kDone, kFailed };

  // Starts a copy of `source`'s main database to the absolute `path`, which must not exist yet
  // (its folder must). `source` must outlive the
  // backup and have no transaction open when Step() runs. Writes through `source` while the copy
  // runs are carried into it by SQLite (same connection), so it never restarts.
  static Result<std::unique_ptr<StoreBackup>> Begin(sqlite3* source, const std::string& path);
  ~StoreBackup();  // an unfinished copy is abandoned and FILE.tmp removed
  StoreBackup(const StoreBackup&) = delete;
  StoreBackup& operator=(const StoreBackup&) = delete;

  // Copies up to `pages` more pages; once all are copied, finishes (sync, rename).
  State Step(int pages);

  State state() const { return state_; }
  const Status& status() const { return status_; }  // why, when kFailed
  const std::string& path() const { return path_; }
  int64_t pages() const { return pages_; }
  int64_t bytes() const { return bytes_; }

 private:
  StoreBackup(std::string path, sqlite3* dest, sqlite3_backup* backup)
      : path_(std::move(path)), tmp_(path_ + ".tmp"), dest_(dest), backup_(backup) {}
  State Finish();
  State Fail(const std::string& message);
  void Abandon();

  std::string path_, tmp_;
  sqlite3* dest_;
  sqlite3_backup* backup_;
  State state_ = State::kCopying;
  Status status_;
  int64_t pages_ = 0, bytes_ = 0;
};

}  // namespace ppe
