#include "nodes/csv_import.h"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <map>
#include <sstream>

#include "common/clock.h"
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
Result<bool> ParseConfirm(const std::string& text, EntryError* why) {
  std::string word;
  for (char c : text) {
    if (c != ' ' && c != '\t' && c != '\r') word += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  if (word == "yes" || word == "y" || word == "1" || word == "true") return true;
  if (word.empty() || word == "no" || word == "n" || word == "0" || word == "false") return false;
  return Wrong(why, EntryField::kConfirm, EntryProblem::kCsvConfirm, {EscapeControl(text)},
               "confirm '" + EscapeControl(text) +
                   "' is neither yes nor no; write yes to confirm this row's figures, or leave it empty");
}

}  // namespace

Result<std::vector<CsvRecord>> ParseCsv(const std::string& text, EntryError* why) {
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
    if (why) *why = EntryError{EntryField::kFile, EntryProblem::kCsvQuote, {}, quote_line};
    return Status::Error("line " + std::to_string(quote_line) +
                         ": a quote (\") opens a field that is never closed; every quoted field "
                         "needs its closing quote");
  }
  if (record.fields.size() > 1 || !record.fields[0].empty() || field_started) end_record();
  return records;
}

CsvImportResult ImportCsv(const std::string& path, const ReportEntry& entry, const LastFigureLookup& last,
                          bool confirm_all) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    CsvImportResult result;
    result.errors.push_back("cannot read '" + path + "'");
    result.problems.push_back({EntryField::kFile, EntryProblem::kCsvUnreadable, {}, 0});
    return result;
  }
  std::ostringstream raw;
  raw << in.rdbuf();
  return ImportCsvBytes(raw.str(), path, entry, last, confirm_all);
}

CsvImportResult ImportCsvBytes(const std::string& bytes, const std::string& path, const ReportEntry& entry,
                               const LastFigureLookup& last, bool confirm_all) {
  CsvImportResult result;
  // Every error of the file as a whole: its sentence and its data, together.
  const auto file_error = [&](const std::string& text, EntryError why) {
    result.errors.push_back(text);
    result.problems.push_back(std::move(why));
  };
  if (bytes.size() > kMaxFileBytes) {
    file_error("'" + path + "' is " + std::to_string(bytes.size() >> 20) + " MB; split it into files under " +
                   std::to_string(kMaxFileBytes >> 20) + " MB",
               {EntryField::kFile, EntryProblem::kCsvTooBig,
                {std::to_string(bytes.size() >> 20), std::to_string(kMaxFileBytes >> 20)}, 0});
    return result;
  }
  auto decoded = DecodeText(bytes, "'" + path + "'");
  if (!decoded.ok()) {
    file_error(decoded.status().message(), {EntryField::kFile, EntryProblem::kCsvEncoding, {}, 0});
    return result;
  }
  result.encoding = TextEncodingName(decoded->encoding);
  EntryError quote;
  auto records = ParseCsv(decoded->utf8, &quote);
  if (!records.ok()) {
    file_error(records.status().message(), quote);
    return result;
  }
  size_t first = 0;
  while (first < records->size() && IsBlank((*records)[first])) ++first;
  if (first == records->size()) {
    file_error("'" + path + "' is empty; it needs the header " + std::string(kExpectedHeader),
               {EntryField::kFile, EntryProblem::kCsvEmpty, {}, 0});
    return result;
  }
  const CsvRecord& header = (*records)[first];
  std::map<std::string, size_t> column;
  for (size_t i = 0; i < header.fields.size(); ++i) {
    std::string name = header.fields[i];
    const size_t b = name.find_first_not_of(' ');
    name = b == std::string::npos ? "" : name.substr(b, name.find_last_not_of(' ') - b + 1);
    // "Type" or "PLACE" as someone typed the header by hand is the same column.
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
    column[name] = i;
  }
  for (const char* required : {"type", "place", "item", "quantity"}) {
    if (!column.count(required)) {
      const bool tabs = header.fields.size() == 1 && header.fields[0].find('\t') != std::string::npos;
      file_error("line " + std::to_string(header.line) + ": header lacks column '" + std::string(required) +
                     "' (expected " + kExpectedHeader + ")" +
                     (tabs ? "; its columns are separated by tabs: save the file as CSV, comma-separated (逗号分隔)"
                           : ""),
                 {EntryField::kFile, EntryProblem::kCsvHeader, {required}, header.line});
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
    EntryError why;
    auto fail = [&](const std::string& message) {
      if (result.errors.size() < kMaxErrors) {
        result.errors.push_back(where + message);
        why.line = row.line;
        result.problems.push_back(why);
      }
    };
    if (row.fields.size() != width) {
      why = {EntryField::kNone,
             row.fields.size() > width ? EntryProblem::kCsvFieldCount : EntryProblem::kCsvFieldsMissing,
             {std::to_string(row.fields.size()), std::to_string(width)}, 0};
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
    Result<wire::Report> report = Wrong(&why, EntryField::kNone, EntryProblem::kCsvType, {EscapeControl(type)},
                                        "type '" + type + "' is not one of stock, receipt, demand");
    const auto filled = [&](const char* name) { return get(name).find_first_not_of(" \t") != std::string::npos; };
    if ((type == "stock" || type == "demand") && (filled("lot") || filled("expires"))) {
      // Dropped silently, a lot typed into the wrong row would be a box no one can trace.
      report = Wrong(&why, filled("lot") ? EntryField::kLot : EntryField::kExpires, EntryProblem::kCsvLotOnCount,
                     {type},
                     "lot and expires are for receipt rows (the batch that came in); a " + type +
                         " row counts what is there: leave its lot and expires empty");
    } else if (type == "receipt") {
      report = filled("as_of")
                   ? Wrong(&why, EntryField::kAsOf, EntryProblem::kCsvAsOfOnReceipt, {},
                           "as_of is for stock and demand rows; a receipt counts from when it is "
                           "recorded: leave its as_of empty")
                   : entry.Receipt(get("place"), get("item"), get("quantity"), get("source"), get("from"),
                                   get("reference"), get("lot"), get("expires"), &why);
    } else if (type == "stock") {
      report = entry.Stock(get("place"), get("item"), get("quantity"), get("as_of"), &why);
    } else if (type == "demand") {
      report = entry.Demand(get("place"), get("item"), get("quantity"), get("daily_use"), get("as_of"), &why);
    }
    EntryError confirm_why;
    const Result<bool> row_confirmed = ParseConfirm(get("confirm"), &confirm_why);
    if (report.ok() && !row_confirmed.ok()) why = confirm_why;
    if (!report.ok() || !row_confirmed.ok()) {
      fail((report.ok() ? row_confirmed.status() : report.status()).message());
      continue;
    }
    if (report->has_stock() || report->has_demand()) {
      const auto key = PlaceAndItem(*report);
      auto earlier = file_last.find(key);
      const std::optional<LastFigure> previous =
          earlier != file_last.end() ? std::optional<LastFigure>(earlier->second) : last(key.first, key.second);
      if (Status s = CheckCountOrder(*report, previous, &why); !s.ok()) {
        fail(s.message());
        continue;
      }
      // The row's figure stands for the rows after it even while it waits for confirmation: once
      // confirmed, they are checked against it, so every error shows in this one pass.
      file_last[key] = FigureOf(*report);
      const Status plausible = CheckPlausible(*report, previous, *row_confirmed, kHowToConfirm, &why);
      if (!plausible.ok() && !confirm_all) {
        fail(plausible.message());
        continue;
      }
      report->set_confirmed(*row_confirmed || !plausible.ok());
    }
    if (report->has_receipt()) {
      const Status fresh = CheckExpired(*report, *row_confirmed, kHowToConfirm, NowMs(), &why);
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
