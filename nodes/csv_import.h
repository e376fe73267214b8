// CsvImport: reads an operator's CSV file of stock counts, receipts and demand into reports.
// All-or-nothing: every row is checked first, and one bad row means nothing is recorded.
#pragma once

#include <string>
#include <vector>

#include "nodes/report_entry.h"

namespace ppe {

struct CsvImportResult {
  std::vector<wire::Report> reports;
  std::vector<std::string> errors;  // "line 7: unknown item 'mask.kn95' ..."
};

// Header required (columns in any order): type,place,item,quantity,daily_use,source,from.
CsvImportResult ImportCsv(const std::string& path, const ReportEntry& entry);

// Splits one CSV record (RFC 4180 quoting) into fields.
std::vector<std::string> SplitCsvLine(const std::string& line);

}  // namespace ppe
