#include "nodes/csv_import.h"

#include <cctype>
#include <fstream>
#include <map>
#include <sstream>

#include "common/text_encoding.h"

namespace ppe {
namespace {

constexpr const char* kExpectedHeader =
    "type,place,item,quantity,daily_use,source,from; optional: reference, as_of, confirm, lot, expires";
constexpr const char* kHowToConfirm =
    "import again with --confirm (it confirms every flagged row), or write yes in this row's confirm column";
constexpr size_t kMaxErrors = 100;
constexpr size_t kMaxFileBytes = size_t{256} << 20;  // a county's year of rows is a few MB

bool IsBlank(const CsvRecord& record) {
  for (const std::string& f : record.fields) {
    if (f.find_first_not_of(" \t") != std::string::npos) return false;
  }
  return true;
}

// The confirm column as people fill it in a spreadsheet. Anything but yes or no (or empty) is
// refused: a row confirmed by a stray "?" would pass a slip the check exists to catch.
Result<bool> ParseConfirm(const std::string& text) {
  std::string word;
  for (char c : text) {
    if (c != ' ' && c != '\t' && c != '\r') word += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  if (word == "yes" || word == "y" || word == "1" || word == "true") return true;
  if (word.empty() || word == "no" || word == "n" || word == "0" || word == "false") return false;
  return Status::Error("confirm '" + EscapeControl(text) +
                       "' is neither yes nor no; write yes to confirm this row's figures, or leave it empty");
}

}  // namespace

Result<std::vector<CsvRecord>> ParseCsv(const std::string& text) {
  std::vector<CsvRecord> records;
  size_t line = 1;
  size_t quote_line = 0;  // where the open quote started
  bool quoted = false;
  bool field_started = false;  // something (or a quote) was seen in the current field
  CsvRecord record{1, {std::string()}};
  auto end_record = [&]() {
    records.push_back(std::move(record));
    record = CsvRecord{line, {std::string()}};
    field_started = false;
  };
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        record.fields.back() += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        if (c == '\n') ++line;
        record.fields.back() += c;
      }
      continue;
    }
    switch (c) {
      case '"':
        quoted = true;
        quote_line = line;
        field_started = true;
        break;
      case ',':
        record.fields.emplace_back();
        field_started = false;
        break;
      case '\r':
        if (i + 1 < text.size() && text[i + 1] == '\n') break;  // CRLF: the \n ends the record
        [[fallthrough]];
      case '\n':
        ++line;
        end_record();
        break;
      default:
        record.fields.back() += c;
        field_started = true;
    }
  }
  if (quoted) {
    return Status::Error("line " + std::to_string(quote_line) +
                         ": a quote (\") opens a field that is never closed; every quoted field "
                         "needs its closing quote");
  }
  if (record.fields.size() > 1 || !record.fields[0].empty() || field_started) end_record();
  return records;
}

CsvImportResult ImportCsv(const std::string& path, const ReportEntry& entry, const LastFigureLookup& last,
                          bool confirm_all) {
  CsvImportResult result;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    result.errors.push_back("cannot read '" + path + "'");
    return result;
  }
  std::ostringstream raw;
  raw << in.rdbuf();
  const std::string bytes = raw.str();
  if (bytes.size() > kMaxFileBytes) {
    result.errors.push_back("'" + path + "' is " + std::to_string(bytes.size() >> 20) +
                            " MB; split it into files under " + std::to_string(kMaxFileBytes >> 20) + " MB");
    return result;
  }
  auto decoded = DecodeText(bytes, "'" + path + "'");
  if (!decoded.ok()) {
    result.errors.push_back(decoded.status().message());
    return result;
  }
  result.encoding = TextEncodingName(decoded->encoding);
  auto records = ParseCsv(decoded->utf8);
  if (!records.ok()) {
    result.errors.push_back(records.status().message());
    return result;
  }
  size_t first = 0;
  while (first < records->size() && IsBlank((*records)[first])) ++first;
  if (first == records->size()) {
    result.errors.push_back("'" + path + "' is empty; it needs the header " + std::string(kExpectedHeader));
    return result;
  }
  const CsvRecord& header = (*records)[first];
  std::map<std::string, size_t> column;
  for (size_t i = 0; i < header.fields.size(); ++i) {
    std::string name = header.fields[i];
    const size_t b = name.find_first_not_of(' ');
    name = b == std::string::npos ? "" : name.substr(b, name.find_last_not_of(' ') - b + 1);
    column[name] = i;
  }
  for (const char* required : {"type", "place", "item", "quantity"}) {
    if (!column.count(required)) {
      const bool tabs = header.fields.size() == 1 && header.fields[0].find('\t') != std::string::npos;
      result.errors.push_back("line " + std::to_string(header.line) + ": header lacks column '" +
                              std::string(required) + "' (expected " + kExpectedHeader + ")" +
                              (tabs ? "; its columns are separated by tabs: save the file as CSV, "
                                      "comma-separated (逗号分隔)"
                                    : ""));
      return result;
    }
  }
  const size_t width = header.fields.size();
  // The rows of this file so far, by place and item: a row's previous figure is the latest of
  // them, before the store's.
  std::map<std::pair<std::string, std::string>, LastFigure> file_last;
  for (size_t r = first + 1; r < records->size(); ++r) {
    const CsvRecord& row = (*records)[r];
    if (IsBlank(row)) continue;
    const std::string where = "line " + std::to_string(row.line) + ": ";
    auto fail = [&](const std::string& message) {
      if (result.errors.size() < kMaxErrors) result.errors.push_back(where + message);
    };
    if (row.fields.size() != width) {
      fail("has " + std::to_string(row.fields.size()) + " fields but the header has " +
           std::to_string(width) +
           (row.fields.size() > width
                ? "; a number written with a thousands comma (1,000) must be quoted (\"1,000\") or "
                  "written 1000"
                : "; fill in the missing fields (empty ones may stay empty, but their commas must be there)"));
      continue;
    }
    auto get = [&](const char* name) {
      auto it = column.find(name);
      return it != column.end() ? row.fields[it->second] : std::string();
    };
    const std::string type = get("type");
    Result<wire::Report> report = Status::Error("type '" + type + "' is not one of stock, receipt, demand");
    const auto filled = [&](const char* name) { return get(name).find_first_not_of(" \t") != std::string::npos; };
    if ((type == "stock" || type == "demand") && (filled("lot") || filled("expires"))) {
      // Dropped silently, a lot typed into the wrong row would be a box no one can trace.
      report = Status::Error("lot and expires are for receipt rows (the batch that came in); a " + type +
                             " row counts what is there: leave its lot and expires empty");
    } else if (type == "receipt") {
      report = filled("as_of")
                   ? Status::Error("as_of is for stock and demand rows; a receipt counts from when it is "
                                   "recorded: leave its as_of empty")
                   : entry.Receipt(get("place"), get("item"), get("quantity"), get("source"), get("from"),
                                   get("reference"), get("lot"), get("expires"));
    } else if (type == "stock") {
      report = entry.Stock(get("place"), get("item"), get("quantity"), get("as_of"));
    } else if (type == "demand") {
      report = entry.Demand(get("place"), get("item"), get("quantity"), get("daily_use"), get("as_of"));
    }
    const Result<bool> row_confirmed = ParseConfirm(get("confirm"));
    if (!report.ok() || !row_confirmed.ok()) {
      fail((report.ok() ? row_confirmed.status() : report.status()).message());
      continue;
    }
    if (report->has_stock() || report->has_demand()) {
      const auto key = PlaceAndItem(*report);
      auto earlier = file_last.find(key);
      const std::optional<LastFigure> previous =
          earlier != file_last.end() ? std::optional<LastFigure>(earlier->second) : last(key.first, key.second);
      if (Status s = CheckCountOrder(*report, previous); !s.ok()) {
        fail(s.message());
        continue;
      }
      // The row's figure stands for the rows after it even while it waits for confirmation: once
      // confirmed, they are checked against it, so every error shows in this one pass.
      file_last[key] = FigureOf(*report);
      const Status plausible = CheckPlausible(*report, previous, *row_confirmed, kHowToConfirm);
      if (!plausible.ok() && !confirm_all) {
        fail(plausible.message());
        continue;
      }
      report->set_confirmed(*row_confirmed || !plausible.ok());
    }
    if (report->has_receipt()) {
      const Status fresh = CheckExpired(*report, *row_confirmed, kHowToConfirm);
      if (!fresh.ok() && !confirm_all) {
        fail(fresh.message());
        continue;
      }
      report->set_confirmed(*row_confirmed || !fresh.ok());
    }
    result.reports.push_back(std::move(*report));
  }
  if (!result.errors.empty()) result.reports.clear();  // all or nothing
  return result;
}

}  // namespace ppe
