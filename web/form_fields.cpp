#include "web/form_fields.h"

namespace ppe::web {
namespace {

// More fields than any form of ours has: a body made of them is not one of our forms.
constexpr size_t kMaxFields = 64;

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::optional<std::string> Decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '+') {
      out += ' ';
    } else if (c == '%') {
      const int hi = i + 1 < text.size() ? HexDigit(text[i + 1]) : -1;
      const int lo = i + 2 < text.size() ? HexDigit(text[i + 2]) : -1;
      if (hi < 0 || lo < 0) return std::nullopt;
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

std::optional<FormFields> FormFields::ParseUrlEncoded(std::string_view body) {
  FormFields form;
  size_t count = 0;
  size_t at = 0;
  while (at <= body.size()) {
    size_t end = body.find('&', at);
    if (end == std::string_view::npos) end = body.size();
    const std::string_view pair = body.substr(at, end - at);
    if (!pair.empty()) {
      if (++count > kMaxFields) return std::nullopt;
      const size_t eq = pair.find('=');
      auto name = Decode(pair.substr(0, eq));
      auto value = Decode(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1));
      if (!name || !value) return std::nullopt;
      form.fields_[*name] = std::move(*value);
    }
    at = end + 1;
  }
  return form;
}

std::string FormFields::Get(const std::string& name) const {
  auto it = fields_.find(name);
  return it == fields_.end() ? std::string() : it->second;
}

bool FormFields::Checked(const std::string& name) const {
  auto it = fields_.find(name);
  if (it == fields_.end()) return false;
  const std::string& v = it->second;
  return !(v.empty() || v == "0" || v == "no" || v == "off");
}

}  // namespace ppe::web
