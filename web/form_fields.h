// FormFields: a form POST's fields by name, as text: an application/x-www-form-urlencoded body
// decoded here (strictly: a malformed %XX is refused, not guessed), or multipart text parts set one by one.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace ppe::web {

class FormFields {
 public:
  // none: the body is not a form (a % not followed by two hex digits, or too many fields).
  static std::optional<FormFields> ParseUrlEncoded(std::string_view body);

  void Set(const std::string& name, std::string value) { fields_[name] = std::move(value); }
  // The field's text; "" when the form did not send it. A name sent twice keeps its last value.
  std::string Get(const std::string& name) const;
  bool Has(const std::string& name) const { return fields_.count(name) > 0; }
  // A ticked checkbox: sent, with a value other than "", "0", "no", "off".
  bool Checked(const std::string& name) const;
  size_t size() const { return fields_.size(); }

 private:
  std::map<std::string, std::string> fields_;
};

}  // namespace ppe::web
