// EntryError: an operator's mistake at the node as data: which field it is in, what is wrong, and
// the figures the sentence needs, so the county page says it in Chinese or English beside the field.
#pragma once

#include <string>
#include <vector>

#include "common/status.h"

namespace ppe {

// Where the mistake is: the form field (a CSV row's column) the page shows it next to.
enum class EntryField {
  kNone, kPlace, kItem, kQuantity, kDailyUse, kAsOf, kSource, kFrom, kReference, kLot, kExpires,
  kConfirm, kOrder, kReason, kFile,
};

// What is wrong. The comment names the arguments, in order; the commands print the English
// sentence of Status, the page its own words from its message tables.
enum class EntryProblem {
  kMissing,            // (none): a figure is required
  kNegative,           // figure
  kNotWhole,           // text
  kTooLarge,           // figure
  kNotNumber,          // text (a daily use)
  kBadText,            // (none): not UTF-8, a line break or control character, or too long
  kBadTime,            // text (not 'YYYY-MM-DD HH:MM')
  kFutureTime,         // as of, this node's now
  kBadDate,            // text (not YYYY-MM-DD, or a year out of range)
  kUnknownWarehouse,   // id
  kUnknownSite,        // id
  kUnknownItem,        // id
  kNotYourCounty,      // id
  kBadQuantity,        // (none): beyond the broker's limits in another way than the two below
  kZeroReceipt,        // (none): a receipt of 0 units
  kBeyondLimit,        // figure, the broker's limit
  kRefused,            // (none): another refusal by the broker's rules (the English text says which)
  kNotSource,          // text
  kDonorNeeded,        // (none)
  kCountOrder,         // as of, the last count's as of
  // Asked for confirmation (confirmable()): the figure is recorded once the operator confirms it.
  kImplausibleCount,   // figure, last figure
  kImplausibleUse,     // daily use, last daily use
  kImplausibleBoth,    // figure, last figure, daily use, last daily use
  kExpired,            // expiry date
  // Order steps.
  kUnknownOrder,       // order id
  kNotYourOrder,       // order id, the county that takes this step
  kStepTooLate,        // order id, its status ("shipped", "received" ...), the step ("ship" ...)
  kUnknownStatus,      // order id, status
  kReasonNeeded,       // (none)
  // CSV files.
  kCsvUnreadable,      // (none)
  kCsvTooBig,          // size in MB, limit in MB
  kCsvEncoding,        // (none): neither UTF-8, GBK/GB18030 nor UTF-16 with a byte-order mark
  kCsvQuote,           // (none): a quote never closed (the line says where)
  kCsvEmpty,           // (none)
  kCsvHeader,          // the missing column
  kCsvFieldCount,      // fields in the row, fields in the header (more in the row)
  kCsvFieldsMissing,   // fields in the row, fields in the header (fewer in the row)
  kCsvType,            // type
  kCsvLotOnCount,      // type
  kCsvAsOfOnReceipt,   // (none)
  kCsvConfirm,         // text
  kCsvNoRows,          // (none)
};

struct EntryError {
  EntryField field = EntryField::kNone;
  EntryProblem problem = EntryProblem::kRefused;
  std::vector<std::string> args;
  size_t line = 0;  // a CSV row's line, from 1; 0 for a form or the file as a whole

  // A figure that may be right: the operator is asked to confirm it, and nothing else is wrong.
  bool confirmable() const {
    return problem == EntryProblem::kImplausibleCount || problem == EntryProblem::kImplausibleUse ||
           problem == EntryProblem::kImplausibleBoth || problem == EntryProblem::kExpired;
  }
};

// Fills *why (when asked for) and returns the English sentence as the error: the one line every
// check ends with, so the words and the data can never tell different stories.
inline Status Wrong(EntryError* why, EntryField field, EntryProblem problem, std::vector<std::string> args,
                    std::string text) {
  if (why) *why = EntryError{field, problem, std::move(args), 0};
  return Status::Error(std::move(text));
}

}  // namespace ppe
