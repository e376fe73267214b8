#include "common/report_validator.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "common/clock.h"
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

// A wire value as a refusal may show it: control characters and bytes that are not UTF-8
// escaped (refusals are logged, stored and printed), and cut if huge (the broker's frame reader
// refuses over-long ids unechoed before they get here, but the validator stands on its own).
std::string Shown(const std::string& value) {
  if (value.size() > 4 * kMaxIdLength) return EscapeControl(TruncateUtf8(value, kMaxIdLength)) + "...";
  return EscapeControl(value);
}

struct TextField {
  const char* name;
  const std::string* value;
};

// Every id and free text a report carries.
std::vector<TextField> TextFields(const wire::Report& report) {
  switch (report.body_case()) {
    case wire::Report::kStock:
      return {{"warehouse id", &report.stock().warehouse()}, {"item id", &report.stock().item()}};
    case wire::Report::kReceipt:
      return {{"warehouse id", &report.receipt().warehouse()}, {"item id", &report.receipt().item()},
              {"receipt 'from'", &report.receipt().from()}, {"receipt reference", &report.receipt().reference()},
              {"receipt lot", &report.receipt().lot()}, {"receipt expiry date", &report.receipt().expires()}};
    case wire::Report::kDemand:
      return {{"site id", &report.demand().site()}, {"item id", &report.demand().item()}};
    case wire::Report::kOrderStep:
      return {{"rejection reason", &report.order_step().reason()}};
    case wire::Report::BODY_NOT_SET:
      break;
  }
  return {};
}

// Text that could forge a line in broker.log or a row in 'ppe-ctl log', or drive a terminal, is
// refused whole: no operator types a line break or an escape code into an id or a donor (the
// node's own entry refuses them, CleanLine), so only a buggy or hostile client sends one.
Refusal CheckTexts(const wire::Report& report) {
  for (const TextField& field : TextFields(report)) {
    const char* problem = !IsValidUtf8(*field.value) ? "is not valid UTF-8"
                          : HasControlCharacter(*field.value)
                              ? "holds a control character (a line break, a tab, an escape code, ...)"
                              : nullptr;
    if (problem) {
      return Refuse(wire::MALFORMED, "report " + std::to_string(report.seq()) + ": " + field.name + " " +
                                         problem + ": '" + Shown(*field.value) + "'");
    }
  }
  return {};
}

}  // namespace

Status CheckExpiryDate(const std::string& expires) {
  if (expires.empty()) return Status::Ok();
  auto day = ParseDate(expires);
  if (!day.ok()) return Status::Error("expiry date " + day.status().message());
  // The wire carries just the date: ParseDate forgives spaces around it, which the node trims.
  if (expires.size() != 10) {
    return Status::Error("expiry date '" + EscapeControl(expires) +
                         "' has spaces around it; write just the date, like 2020-06-30");
  }
  const int year = std::stoi(expires.substr(0, 4));
  if (year < kEarliestExpiryYear || year > kLatestExpiryYear) {
    return Status::Error("expiry date " + expires + " is in the year " + std::to_string(year) +
                         ", which no box of PPE carries (they are dated " + std::to_string(kEarliestExpiryYear) +
                         " to " + std::to_string(kLatestExpiryYear) + "); check the year printed on the box");
  }
  return Status::Ok();
}

bool Implausible(int64_t previous, int64_t figure) {
  return figure >= 1000 && figure > 100 * std::max<int64_t>(previous, 1);
}

bool ImplausibleDailyUse(double previous, double daily_use) { return previous > 0 && daily_use > 10 * previous; }

Refusal ReportValidator::CheckItem(const std::string& item) const {
  if (!city_.FindItem(item)) return Refuse(wire::UNKNOWN_ITEM, "unknown item '" + Shown(item) + "'");
  return {};
}

Refusal ReportValidator::CheckWarehouse(const Identity& who, const std::string& warehouse) const {
  const Warehouse* w = city_.FindWarehouse(warehouse);
  if (!w) return Refuse(wire::UNKNOWN_WAREHOUSE, "unknown warehouse '" + Shown(warehouse) + "'");
  if (w->county != who.county) {
    return Refuse(wire::NOT_YOUR_COUNTY, "warehouse '" + Shown(warehouse) + "' belongs to " + w->county +
                                             ", not to " + who.county);
  }
  return {};
}

Refusal ReportValidator::CheckSite(const Identity& who, const std::string& site) const {
  const Site* s = city_.FindSite(site);
  if (!s) return Refuse(wire::UNKNOWN_SITE, "unknown site '" + Shown(site) + "'");
  if (s->county != who.county) {
    return Refuse(wire::NOT_YOUR_COUNTY,
                  "site '" + Shown(site) + "' belongs to " + s->county + ", not to " + who.county);
  }
  return {};
}

Refusal ReportValidator::Check(const Identity& who, const wire::Report& report) const {
  if (who.role != Role::kNode) {
    return Refuse(wire::FORBIDDEN, std::string("a ") + RoleName(who.role) + " key cannot report");
  }
  Refusal r;
  if ((r = CheckTexts(report)).refused()) return r;
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
      if (Utf8Length(m.from()) > kMaxTextLength || Utf8Length(m.reference()) > kMaxTextLength ||
          Utf8Length(m.lot()) > kMaxTextLength) {
        return Refuse(wire::MALFORMED, "receipt 'from', reference or lot longer than " +
                                           std::to_string(kMaxTextLength) + " characters");
      }
      if (Status s = CheckExpiryDate(m.expires()); !s.ok()) {
        return Refuse(wire::MALFORMED, "report " + std::to_string(report.seq()) + ": " + s.message());
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
                                            EscapeControl(TruncateUtf8(report.unreadable(), kMaxTextLength)));
      }
      break;
  }
  return Refuse(wire::MALFORMED, "report " + std::to_string(report.seq()) + " has no content");
}

}  // namespace ppe
