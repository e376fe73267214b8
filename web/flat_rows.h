// FlatRows: reads a broker reply that is a JSON array of flat objects (demand rows, order rows) one
// row at a time, keeping only scalar fields: a province's 50,000 demand rows never become a JSON
// tree in memory (ppe-web stays small), and a malformed reply is an error, never a crash.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace ppe::web {

// One row's scalar fields (strings, numbers, booleans, nulls), in the order they came; nested
// arrays and objects are skipped.
class FlatRow {
 public:
  void Clear() { fields_.clear(); }
  void Set(std::string key, nlohmann::json value) { fields_.emplace_back(std::move(key), std::move(value)); }
  const nlohmann::json* Find(std::string_view key) const;
  std::string Text(std::string_view key) const;           // "" when missing or not a string
  int64_t Int(std::string_view key) const;                // 0 when missing or not a number
  std::optional<double> Number(std::string_view key) const;  // none when null or missing
  bool Bool(std::string_view key) const;                  // false when missing
  size_t size() const { return fields_.size(); }

 private:
  std::vector<std::pair<std::string, nlohmann::json>> fields_;
};

// Calls `row` for each object of the array `json_text`; the error says where the text broke.
Status ReadFlatRows(std::string_view json_text, const std::function<void(const FlatRow&)>& row);
// The same for the array under `key` of the object `json_text` (a plan's "orders"); the object's
// own scalar fields go to `top` when given.
Status ReadFlatRowsIn(std::string_view json_text, const std::string& key,
                      const std::function<void(const FlatRow&)>& row, FlatRow* top = nullptr);

}  // namespace ppe::web
