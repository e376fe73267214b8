// ReportValidator: decides whether one report from an identity may be applied, before anything is
// stored. A refusal carries an error code and a text that names the problem.
#pragma once

#include <string>

#include "common/identity.h"
#include "common/city.h"
#include "ppe.pb.h"

namespace ppe {

struct Refusal {
  wire::ErrorCode code = wire::ERROR_UNSPECIFIED;
  std::string text;
  bool refused() const { return code != wire::ERROR_UNSPECIFIED; }
};

// Largest count or quantity one report may carry: no county holds ten billion of anything.
inline constexpr int64_t kMaxQuantity = 10'000'000'000;
inline constexpr double kMaxDailyUse = 100'000'000;
// Free text (a donor, a reference, a reason), in characters: 200 Chinese characters are 600 bytes.
inline constexpr size_t kMaxTextLength = 200;
// Warehouse, site and item ids: the city file's are a few dozen characters.
inline constexpr size_t kMaxIdLength = 128;

class ReportValidator {
 public:
  explicit ReportValidator(const City& city) : city_(city) {}

  // Stock counts, receipts and demand (order steps are checked by the order book).
  Refusal Check(const Identity& who, const wire::Report& report) const;

 private:
  Refusal CheckWarehouse(const Identity& who, const std::string& warehouse) const;
  Refusal CheckSite(const Identity& who, const std::string& site) const;
  Refusal CheckItem(const std::string& item) const;

  const City& city_;
};

}  // namespace ppe
