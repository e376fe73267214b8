#include "nodes/csv_import.h"

#include <fstream>
#include <map>

namespace ppe {

std::vector<std::string> SplitCsvLine(const std::string& line) {
  std::vector<std::string> fields(1);
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        fields.back() += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        fields.back() += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      fields.emplace_back();
    } else if (c != '\r') {
      fields.back() += c;
    }
  }
  return fields;
}

CsvImportResult ImportCsv(const std::string& path, const ReportEntry& entry) {
  CsvImportResult result;
  std::ifstream in(path);
  if (!in) {
    result.errors.push_back("cannot read '" + path + "'");
    return result;
  }
  std::string line;
  if (!std::getline(in, line)) {
    result.errors.push_back("'" + path + "' is empty; it needs the header " +
                            "type,place,item,quantity,daily_use,source,from");
    return result;
  }
  if (line.rfind("\xEF\xBB\xBF", 0) == 0) line.erase(0, 3);  // spreadsheet byte-order mark
  std::map<std::string, size_t> column;
  const std::vector<std::string> header = SplitCsvLine(line);
  for (size_t i = 0; i < header.size(); ++i) column[header[i]] = i;
  for (const char* required : {"type", "place", "item", "quantity"}) {
    if (!column.count(required)) {
      result.errors.push_back("line 1: header lacks column '" + std::string(required) +
                              "' (expected type,place,item,quantity,daily_use,source,from)");
      return result;
    }
  }
  size_t line_no = 1;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.find_first_not_of(" \t\r,") == std::string::npos) continue;  // blank line
    const std::vector<std::string> f = SplitCsvLine(line);
    auto get = [&](const char* name) {
      auto it = column.find(name);
      return it != column.end() && it->second < f.size() ? f[it->second] : std::string();
    };
    const std::string type = get("type");
    Result<wire::Report> report = Status::Error(
        "type '" + type + "' is not one of stock, receipt, demand");
    if (type == "stock") {
      report = entry.Stock(get("place"), get("item"), get("quantity"));
    } else if (type == "receipt") {
      report = entry.Receipt(get("place"), get("item"), get("quantity"), get("source"), get("from"));
    } else if (type == "demand") {
      report = entry.Demand(get("place"), get("item"), get("quantity"), get("daily_use"));
    }
    if (report.ok()) {
      result.reports.push_back(std::move(*report));
    } else if (result.errors.size() < 100) {
      result.errors.push_back("line " + std::to_string(line_no) + ": " + report.status().message());
    }
  }
  if (!result.errors.empty()) result.reports.clear();  // all or nothing
  return result;
}

}  // namespace ppe
