#include "common/sqlite_db.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <thread>

namespace ppe {

// Bindings are kept: every statement binds all its parameters before each run, and clearing them
// cost a sixth of the broker's time per report.
Statement& Statement::Reset() {
  sqlite3_reset(stmt_);
  status_ = Status::Ok();
  return *this;
}

Statement& Statement::Bind(int index, int64_t value) {
  sqlite3_bind_int64(stmt_, index, value);
  return *this;
}
Statement& Statement::Bind(int index, double value) {
  sqlite3_bind_double(stmt_, index, value);
  return *this;
}
Statement& Statement::Bind(int index, std::string_view value) {
  sqlite3_bind_text(stmt_, index, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT);
  return *this;
}
Statement& Statement::BindInPlace(int index, std::string_view value) {
  sqlite3_bind_text(stmt_, index, value.data(), static_cast<int>(value.size()), SQLITE_STATIC);
  return *this;
}
Statement& Statement::BindBlob(int index, std::string_view value) {
  sqlite3_bind_blob(stmt_, index, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT);
  return *this;
}
Statement& Statement::BindNull(int index) {
  sqlite3_bind_null(stmt_, index);
  return *this;
}

bool Statement::Step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc != SQLITE_DONE) {
    status_ = Status::Error(std::string("sqlite: ") + sqlite3_errmsg(db_) + " in: " +
                            sqlite3_sql(stmt_));
  }
  return false;
}

Status Statement::Run() {
  while (Step()) {
  }
  return status_;
}

std::string Statement::Text(int column) const {
  const unsigned char* text = sqlite3_column_text(stmt_, column);
  const int size = sqlite3_column_bytes(stmt_, column);
  return text ? std::string(reinterpret_cast<const char*>(text), size) : std::string();
}

namespace {

// No memory statistics: they take a global lock around every allocation SQLite makes. SQLite
// takes configuration only before its first use, so every way in calls this first.
void ConfigureSqliteOnce() {
  static const bool configured = sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0) == SQLITE_OK;
  (void)configured;
}

}  // namespace

Result<std::unique_ptr<SqliteDb>> SqliteDb::Open(const std::string& path,
                                                 const std::vector<std::string>& migrations) {
  ConfigureSqliteOnce();
  sqlite3* raw = nullptr;
  // NOMUTEX: a connection is only ever used by the thread that opened it, and SQLite's per-call
  // locking was a fifth of the broker's time under load.
  if (sqlite3_open_v2(path.c_str(), &raw,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                      nullptr) != SQLITE_OK) {
    std::string message = "cannot open database '" + path + "': " +
                          (raw ? sqlite3_errmsg(raw) : "out of memory");
    sqlite3_close(raw);
    return Status::Error(message);
  }
  std::unique_ptr<SqliteDb> db(new SqliteDb(raw));
  // Node commands and the node daemon share one file: wait for the other's write lock.
  sqlite3_busy_timeout(raw, 10000);
  // Switching a new file to WAL takes a lock that SQLite does not wait for: when two processes
  // create the store at once, the loser retries instead of failing.
  Status status;
  for (int attempt = 0; attempt < 500; ++attempt) {
    status = db->Exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; "
                      "PRAGMA foreign_keys=ON; PRAGMA cache_size=-65536;");
    if (status.ok()) status = db->Migrate(migrations);
    if (status.ok() || (sqlite3_errcode(raw) & 0xff) != SQLITE_BUSY) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (!status.ok()) return Status::Error("database '" + path + "': " + status.message());
  return db;
}

std::vector<std::string> QuickCheckLines(const std::string& row) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start <= row.size()) {
    size_t end = row.find('\n', start);
    if (end == std::string::npos) end = row.size();
    const std::string line = row.substr(start, end - start);
    if (!line.empty() && line != "ok" && line.rfind("*** in database", 0) != 0) lines.push_back(line);
    start = end + 1;
  }
  return lines;
}

Result<QuickCheckReport> SqliteDb::QuickCheck(const std::string& path, int max_problems) {
  ConfigureSqliteOnce();
  QuickCheckReport report;
  sqlite3* raw = nullptr;
  // Read-write without create: a new store is no problem, and a WAL left by a killed process
  // must be replayable for the check to see what the store really holds.
  const int opened = sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (opened != SQLITE_OK) {
    const bool missing = (opened & 0xff) == SQLITE_CANTOPEN && access(path.c_str(), F_OK) != 0;
    std::string message = raw ? sqlite3_errmsg(raw) : "out of memory";
    sqlite3_close(raw);
    if (missing) return report;
    return Status::Error("cannot open database '" + path + "': " + message);
  }
  sqlite3_busy_timeout(raw, 10000);
  // SQLITE_CORRUPT and SQLITE_NOTADB are findings about the file; anything else is an error.
  auto damaged = [](int rc) { return (rc & 0xff) == SQLITE_CORRUPT || (rc & 0xff) == SQLITE_NOTADB; };
  Status error;
  auto run = [&](const std::string& sql, const std::function<void(sqlite3_stmt*)>& row) {
    sqlite3_stmt* stmt = nullptr;
    int rc = sqlite3_prepare_v2(raw, sql.c_str(), -1, &stmt, nullptr);
    if (rc == SQLITE_OK) {
      while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) row(stmt);
    }
    if (rc != SQLITE_DONE && rc != SQLITE_OK) {
      if (damaged(rc)) {
        const std::string message = sqlite3_errmsg(raw);
        if (report.problems.empty() || report.problems.back() != message) report.problems.push_back(message);
      } else if (error.ok()) {
        error = Status::Error("checking database '" + path + "': " + sqlite3_errmsg(raw));
      }
    }
    sqlite3_finalize(stmt);
  };
  run("PRAGMA page_count", [&](sqlite3_stmt* s) { report.pages = sqlite3_column_int64(s, 0); });
  run("PRAGMA quick_check(" + std::to_string(std::max(1, max_problems)) + ")", [&](sqlite3_stmt* s) {
    const unsigned char* text = sqlite3_column_text(s, 0);
    for (const std::string& line : QuickCheckLines(text ? reinterpret_cast<const char*>(text) : "")) {
      report.problems.push_back(line);
    }
  });
  sqlite3_close(raw);
  if (!error.ok()) return error;
  return report;
}

SqliteDb::~SqliteDb() {
  statements_.clear();
  sqlite3_close(db_);
}

Status SqliteDb::Exec(const std::string& sql) {
  char* error = nullptr;
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
    std::string message = std::string("sqlite: ") + (error ? error : "unknown error");
    sqlite3_free(error);
    return Status::Error(message);
  }
  return Status::Ok();
}

Statement& SqliteDb::Prepare(std::string_view sql) {
  auto it = statements_.find(sql);
  if (it == statements_.end()) {
    if (statements_.size() >= kMaxCachedStatements) {
      // Callers may still hold references into the cache: the statements are retired, not
      // freed, until the owner's next safe point (ReleaseRetired).
      for (auto& [text, statement] : statements_) retired_.push_back(std::move(statement));
      statements_.clear();
    }
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &stmt,
                           nullptr) != SQLITE_OK) {
      // A malformed statement is a programming error, never an input error.
      fprintf(stderr, "fatal: cannot prepare SQL (%s): %.*s\n", sqlite3_errmsg(db_), static_cast<int>(sql.size()),
              sql.data());
      std::abort();
    }
    it = statements_.emplace(std::string(sql), std::make_unique<Statement>(db_, stmt)).first;
  }
  return it->second->Reset();
}

void SqliteDb::ReleaseRetired() { retired_.clear(); }

void SqliteDb::Rollback() {
  if (!sqlite3_get_autocommit(db_)) Exec("ROLLBACK");
}

// Under the write lock from the first read of the version: a node daemon and a node command
// opening a new store at the same moment must not both run migration 1.
Status SqliteDb::Migrate(const std::vector<std::string>& migrations) {
  PPE_RETURN_IF_ERROR(Begin());
  Status created = Exec("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)");
  if (created.ok()) created = Commit();
  if (!created.ok()) {
    Rollback();
    return created;
  }
  for (;;) {
    PPE_RETURN_IF_ERROR(Begin());
    schema_version_ = static_cast<int>(QueryInt("SELECT version FROM schema_version"));
    if (schema_version_ > static_cast<int>(migrations.size())) {
      Rollback();
      return Status::Error("schema version " + std::to_string(schema_version_) +
                           " is newer than this program knows (" +
                           std::to_string(migrations.size()) + "): upgrade the program");
    }
    if (schema_version_ == static_cast<int>(migrations.size())) {
      Rollback();
      return Status::Ok();
    }
    const size_t v = schema_version_;
    Status status = Exec(migrations[v]);
    if (status.ok()) {
      status = Exec("DELETE FROM schema_version; INSERT INTO schema_version VALUES (" +
                    std::to_string(v + 1) + ")");
    }
    if (status.ok()) status = Commit();
    if (!status.ok()) {
      Rollback();
      return Status::Error("migration " + std::to_string(v + 1) + ": " + status.message());
    }
    schema_version_ = static_cast<int>(v + 1);
  }
}

}  // namespace ppe
