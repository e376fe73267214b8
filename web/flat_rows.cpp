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

// SAX events to rows: depth 1 is the array, 2 a row's fields; deeper values are skipped.
class RowReader : public nlohmann::json_sax<nlohmann::json> {
 public:
  explicit RowReader(const std::function<void(const FlatRow&)>& row) : emit_(row) {}

  bool null() override { return Scalar(nullptr); }
  bool boolean(bool v) override { return Scalar(v); }
  bool number_integer(number_integer_t v) override { return Scalar(v); }
  bool number_unsigned(number_unsigned_t v) override { return Scalar(v); }
  bool number_float(number_float_t v, const string_t&) override { return Scalar(v); }
  bool string(string_t& v) override { return Scalar(std::move(v)); }
  bool binary(binary_t&) override { return Scalar(nullptr); }
  bool start_object(std::size_t) override {
    ++depth_;
    if (depth_ == 1) return Fail("the reply is an object, not a list of rows");
    if (depth_ == 2) row_.Clear();
    return true;
  }
  bool key(string_t& k) override {
    if (depth_ == 2) key_ = std::move(k);
    return true;
  }
  bool end_object() override {
    if (depth_ == 2) emit_(row_);
    --depth_;
    return true;
  }
  bool start_array(std::size_t) override {
    ++depth_;
    if (depth_ == 2) return Fail("a row is a list, not an object");
    return true;
  }
  bool end_array() override {
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
    if (depth_ == 0) return Fail("the reply is not a list of rows");
    if (depth_ == 1) return Fail("a row is not an object");
    if (depth_ == 2) row_.Set(std::move(key_), nlohmann::json(std::forward<T>(v)));
    return true;
  }
  bool Fail(std::string why) {
    if (error_.empty()) error_ = std::move(why);
    return false;
  }

  const std::function<void(const FlatRow&)>& emit_;
  FlatRow row_;
  std::string key_, error_;
  int depth_ = 0;
};

}  // namespace

Status ReadFlatRows(std::string_view json_text, const std::function<void(const FlatRow&)>& row) {
  RowReader reader(row);
  bool ok = false;
  try {
    ok = nlohmann::json::sax_parse(json_text.begin(), json_text.end(), &reader);
  } catch (const nlohmann::json::exception& e) {
    return Status::Error(std::string("unreadable JSON: ") + e.what());
  }
  if (!ok) return Status::Error(reader.error().empty() ? "unreadable JSON" : reader.error());
  return Status::Ok();
}

}  // namespace ppe::web
