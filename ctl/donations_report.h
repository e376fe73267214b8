// DonationsReport: the public report of `ppe-ctl donations` as people read it (a table), as a
// spreadsheet (CSV) and as a web page to publish (HTML, Chinese first). Its words are kept here;
// its figures all come from the broker's ledger (DonationsReport on the broker).
#pragma once

#include <nlohmann/json.hpp>

#include <ostream>

namespace ppe {

// One row per donor and receipt, site reached, stock left, stock in transit, loss, and a total
// row saying whether the donor's figures add up. csv: RFC 4180; else an aligned table.
void WriteDonationsCsv(std::ostream& out, const nlohmann::json& report, bool csv);
// A self-contained UTF-8 page (no scripts, no external files).
void WriteDonationsHtml(std::ostream& out, const nlohmann::json& report);

}  // namespace ppe
