#include "common/report_validator.h"

#include <cmath>

#include "common/text_encoding.h"

namespace ppe {
namespace {

Refusal Refuse(wire::ErrorCode code, std::string text) { return Refusal{code, std::move(text)}; }

Refusal CheckQuantity(const char* what, int64_t quantity, bool zero_allowed) {
  if (quantity < 0) return Refuse(wire::BAD_QUANTITY, std::string(what) + " is negative");
  if (quantity == 0 && !zero_allowed) return Refuse(wire::BAD_QUANTITY, std::string(what) + " is zero");
  if (quantity > kMaxQuantity) {
    return Refuse(wire::BAD_QUANTITY, std::string(what) + " " + std::to_string(quantity) +
                                          " is beyond any real stock (max " +
                                          std::to_string(kMaxQuantity) + ")");
  }
  return {};
}

}  // namespace

Refusal ReportValidator::CheckItem(const std::string& item) const {
  if (!city_.FindItem(item)) return Refuse(wire::UNKNOWN_ITEM, "unknown item '" + item + "'");
  return {};
}

Refusal ReportValidator::CheckWarehouse(const Identity& who, const std::string& warehouse) const {
  const Warehouse* w = city_.FindWarehouse(warehouse);
  if (!w) return Refuse(wire::UNKNOWN_WAREHOUSE, "unknown warehouse '" + warehouse + "'");
  if (w->county != who.county) {
    return Refuse(wire::NOT_YOUR_COUNTY, "warehouse '" + warehouse + "' belongs to " + w->county +
                                             ", not to " + who.county);
  }
  return {};
}

Refusal ReportValidator::CheckSite(const Identity& who, const std::string& site) const {
  const Site* s = city_.FindSite(site);
  if (!s) return Refuse(wire::UNKNOWN_SITE, "unknown site '" + site + "'");
  if (s->county != who.county) {
    return Refuse(wire::NOT_YOUR_COUNTY,
                  "site '" + site + "' belongs to " + s->county + ", not to " + who.county);
  }
  return {};
}

Refusal ReportValidator::Check(const Identity& who, const wire::Report& report) const {
  if (who.role != Role::kNode) {
    return Refuse(wire::FORBIDDEN, std::string("a ") + RoleName(who.role) + " key cannot report");
  }
  Refusal r;
  switch (report.body_case()) {
    case wire::Report::kStock: {
      const auto& m = report.stock();
      if ((r = CheckWarehouse(who, m.warehouse())).refused()) return r;
      if ((r = CheckItem(m.item())).refused()) return r;
      return CheckQuantity("stock count", m.quantity(), true);
    }
    case wire::Report::kReceipt: {
      const auto& m = report.receipt();
      if ((r = CheckWarehouse(who, m.warehouse())).refused()) return r;
      if ((r = CheckItem(m.item())).refused()) return r;
      if ((r = CheckQuantity("receipt quantity", m.quantity(), false)).refused()) return r;
      if (!wire::ReceiptSource_IsValid(m.source()) || m.source() == wire::SOURCE_UNSPECIFIED) {
        return Refuse(wire::MALFORMED, "receipt source must be production, donation or transfer");
      }
      if (Utf8Length(m.from()) > kMaxTextLength || Utf8Length(m.reference()) > kMaxTextLength) {
        return Refuse(wire::MALFORMED, "receipt 'from' or reference longer than " +
                                           std::to_string(kMaxTextLength) + " characters");
      }
      return {};
    }
    case wire::Report::kDemand: {
      const auto& m = report.demand();
      if ((r = CheckSite(who, m.site())).refused()) return r;
      if ((r = CheckItem(m.item())).refused()) return r;
      if ((r = CheckQuantity("on-hand", m.on_hand(), true)).refused()) return r;
      if (!std::isfinite(m.daily_use()) || m.daily_use() < 0 || m.daily_use() > kMaxDailyUse) {
        return Refuse(wire::BAD_QUANTITY, "daily use must be between 0 and " +
                                              std::to_string(static_cast<int64_t>(kMaxDailyUse)));
      }
      return {};
    }
    case wire::Report::kOrderStep:
      return {};  // the order book knows the order and checks the step
    case wire::Report::BODY_NOT_SET:
      if (!report.unreadable().empty()) {
        // Set aside at the node: recorded as refused, so the seq is consumed and the stream goes on.
        return Refuse(wire::UNREADABLE, "report " + std::to_string(report.seq()) + " unreadable at the node: " +
                                            TruncateUtf8(report.unreadable(), kMaxTextLength));
      }
      break;
  }
  return Refuse(wire::MALFORMED, "report " + std::to_string(report.seq()) + " has no content");
}

}  // namespace ppe
