#include "web/messages.h"

#include <array>

namespace ppe::web {
namespace {

constexpr size_t kMessageCount = static_cast<size_t>(Msg::kCount);

// Each table indexed by id once, at first use.
const std::array<std::string_view, kMessageCount>& Index(Lang lang) {
  static const auto build = [](const MessageTable& table) {
    std::array<std::string_view, kMessageCount> index{};
    for (size_t i = 0; i < table.message_count; ++i) {
      index[static_cast<size_t>(table.messages[i].id)] = table.messages[i].text;
    }
    return index;
  };
  static const auto zh = build(ZhTable());
  static const auto en = build(EnTable());
  return lang == Lang::kEn ? en : zh;
}

std::string_view Word(const WordEntry* words, size_t count, std::string_view key) {
  for (size_t i = 0; i < count; ++i) {
    if (key == words[i].key) return words[i].text;
  }
  return {};
}

const MessageTable& Table(Lang lang) { return lang == Lang::kEn ? EnTable() : ZhTable(); }

// Whether the UTF-8 sequence starting with lead byte `c` is above the Latin scripts (CJK,
// full-width punctuation): the Chinese half of a bilingual name.
bool IsWide(unsigned char c) { return c >= 0xE0; }

}  // namespace

std::string_view LangTag(Lang lang) { return lang == Lang::kEn ? "en" : "zh-CN"; }
std::string_view LangCode(Lang lang) { return lang == Lang::kEn ? "en" : "zh"; }
Lang LangFromCode(std::string_view code) { return code == "en" ? Lang::kEn : Lang::kZh; }

std::string_view Text(Lang lang, Msg msg) {
  const size_t i = static_cast<size_t>(msg);
  return i < kMessageCount ? Index(lang)[i] : std::string_view();
}

std::string Format(Lang lang, Msg msg, std::initializer_list<std::string> args) {
  const std::string_view pattern = Text(lang, msg);
  std::string out;
  out.reserve(pattern.size() + 32);
  for (size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] == '{' && i + 2 < pattern.size() && pattern[i + 2] == '}' && pattern[i + 1] >= '0' &&
        pattern[i + 1] <= '9') {
      const size_t n = static_cast<size_t>(pattern[i + 1] - '0');
      if (n < args.size()) out += *(args.begin() + n);
      i += 2;
    } else {
      out += pattern[i];
    }
  }
  return out;
}

std::string_view ItemWord(Lang lang, std::string_view item_id) {
  const MessageTable& t = Table(lang);
  return Word(t.items, t.item_count, item_id);
}

std::string_view KindWord(Lang lang, std::string_view kind) {
  const MessageTable& t = Table(lang);
  return Word(t.kinds, t.kind_count, kind);
}

std::string PlaceName(Lang lang, const std::string& name) {
  // The Chinese half is the leading run of wide characters; the English half follows a space.
  size_t end = 0;
  while (end < name.size() && IsWide(static_cast<unsigned char>(name[end]))) {
    const unsigned char c = static_cast<unsigned char>(name[end]);
    end += c >= 0xF0 ? 4 : 3;
    while (end < name.size() && (static_cast<unsigned char>(name[end]) & 0xC0) == 0x80) ++end;
  }
  if (end == 0 || end >= name.size() || name[end] != ' ') return name;  // one language only
  const std::string zh = name.substr(0, end);
  const size_t rest = name.find_first_not_of(' ', end);
  if (rest == std::string::npos) return zh;
  return lang == Lang::kEn ? name.substr(rest) : zh;
}

}  // namespace ppe::web
