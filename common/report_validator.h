// ReportValidator: decides whether one report from an identity may be applied, before anything is
// stored. A refusal carries an error code and a text that names the problem.
#pragma once

#include <string>

#include "common/identity.h"
#include "common/city.h"
#include "common/status.h"
#include "ppe.pb.h"

namespace ppe {

struct Refusal {
  wire::ErrorCode code = wire::ERROR_UNSPECIFIED;
  std::string text;
  bool refused() const { return code != wire::ERROR_UNSPECIFIED; }
};

// Largest count or quantity one report may carry: no county holds ten billion of anything.
inline constexpr int64_t kMaxQuantity = 10'000'000'000;
// Most units of one item one warehouse may hold: a receipt that would take its stock past this is
// refused (BAD_QUANTITY), so stock and ledger sums stay far from int64's 9.2e18 and never wrap,
// however many receipts a hostile key sends.
inline constexpr int64_t kMaxWarehouseStock = 1'000'000'000'000;
inline constexpr double kMaxDailyUse = 100'000'000;
// Free text (a donor, a reference, a reason), in characters: 200 Chinese characters are 600 bytes.
inline constexpr size_t kMaxTextLength = 200;
// Warehouse, site and item ids: the city file's are a few dozen characters.
inline constexpr size_t kMaxIdLength = 128;
// The years a receipt's expiry date may fall in: masks and gowns carry dates a few years out, so
// a year outside these is a slip (1920 for 2020, 2202 for 2022), never a real box.
inline constexpr int kEarliestExpiryYear = 2000;
inline constexpr int kLatestExpiryYear = 2100;

// A receipt's expiry date (Receipt.expires): empty (undated), or a real calendar date written
// YYYY-MM-DD in kEarliestExpiryYear..kLatestExpiryYear. The error shows the text and how to write
// it. Whether the date has passed is the node's question to its operator, not a wire rule: a
// receipt recorded offline may reach the broker after its batch expired, and must still apply.
Status CheckExpiryDate(const std::string& expires);

// The "5000 instead of 500" slip: a count or on-hand figure over 100x the last one for the same
// place and item (and at least 1000) is refused unless the operator confirmed it. The node asks
// the operator; the broker checks again, so a client that skips the question gains nothing.
bool Implausible(int64_t previous, int64_t figure);
// The same slip in a site's daily use, which moves the allocation more than any count: over 10x
// the last daily use for the same site and item (when there was one above 0) is refused unless
// confirmed (exactly 10x passes). The node asks; the broker checks again, as for Implausible.
bool ImplausibleDailyUse(double previous, double daily_use);

class ReportValidator {
 public:
  explicit ReportValidator(const City& city) : city_(city) {}

  // Stock counts, receipts and demand (order steps are checked by the order book; here only their
  // text). Every id and text must be valid UTF-8 without control characters (MALFORMED, naming
  // the field, its value shown escaped), so nothing a report carries can forge a line in a log,
  // a table or a terminal; every refusal text echoes ids escaped (EscapeControl).
  Refusal Check(const Identity& who, const wire::Report& report) const;

 private:
  Refusal CheckWarehouse(const Identity& who, const std::string& warehouse) const;
  Refusal CheckSite(const Identity& who, const std::string& site) const;
  Refusal CheckItem(const std::string& item) const;

  const City& city_;
};

}  // namespace ppe
