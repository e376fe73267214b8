#include "common/table.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "common/text_encoding.h"

namespace ppe {
namespace {

// Display width of UTF-8 text: CJK characters take two columns in a terminal.
size_t DisplayWidth(const std::string& s) {
  size_t width = 0;
  for (size_t i = 0; i < s.size();) {
    const unsigned char c = s[i];
    if (c < 0x80) {
      ++width;
      ++i;
    } else if ((c & 0xE0) == 0xC0) {
      ++width;
      i += 2;
    } else if ((c & 0xF0) == 0xE0) {
      width += 2;
      i += 3;
    } else {
      width += 2;
      i += 4;
    }
  }
  return width;
}

std::string HeaderOf(const Column& c) { return EscapeControl(c.header.empty() ? c.key : c.header); }

bool IsNumeric(const nlohmann::json& v) { return v.is_number(); }

}  // namespace

std::string CellText(const nlohmann::json& value) {
  if (value.is_null()) return "-";
  // Escaped: a line break would forge a row, an escape code would drive the terminal.
  if (value.is_string()) return EscapeControl(value.get<std::string>());
  if (value.is_boolean()) return value.get<bool>() ? "yes" : "no";
  if (value.is_number_float()) {
    const double d = value.get<double>();
    if (std::isinf(d)) return "inf";
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.1f", d);
    return buf;
  }
  return value.dump();
}

void PrintTable(std::ostream& out, const nlohmann::json& rows, const std::vector<Column>& columns) {
  std::vector<size_t> widths;
  for (const Column& c : columns) widths.push_back(DisplayWidth(HeaderOf(c)));
  std::vector<std::vector<std::string>> cells;
  for (const auto& row : rows) {
    std::vector<std::string> line;
    for (size_t i = 0; i < columns.size(); ++i) {
      line.push_back(CellText(row.value(columns[i].key, nlohmann::json())));
      widths[i] = std::max(widths[i], DisplayWidth(line.back()));
    }
    cells.push_back(std::move(line));
  }
  auto pad = [&out](const std::string& text, size_t width, bool right) {
    const std::string fill(width - DisplayWidth(text), ' ');
    out << (right ? fill + text : text + fill);
  };
  for (size_t i = 0; i < columns.size(); ++i) {
    pad(HeaderOf(columns[i]), widths[i], false);
    out << (i + 1 < columns.size() ? "  " : "\n");
  }
  for (size_t i = 0; i < columns.size(); ++i) {
    out << std::string(widths[i], '-') << (i + 1 < columns.size() ? "  " : "\n");
  }
  size_t r = 0;
  for (const auto& row : rows) {
    for (size_t i = 0; i < columns.size(); ++i) {
      pad(cells[r][i], widths[i], IsNumeric(row.value(columns[i].key, nlohmann::json())));
      out << (i + 1 < columns.size() ? "  " : "\n");
    }
    ++r;
  }
}

// RFC 4180: a cell holding a comma, a quote or a line break is quoted, its quotes doubled. A line
// break (\n) stays as it is inside the quotes, where every spreadsheet reads it as part of the
// cell; every other control character (a carriage return, which would overwrite the line on a
// terminal, a tab, ESC, ...) and any byte that is not UTF-8 is escaped as EscapeControl shows it,
// so CSV printed to a terminal drives nothing.
void PrintCsv(std::ostream& out, const nlohmann::json& rows, const std::vector<Column>& columns) {
  auto field = [&out](const std::string& raw) {
    std::string text;
    for (size_t start = 0; start <= raw.size();) {
      const size_t end = std::min(raw.find('\n', start), raw.size());
      text += EscapeControl(std::string_view(raw).substr(start, end - start));
      if (end < raw.size()) text += '\n';
      start = end + 1;
    }
    if (text.find_first_of(",\"\n") == std::string::npos) {
      out << text;
      return;
    }
    out << '"';
    for (char c : text) out << (c == '"' ? "\"\"" : std::string(1, c));
    out << '"';
  };
  for (size_t i = 0; i < columns.size(); ++i) {
    field(columns[i].key);
    out << (i + 1 < columns.size() ? "," : "\n");
  }
  for (const auto& row : rows) {
    for (size_t i = 0; i < columns.size(); ++i) {
      const auto& v = row.value(columns[i].key, nlohmann::json());
      field(v.is_null() ? "" : v.is_string() ? v.get<std::string>() : v.dump());
      out << (i + 1 < columns.size() ? "," : "\n");
    }
  }
}

}  // namespace ppe
