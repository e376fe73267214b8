// Helpers shared by the unit tests (defined in common_test.cpp): temporary folders, files, and a
// small two-county city (sanyuan, meilie) to validate against.
#pragma once

#include <string>

#include "common/city.h"

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
City SmallCity();

}  // namespace ppe::test
