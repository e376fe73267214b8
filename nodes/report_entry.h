// ReportEntry: turns what an operator typed (command line or CSV row) into a report, checked
// against the city file by the broker's own rules, so a bad figure is refused before it is queued.
#pragma once

#include <optional>
#include <string>

#include "common/city.h"
#include "common/identity.h"
#include "common/report_validator.h"
#include "ppe.pb.h"

namespace ppe {

class ReportEntry {
 public:
  ReportEntry(const City& city, Identity node) : city_(city), node_(std::move(node)), validator_(city) {}

  // Each returns the report, or an error naming the problem and how to fix it.
  Result<wire::Report> Stock(const std::string& warehouse, const std::string& item,
                             const std::string& quantity) const;
  Result<wire::Report> Receipt(const std::string& warehouse, const std::string& item,
                               const std::string& quantity, const std::string& source,
                               const std::string& from,
                               const std::string& reference = "") const;
  // daily_use empty: headcount x the item's per-head daily use.
  Result<wire::Report> Demand(const std::string& site, const std::string& item,
                              const std::string& on_hand, const std::string& daily_use) const;

 private:
  Result<wire::Report> Finish(wire::Report report) const;
  std::string Hint(const Refusal& refusal) const;

  const City& city_;
  Identity node_;
  ReportValidator validator_;
};

// Parses a whole non-negative number as an operator writes it ("5000", " 12 "); names `what` on error.
Result<int64_t> ParseQuantity(const std::string& what, const std::string& text);


}  // namespace ppe
