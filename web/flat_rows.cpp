#include "web/flat_rows.h"

namespace ppe::web {

const nlohmann::json* FlatRow::Find(std::string_view key) const {
  for (const auto& [k, v] : fields_) {
    if (k == key) return &v;
  }
  return nullptr;
}

std::string FlatRow::Text(std::string_view key) const {
  const nlohmann::json* v = Find(key);
  return v && v->is_string() ? v->get<std::string>() : std::string();
}

int64_t FlatRow::Int(std::string_view key) const {
  const nlohmann::json* v = Find(key);
  if (!v || !v->is_number()) return 0;
  return v->is_number_integer() ? v->get<int64_t>() : static_cast<int64_t>(v->get<double>());
}

std::optional<double> FlatRow::Number(std::string_view key) const {
  const nlohmann::json* v = Find(key);
  if (!v || !v->is_number()) return std::nullopt;
  return v->get<double>();
}

bool FlatRow::Bool(std::string_view key) const {
  const nlohmann::json* v = Find(key);
  return v && v->is_boolean() && v->get<bool>();
}

namespace {

// SAX events to rows. Without a key the text is an array and its objects (depth 2) are rows; with
// one it is an object, and the objects of its array `key` (depth 3) are rows. Deeper values, and
// arrays under other keys, are skipped.
class RowReader : public nlohmann::json_sax<nlohmann::json> {
 public:
  RowReader(const std::function<void(const FlatRow&)>& row, std::string key, FlatRow* top)
      : emit_(row), array_key_(std::move(key)), keyed_(!array_key_.empty()), row_depth_(keyed_ ? 3 : 2), top_(top) {}

  bool null() override { return Scalar(nullptr); }
  bool boolean(bool v) override { return Scalar(v); }
  bool number_integer(number_integer_t v) override { return Scalar(v); }
  bool number_unsigned(number_unsigned_t v) override { return Scalar(v); }
  bool number_float(number_float_t v, const string_t&) override { return Scalar(v); }
  bool string(string_t& v) override { return Scalar(std::move(v)); }
  bool binary(binary_t&) override { return Scalar(nullptr); }
  bool start_object(std::size_t) override {
    ++depth_;
    if (depth_ == 1 && !keyed_) return Fail("the reply is an object, not a list of rows");
    if (in_target_ && depth_ == row_depth_) {
      row_.Clear();
      in_row_ = true;
    }
    return true;
  }
  bool key(string_t& k) override {
    if (keyed_ && depth_ == 1) top_key_ = k;
    if (in_row_ && depth_ == row_depth_) key_ = std::move(k);
    return true;
  }
  bool end_object() override {
    if (in_row_ && depth_ == row_depth_) {
      emit_(row_);
      in_row_ = false;
    }
    --depth_;
    return true;
  }
  bool start_array(std::size_t) override {
    ++depth_;
    if (!keyed_) {
      if (depth_ == 1) in_target_ = true;
      if (depth_ == 2) return Fail("a row is a list, not an object");
    } else {
      if (depth_ == 1) return Fail("the reply is a list, not an object");
      if (depth_ == 2 && top_key_ == array_key_) in_target_ = true;
    }
    return true;
  }
  bool end_array() override {
    if (depth_ == row_depth_ - 1) in_target_ = false;
    --depth_;
    return true;
  }
  bool parse_error(std::size_t at, const std::string&, const nlohmann::detail::exception& e) override {
    return Fail("unreadable JSON at byte " + std::to_string(at) + ": " + e.what());
  }
  const std::string& error() const { return error_; }

 private:
  template <typename T>
  bool Scalar(T&& v) {
    if (depth_ == 0) return Fail(keyed_ ? "the reply is not an object" : "the reply is not a list of rows");
    if (!keyed_ && depth_ == 1) return Fail("a row is not an object");
    if (keyed_ && depth_ == 1) {
      if (top_) top_->Set(top_key_, nlohmann::json(std::forward<T>(v)));
      return true;
    }
    if (in_row_ && depth_ == row_depth_) row_.Set(std::move(key_), nlohmann::json(std::forward<T>(v)));
    return true;
  }
  bool Fail(std::string why) {
    if (error_.empty()) error_ = std::move(why);
    return false;
  }

  const std::function<void(const FlatRow&)>& emit_;
  const std::string array_key_;
  const bool keyed_;
  const int row_depth_;
  FlatRow* top_;
  FlatRow row_;
  std::string key_, top_key_, error_;
  int depth_ = 0;
  bool in_target_ = false, in_row_ = false;
};

Status Read(std::string_view json_text, RowReader& reader) {
  bool ok = false;
  try {
    ok = nlohmann::json::sax_parse(json_text.begin(), json_text.end(), &reader);
  } catch (const nlohmann::json::exception& e) {
    return Status::Error(std::string("unreadable JSON: ") + e.what());
  }
  if (!ok) return Status::Error(reader.error().empty() ? "unreadable JSON" : reader.error());
  return Status::Ok();
}

}  // namespace

Status ReadFlatRows(std::string_view json_text, const std::function<void(const FlatRow&)>& row) {
  RowReader reader(row, "", nullptr);
  return Read(json_text, reader);
}

Status ReadFlatRowsIn(std::string_view json_text, const std::string& key,
                      const std::function<void(const FlatRow&)>& row, FlatRow* top) {
  if (key.empty()) return Status::Error("no key to read rows under");
  if (top) top->Clear();
  RowReader reader(row, key, top);
  return Read(json_text, reader);
}

}  // namespace ppe::web
