// ReportEntry: turns what an operator typed (command line or CSV row) into a report, checked
// against the city file by the broker's own rules, so a bad figure is refused before it is queued.
#pragma once

#include <optional>
#include <string>
#include <utility>

#include "common/city.h"
#include "common/clock.h"
#include "common/identity.h"
#include "common/report_validator.h"
#include "nodes/entry_error.h"
#include "nodes/node_store.h"
#include "ppe.pb.h"

namespace ppe {

class ReportEntry {
 public:
  ReportEntry(const City& city, Identity node) : city_(city), node_(std::move(node)), validator_(city) {}

  // Each returns the report, or an error naming the problem and how to fix it (and, when `why` is
  // given, the same as data for the county page). as_of: when the count was taken, in local time
  // as ParseLocalTime reads it (a time to come is refused); empty: now.
  Result<wire::Report> Stock(const std::string& warehouse, const std::string& item,
                             const std::string& quantity, const std::string& as_of = "",
                             EntryError* why = nullptr) const;
  // lot: the producer's lot number, free text like the reference; expires: the batch's expiry
  // date, YYYY-MM-DD (CheckExpiryDate); either may be empty. A date already past is not refused
  // here: CheckExpired asks the operator.
  Result<wire::Report> Receipt(const std::string& warehouse, const std::string& item,
                               const std::string& quantity, const std::string& source,
                               const std::string& from, const std::string& reference = "",
                               const std::string& lot = "", const std::string& expires = "",
                               EntryError* why = nullptr) const;
  // daily_use: a decimal, written as a quantity may be ("1,200", "１２.５"); empty: headcount x the
  // item's per-head daily use. Times and dates may be typed in full-width digits too.
  Result<wire::Report> Demand(const std::string& site, const std::string& item,
                              const std::string& on_hand, const std::string& daily_use,
                              const std::string& as_of = "", EntryError* why = nullptr) const;

 private:
  Result<wire::Report> Finish(wire::Report report, EntryError* why) const;
  std::string Hint(const Refusal& refusal) const;

  const City& city_;
  Identity node_;
  ReportValidator validator_;
};

// Parses a whole non-negative number as an operator writes it ("5000", " 12 ", "12,000", a Chinese
// input method's "１２０"); names `what` on error.
// `field` and `why`: where the page shows the mistake.
Result<int64_t> ParseQuantity(const std::string& what, const std::string& text,
                              EntryField field = EntryField::kQuantity, EntryError* why = nullptr);

// The place (warehouse or site) and item a stock count or demand is of, to look up its last
// figure; empty for other reports.
std::pair<std::string, std::string> PlaceAndItem(const wire::Report& report);

// The checks of a stock count or demand against the last one this node recorded for the same
// place and item (`last`; none: nothing to check against), one code path for the command line
// and CSV import. Receipts and order steps always pass.
//
// A count given an as_of before the last count's time would put an old figure over a newer one:
// refused, and no confirmation overrides it. Equal times pass; a count without an as_of is taken
// now, the newest time there is, and passes (refusing it for a clock set back would block entry).
Status CheckCountOrder(const wire::Report& report, const std::optional<LastFigure>& last,
                       EntryError* why = nullptr);
// The slip of a digit: a count or on-hand over 100x the last (Implausible), or a daily use over
// 10x the last (ImplausibleDailyUse), refused unless `confirmed`; the message ends with
// `how_to_confirm` ("repeat the command with --confirm").
Status CheckPlausible(const wire::Report& report, const std::optional<LastFigure>& last, bool confirmed,
                      const std::string& how_to_confirm, EntryError* why = nullptr);
// A receipt of a batch whose expiry date is before today (this node's local date at now_ms) is
// refused unless `confirmed`: a date already past is more often a slip than a delivery of expired
// stock. Confirmed, it is recorded (the broker keeps expired stock out of every order). The
// message ends with `how_to_confirm`. Other reports, undated receipts and a batch expiring today
// pass.
Status CheckExpired(const wire::Report& report, bool confirmed, const std::string& how_to_confirm,
                    int64_t now_ms = NowMs(), EntryError* why = nullptr);


}  // namespace ppe
