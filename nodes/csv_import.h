// CsvImport: reads an operator's CSV file of stock counts, receipts and demand into reports.
// All-or-nothing: every row is checked first, and one bad row means nothing is recorded.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "nodes/report_entry.h"

namespace ppe {

struct CsvImportResult {
  std::vector<wire::Report> reports;
  std::vector<std::string> errors;  // "line 7: unknown item 'mask.kn95' ..."
  std::vector<EntryError> problems; // the same, one for one, as data (with the line) for the page
  std::string encoding;             // what the file was in ("UTF-8", "GBK/GB18030", ...)
};

// The last figure this node recorded for a place and item (NodeStore::Last), if any.
using LastFigureLookup =
    std::function<std::optional<LastFigure>(const std::string& place, const std::string& item)>;

// Header required (columns in any order): type,place,item,quantity,daily_use,source,from, and
// optionally reference, as_of (when a stock or demand count was taken; empty: now), confirm
// (yes, y, 1 or true: the operator confirms this row's implausible figures, or its batch's
// passed expiry date), and lot and expires (a receipt's lot number and expiry date, YYYY-MM-DD;
// refused in other rows). The file may be
// UTF-8 (with or without a byte-order mark), GBK/GB18030 or UTF-16 with a byte-order mark
// (converted), with CRLF line ends and quoted fields; every row must have as many fields as the
// header.
//
// Each stock and demand row is checked as the command line checks one (CheckCountOrder,
// CheckPlausible) against the latest earlier row of the file for its place and item, else `last`;
// each receipt row as the command line checks one (CheckExpired). confirm_all (--confirm)
// confirms every row flagged as implausible or expired; a confirmed row's report says so
// (confirmed), for the broker, which checks again.
CsvImportResult ImportCsv(const std::string& path, const ReportEntry& entry, const LastFigureLookup& last,
                          bool confirm_all);
// The same for a file's bytes (an upload); `name` is how errors call the file ("'counts.csv'").
CsvImportResult ImportCsvBytes(const std::string& bytes, const std::string& name, const ReportEntry& entry,
                               const LastFigureLookup& last, bool confirm_all);

// One CSV record (RFC 4180: quoted fields may hold commas, doubled quotes and line breaks).
struct CsvRecord {
  size_t line = 0;  // the line it starts on, from 1
  std::vector<std::string> fields;
};

// Splits decoded text into records; an error names the line of a quote that is never closed (and
// `why`, when given, says so as data).
Result<std::vector<CsvRecord>> ParseCsv(const std::string& text, EntryError* why = nullptr);

}  // namespace ppe
