// Helpers shared by the unit tests (defined in common_test.cpp): temporary folders, files, and a
// small two-county city (sanyuan, meilie) to validate against.
#pragma once

#include <string>

#include <vector>

#include "common/city.h"
#include "common/sqlite_db.h"

namespace ppe::test {

// A fresh folder under /tmp, removed with everything in it.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

void WriteText(const std::string& path, const std::string& text);
// Every (warehouse, item) whose batches do not add up to its stock figure, as text (batch_test.cpp).
std::vector<std::string> BatchSumMismatches(SqliteDb& db);
City SmallCity();

}  // namespace ppe::test
