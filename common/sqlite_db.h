// SqliteDb: one open SQLite database in WAL mode with synchronous=FULL, plus cached statements.
// A commit that returned ok is on disk; numbered migrations run once each, in order, at open.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/status.h"

namespace ppe {

// A prepared statement, reset and unbound on every Reset(). Owned by its SqliteDb.
class Statement {
 public:
  Statement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  Statement& Reset();
  Statement& Bind(int index, int64_t value);
  Statement& Bind(int index, double value);
  Statement& Bind(int index, std::string_view value);
  // Binds the text where it is, without SQLite's copy (an allocation and a free per value): only
  // for text that outlives the next Step, in a statement that binds every parameter before each run.
  Statement& BindInPlace(int index, std::string_view value);
  Statement& BindBlob(int index, std::string_view value);
  Statement& BindNull(int index);

  // Steps once: true when a row is ready; false when done (check status()).
  bool Step();
  // Steps to completion; the error names the statement.
  Status Run();
  Status status() const { return status_; }

  int64_t Int(int column) const { return sqlite3_column_int64(stmt_, column); }
  double Real(int column) const { return sqlite3_column_double(stmt_, column); }
  std::string Text(int column) const;
  bool IsNull(int column) const { return sqlite3_column_type(stmt_, column) == SQLITE_NULL; }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_;
  Status status_;
};

// What PRAGMA quick_check found in a database file: nothing in `problems` means sound.
struct QuickCheckReport {
  int64_t pages = 0;                  // the file's pages, all of which were read
  std::vector<std::string> problems;  // quick_check's lines, at most the limit asked for
};

// One row of quick_check or integrity_check as findings, one a line: without "ok" and without
// the "*** in database main ***" heading SQLite puts before the first.
std::vector<std::string> QuickCheckLines(const std::string& row);

class SqliteDb {
 public:
  static constexpr size_t kMaxCachedStatements = 512;

  // Runs PRAGMA quick_check on the file at `path` through a connection of its own, before anyone
  // writes to it; a file that does not exist yet is sound. A file SQLite cannot read as a
  // database at all is a problem too; only a file it cannot open (permissions) is an error.
  static Result<QuickCheckReport> QuickCheck(const std::string& path, int max_problems = 100);

  // Opens (creating if needed) and applies every migration past the stored schema version.
  // migrations[i] is version i+1; each runs in its own transaction with the version bump.
  static Result<std::unique_ptr<SqliteDb>> Open(const std::string& path,
                                                const std::vector<std::string>& migrations);
  ~SqliteDb();
  SqliteDb(const SqliteDb&) = delete;
  SqliteDb& operator=(const SqliteDb&) = delete;

  Status Exec(const std::string& sql);
  // A cached prepared statement for this SQL text, already Reset(); valid until the next
  // ReleaseRetired() after the cache filled up (every value is bound, so the SQL texts are few
  // and the cache never fills in practice: the bound is a guard, not a working set).
  Statement& Prepare(std::string_view sql);
  // Frees statements retired from a full cache; call where no Statement& is held.
  void ReleaseRetired();
  // The first column of the first row as an integer (0 when there is no row), binding `args`
  // to ?1, ?2, ... in order. For the many "how many / what is the highest" questions.
  template <typename... Args>
  int64_t QueryInt(std::string_view sql, const Args&... args) {
    Statement& q = Prepare(sql);
    int index = 0;
    (q.Bind(++index, args), ...);
    const int64_t value = q.Step() ? q.Int(0) : 0;
    q.Reset();
    return value;
  }
  Status Begin() { return Exec("BEGIN IMMEDIATE"); }
  Status Commit() { return Exec("COMMIT"); }
  void Rollback();

  int schema_version() const { return schema_version_; }
  sqlite3* raw() { return db_; }
  int64_t changes() const { return sqlite3_changes64(db_); }

 private:
  explicit SqliteDb(sqlite3* db) : db_(db) {}
  Status Migrate(const std::vector<std::string>& migrations);

  sqlite3* db_;
  int schema_version_ = 0;
  // Found by a view of the SQL text: a lookup copies nothing (a receipt prepares two statements).
  struct SqlHash {
    using is_transparent = void;
    size_t operator()(std::string_view sql) const { return std::hash<std::string_view>{}(sql); }
  };
  std::unordered_map<std::string, std::unique_ptr<Statement>, SqlHash, std::equal_to<>> statements_;
  std::vector<std::unique_ptr<Statement>> retired_;
};

}  // namespace ppe
