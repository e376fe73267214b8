// Table: what read commands print for people (aligned columns) and for spreadsheets (RFC 4180 CSV).
// Rows come as JSON objects, so --json, the table and the CSV always show the same fields.
#pragma once

#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <vector>

namespace ppe {

struct Column {
  std::string key;     // field of the JSON row
  std::string header;  // what people see; empty: the key
};

// A cell as text: fractions to one decimal, booleans as yes/no, null as "-".
std::string CellText(const nlohmann::json& value);

void PrintTable(std::ostream& out, const nlohmann::json& rows, const std::vector<Column>& columns);
void PrintCsv(std::ostream& out, const nlohmann::json& rows, const std::vector<Column>& columns);

}  // namespace ppe
