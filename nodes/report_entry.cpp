#include "nodes/report_entry.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <regex>

#include "common/clock.h"
#include "common/text_encoding.h"

namespace ppe {
namespace {

std::string Trimmed(const std::string& s) {
  const size_t b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t\r") - b + 1);
}

bool IsDigits(const std::string& s) {
  return !s.empty() && s.find_first_not_of("0123456789") == std::string::npos;
}

// 1,000 or 12,000,000: groups of three digits after the first.
bool ThousandsGrouped(const std::string& s) {
  const size_t first = s.find(',');
  if (first == 0 || first > 3 || !IsDigits(s.substr(0, first))) return false;
  for (size_t i = first; i < s.size(); i += 4) {
    if (s[i] != ',' || i + 4 > s.size() || !IsDigits(s.substr(i + 1, 3))) return false;
  }
  return true;
}

// A figure as an operator types it, to be shown in an error: trimmed, in ASCII (a Chinese input
// method's full-width digits and comma), control characters escaped (shown, never obeyed).
std::string Typed(const std::string& text) { return EscapeControl(Trimmed(HalfWidth(text))); }

// A date, or a date and time, as Excel and WPS in China write a date cell into a CSV file or an
// operator types it — 2021/6/30, 2021.6.30, 2021年6月30日, 2020/2/10 14:00 — as 2021-06-30 or
// 2020-02-10 14:00. Year first only (30/06/2021 stays as it is, and is refused saying how to write it).
std::string IsoDate(const std::string& typed) {
  static const std::regex kDate(
      R"(^(\d{4})(?:[/.-]|年)(\d{1,2})(?:[/.-]|月)(\d{1,2})(?:日)?(?:[ T]+(\d{1,2}):(\d{2})(:\d{2})?)?$)");
  std::smatch m;
  if (!std::regex_match(typed, m, kDate)) return typed;
  const auto two = [](const std::string& digits) { return digits.size() == 1 ? "0" + digits : digits; };
  std::string iso = m[1].str() + "-" + two(m[2]) + "-" + two(m[3]);
  if (m[4].matched) iso += " " + two(m[4]) + ":" + m[5].str() + m[6].str();
  return iso;
}

// The same figure to be read: a spreadsheet's thousands separators taken out of its whole part
// (12,000 or 1,200.5; "12,00" keeps its comma and is refused).
std::string Ungrouped(const std::string& typed) {
  const std::string whole = typed.substr(0, typed.find('.'));
  if (whole.find(',') == std::string::npos || !ThousandsGrouped(whole)) return typed;
  std::string digits = typed;
  digits.erase(std::remove(digits.begin(), digits.end(), ','), digits.end());
  return digits;
}

// A decimal as people write it: 1200, 0.5, 12.75. No sign, exponent, hex, inf or nan: strtod
// reads "0x10" as 16 and "1e3" as 1000, which no operator means.
bool IsDecimal(const std::string& s) {
  const size_t dot = s.find('.');
  if (dot == std::string::npos) return IsDigits(s);
  return IsDigits(s.substr(0, dot)) && IsDigits(s.substr(dot + 1));
}

// Sites open every day in an epidemic: a node whose city file is older than the city's does not
// know the new ones yet.
constexpr const char* kOutdatedCityHint =
    "; if the city added it recently, this node's city file is out of date: get the current one "
    "from the city coordinator";

// An operator's watch and this node's clock differ by a few seconds; a count "taken" further ahead
// than this is a typo (a wrong day or hour), or a clock set wrong.
constexpr int64_t kAsOfGraceMs = 60 * 1000;

// When a count was taken, from what the operator typed: 0 (the wire's "when recorded") for empty.
Result<int64_t> ParseAsOf(const std::string& text, EntryError* why) {
  const std::string typed = IsoDate(Typed(text));
  if (typed.empty()) return int64_t{0};
  auto at = ParseLocalTime(typed);
  if (!at.ok()) {
    return Wrong(why, EntryField::kAsOf, EntryProblem::kBadTime, {typed},
                 "as-of " + at.status().message());
  }
  const int64_t now = NowMs();
  if (*at > now + kAsOfGraceMs) {
    return Wrong(why, EntryField::kAsOf, EntryProblem::kFutureTime, {FormatTime(*at), FormatTime(now)},
                 "as-of " + FormatTime(*at) +
                     " is in the future; a count can only be recorded for a time that has passed "
                     "(this node's clock says " + FormatTime(now) + ")");
  }
  return *at;
}

// A daily use as operators write it: 300000, 12.5; never 3e+05.
std::string ShownNumber(double value) {
  char text[64];
  std::snprintf(text, sizeof text, "%.2f", value);
  std::string s = text;
  s.erase(s.find_last_not_of('0') + 1);
  if (s.back() == '.') s.pop_back();
  return s;
}

}  // namespace

Result<int64_t> ParseQuantity(const std::string& what, const std::string& text, EntryField field,
                              EntryError* why) {
  const std::string t = Typed(text);
  if (t.empty()) return Wrong(why, field, EntryProblem::kMissing, {}, what + " is missing");
  if (t[0] == '-' && t.size() > 1 && IsDigits(Ungrouped(t.substr(1)))) {
    return Wrong(why, field, EntryProblem::kNegative, {t}, what + " " + t + " is negative; counts are 0 or more");
  }
  // Spreadsheets write 12000 as "12,000" when the cell shows thousands separators.
  const std::string digits = Ungrouped(t);
  if (!IsDigits(digits)) {
    return Wrong(why, field, EntryProblem::kNotWhole, {t}, what + " '" + t + "' is not a whole number (write it like 5000)");
  }
  if (digits.size() > 18) {
    return Wrong(why, field, EntryProblem::kTooLarge, {t},
                 what + " " + t + " is too large for a whole number; check the figure");
  }
  return static_cast<int64_t>(std::stoll(digits));
}


std::string ReportEntry::Hint(const Refusal& refusal) const {
  // A county's ids, the first dozen: enough to spot a typo without flooding the screen.
  auto ids = [](const auto& entities, const std::string& county) {
    std::string list;
    size_t count = 0;
    for (const auto& e : entities) {
      if (e.county == county && ++count <= 12) list += (list.empty() ? "" : ", ") + e.id;
    }
    if (count > 12) list += ", ... (" + std::to_string(count) + " in all; see the city file)";
    return count == 0 ? std::string("none") : list;
  };
  std::string items;
  switch (refusal.code) {
    case wire::UNKNOWN_WAREHOUSE:
    case wire::UNKNOWN_SITE:
      return " (this node's warehouses: " + ids(city_.warehouses(), node_.county) +
             "; its sites: " + ids(city_.sites(), node_.county) + ")" + kOutdatedCityHint;
    case wire::NOT_YOUR_COUNTY:
      return " (this node's warehouses: " + ids(city_.warehouses(), node_.county) +
             "; its sites: " + ids(city_.sites(), node_.county) + ")";
    case wire::UNKNOWN_ITEM:
      for (const Item& i : city_.items()) items += (items.empty() ? "" : ", ") + i.id;
      return " (items: " + items + ")" + kOutdatedCityHint;
    case wire::BAD_QUANTITY:
      return " (check the figure: a receipt is 1 or more units; counts and on-hand 0 or more)";
    case wire::MALFORMED:  // from the command line, only an over-long text gets here
      return " (shorten it)";
    default:
      return "";
  }
}

namespace {

// The field and problem of the broker's own refusal, for the page.
EntryError RefusalError(const Refusal& refusal, const wire::Report& report) {
  const std::string place = report.has_demand() ? report.demand().site()
                            : report.has_stock() ? report.stock().warehouse()
                                                 : report.receipt().warehouse();
  const std::string item = report.has_demand() ? report.demand().item()
                           : report.has_stock() ? report.stock().item()
                                                : report.receipt().item();
  switch (refusal.code) {
    case wire::UNKNOWN_WAREHOUSE: return {EntryField::kPlace, EntryProblem::kUnknownWarehouse, {EscapeControl(place)}, 0};
    case wire::UNKNOWN_SITE: return {EntryField::kPlace, EntryProblem::kUnknownSite, {EscapeControl(place)}, 0};
    case wire::NOT_YOUR_COUNTY: return {EntryField::kPlace, EntryProblem::kNotYourCounty, {EscapeControl(place)}, 0};
    case wire::UNKNOWN_ITEM: return {EntryField::kItem, EntryProblem::kUnknownItem, {EscapeControl(item)}, 0};
    case wire::BAD_QUANTITY: {
      // Said as the figure that is wrong: a receipt of nothing, or a figure past the broker's limit.
      const int64_t figure = report.has_demand()  ? report.demand().on_hand()
                             : report.has_stock() ? report.stock().quantity()
                                                  : report.receipt().quantity();
      if (refusal.text.find("daily use") != std::string::npos) {
        return {EntryField::kDailyUse, EntryProblem::kBadQuantity, {}, 0};
      }
      if (report.has_receipt() && figure == 0) return {EntryField::kQuantity, EntryProblem::kZeroReceipt, {}, 0};
      if (figure > kMaxQuantity) {
        return {EntryField::kQuantity, EntryProblem::kBeyondLimit, {std::to_string(figure), std::to_string(kMaxQuantity)}, 0};
      }
      return {EntryField::kQuantity, EntryProblem::kBadQuantity, {}, 0};
    }
    case wire::MALFORMED: return {EntryField::kNone, EntryProblem::kBadText, {}, 0};
    default: return {EntryField::kNone, EntryProblem::kRefused, {}, 0};
  }
}

}  // namespace

Result<wire::Report> ReportEntry::Finish(wire::Report report, EntryError* why) const {
  report.set_recorded_at_ms(NowMs());
  const Refusal refusal = validator_.Check(node_, report);
  if (refusal.refused()) {
    if (why) *why = RefusalError(refusal, report);
    return Status::Error(refusal.text + Hint(refusal));
  }
  return report;
}

// Every id and name is decoded and checked here, where it enters: what reaches the outbox is
// valid UTF-8 on one line, so it always travels (a proto3 string must be UTF-8).
#define PPE_CLEAN(var, text, what, limit, field)                                            \
  auto var##_clean = CleanLine(text, what, limit);                                          \
  if (!var##_clean.ok()) {                                                                  \
    return Wrong(why, field, EntryProblem::kBadText, {}, var##_clean.status().message());   \
  }                                                                                         \
  const std::string& var = *var##_clean

Result<wire::Report> ReportEntry::Stock(const std::string& warehouse_text, const std::string& item_text,
                                        const std::string& quantity, const std::string& as_of_text,
                                        EntryError* why) const {
  PPE_CLEAN(warehouse, warehouse_text, "warehouse id", kMaxIdLength, EntryField::kPlace);
  PPE_CLEAN(item, item_text, "item id", kMaxIdLength, EntryField::kItem);
  auto qty = ParseQuantity("quantity", quantity, EntryField::kQuantity, why);
  if (!qty.ok()) return qty.status();
  auto as_of = ParseAsOf(as_of_text, why);
  if (!as_of.ok()) return as_of.status();
  wire::Report report;
  auto* m = report.mutable_stock();
  m->set_warehouse(warehouse);
  m->set_item(item);
  m->set_quantity(*qty);
  m->set_as_of_ms(*as_of);
  return Finish(std::move(report), why);
}

Result<wire::Report> ReportEntry::Receipt(const std::string& warehouse_text, const std::string& item_text,
                                          const std::string& quantity, const std::string& source_text,
                                          const std::string& from_text, const std::string& reference_text,
                                          const std::string& lot_text, const std::string& expires_text,
                                          EntryError* why) const {
  PPE_CLEAN(warehouse, warehouse_text, "warehouse id", kMaxIdLength, EntryField::kPlace);
  PPE_CLEAN(item, item_text, "item id", kMaxIdLength, EntryField::kItem);
  PPE_CLEAN(source, source_text, "source", kMaxIdLength, EntryField::kSource);
  PPE_CLEAN(from, from_text, "'from' (donor, producer or sender)", kMaxTextLength, EntryField::kFrom);
  PPE_CLEAN(reference, reference_text, "reference", kMaxTextLength, EntryField::kReference);
  PPE_CLEAN(lot, lot_text, "lot", kMaxTextLength, EntryField::kLot);
  // Cleaned as text first (decoded, trimmed, one line), then in ASCII (an input method's full-width
  // digits) and ISO (a spreadsheet's 2021/6/30), so the date check sees just the date.
  PPE_CLEAN(expires_typed, expires_text, "expiry date", kMaxTextLength, EntryField::kExpires);
  const std::string expires = IsoDate(Trimmed(HalfWidth(expires_typed)));
  if (Status s = CheckExpiryDate(expires); !s.ok()) {
    return Wrong(why, EntryField::kExpires, EntryProblem::kBadDate, {expires}, s.message());
  }
  auto qty = ParseQuantity("quantity", quantity, EntryField::kQuantity, why);
  if (!qty.ok()) return qty.status();
  wire::Report report;
  auto* m = report.mutable_receipt();
  m->set_warehouse(warehouse);
  m->set_item(item);
  m->set_quantity(*qty);
  const std::string s = source.empty() ? "production" : source;
  if (s == "production") {
    m->set_source(wire::PRODUCTION);
  } else if (s == "donation") {
    m->set_source(wire::DONATION);
  } else if (s == "transfer") {
    m->set_source(wire::TRANSFER);
  } else {
    return Wrong(why, EntryField::kSource, EntryProblem::kNotSource, {s},
                 "source '" + s + "' is not one of production, donation, transfer");
  }
  if (s == "donation" && from.empty()) {
    return Wrong(why, EntryField::kFrom, EntryProblem::kDonorNeeded, {},
                 "a donation needs its donor: add --from NAME (the 'from' column in CSV)");
  }
  m->set_from(from);
  m->set_reference(reference);
  m->set_lot(lot);
  m->set_expires(expires);
  return Finish(std::move(report), why);
}

Result<wire::Report> ReportEntry::Demand(const std::string& site_text, const std::string& item_text,
                                         const std::string& on_hand, const std::string& daily_use,
                                         const std::string& as_of_text, EntryError* why) const {
  PPE_CLEAN(site, site_text, "site id", kMaxIdLength, EntryField::kPlace);
  PPE_CLEAN(item, item_text, "item id", kMaxIdLength, EntryField::kItem);
  auto held = ParseQuantity("on-hand", on_hand, EntryField::kQuantity, why);
  if (!held.ok()) return held.status();
  auto as_of = ParseAsOf(as_of_text, why);
  if (!as_of.ok()) return as_of.status();
  wire::Report report;
  auto* m = report.mutable_demand();
  m->set_site(site);
  m->set_item(item);
  m->set_on_hand(*held);
  m->set_as_of_ms(*as_of);
  const std::string use = Typed(daily_use);
  if (use.empty()) {
    const Site* s = city_.FindSite(site);
    const Item* i = city_.FindItem(item);
    if (s && i && i->per_head_daily > 0) m->set_daily_use(s->headcount * i->per_head_daily);
  } else {
    if (use[0] == '-' && IsDecimal(Ungrouped(use.substr(1)))) {
      return Wrong(why, EntryField::kDailyUse, EntryProblem::kNegative, {use},
                   "daily use " + use + " is negative; it is 0 or more units a day");
    }
    if (!IsDecimal(Ungrouped(use))) {
      return Wrong(why, EntryField::kDailyUse, EntryProblem::kNotNumber, {use},
                   "daily use '" + use + "' is not a number (write it like 1200 or 12.5)");
    }
    m->set_daily_use(std::stod(Ungrouped(use)));
  }
  return Finish(std::move(report), why);
}

#undef PPE_CLEAN

std::pair<std::string, std::string> PlaceAndItem(const wire::Report& report) {
  if (report.has_stock()) return {report.stock().warehouse(), report.stock().item()};
  if (report.has_demand()) return {report.demand().site(), report.demand().item()};
  return {};
}

Status CheckCountOrder(const wire::Report& report, const std::optional<LastFigure>& last, EntryError* why) {
  if (!report.has_stock() && !report.has_demand()) return Status::Ok();
  const int64_t as_of = report.has_stock() ? report.stock().as_of_ms() : report.demand().as_of_ms();
  if (as_of == 0 || !last || as_of >= last->as_of_ms) return Status::Ok();
  const auto [place, item] = PlaceAndItem(report);
  return Wrong(why, EntryField::kAsOf, EntryProblem::kCountOrder, {FormatTime(as_of), FormatTime(last->as_of_ms)},
               "a count taken " + FormatTime(as_of) + " is before the last count of " + place + " " + item +
                   " (taken " + FormatTime(last->as_of_ms) + "); counts must be entered oldest first");
}

Status CheckPlausible(const wire::Report& report, const std::optional<LastFigure>& last, bool confirmed,
                      const std::string& how_to_confirm, EntryError* why) {
  if (confirmed || !last || (!report.has_stock() && !report.has_demand())) return Status::Ok();
  const auto [place, item] = PlaceAndItem(report);
  const int64_t figure = report.has_stock() ? report.stock().quantity() : report.demand().on_hand();
  // Both slips in one message: a confirmation covers the whole report, so the operator sees all
  // it would accept.
  std::string problems;
  std::vector<std::string> args;
  bool count = false, use = false;
  if (Implausible(last->quantity, figure)) {
    count = true;
    args = {std::to_string(figure), std::to_string(last->quantity)};
    problems = std::to_string(figure) + " for " + place + " " + item + " is over 100 times the last figure recorded (" +
               std::to_string(last->quantity) + ")";
  }
  if (report.has_demand() && last->daily_use && ImplausibleDailyUse(*last->daily_use, report.demand().daily_use())) {
    use = true;
    args.push_back(ShownNumber(report.demand().daily_use()));
    args.push_back(ShownNumber(*last->daily_use));
    problems += (problems.empty() ? "" : ", and ") + std::string("daily use ") +
                ShownNumber(report.demand().daily_use()) + " for " + place + " " + item +
                " is over 10 times the last one recorded (" + ShownNumber(*last->daily_use) + ")";
  }
  if (problems.empty()) return Status::Ok();
  const EntryProblem problem = count && use ? EntryProblem::kImplausibleBoth
                               : count      ? EntryProblem::kImplausibleCount
                                            : EntryProblem::kImplausibleUse;
  return Wrong(why, use && !count ? EntryField::kDailyUse : EntryField::kQuantity, problem, std::move(args),
               problems + "; check it, and if it is right, " + how_to_confirm);
}

Status CheckExpired(const wire::Report& report, bool confirmed, const std::string& how_to_confirm,
                    int64_t now_ms, EntryError* why) {
  if (confirmed || !report.has_receipt() || report.receipt().expires().empty()) return Status::Ok();
  const auto expires = ParseDate(report.receipt().expires());
  // Today as the operator's calendar on the wall says it: the local date, not UTC's.
  const auto today = ParseDate(FormatTime(now_ms).substr(0, 10));
  // An unreadable date is CheckExpiryDate's to refuse; nothing to compare here.
  if (!expires.ok() || !today.ok() || *expires >= *today) return Status::Ok();
  return Wrong(why, EntryField::kExpires, EntryProblem::kExpired, {report.receipt().expires()},
               "the batch expired on " + report.receipt().expires() +
                   "; if that is right (expired stock is recorded but never shipped), " + how_to_confirm);
}

}  // namespace ppe
