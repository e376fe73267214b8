#include "nodes/report_entry.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>

#include "common/clock.h"

namespace ppe {
namespace {

std::string Trimmed(const std::string& s) {
  const size_t b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t\r") - b + 1);
}

}  // namespace

Result<int64_t> ParseQuantity(const std::string& what, const std::string& text) {
  const std::string t = Trimmed(text);
  if (t.empty()) return Status::Error(what + " is missing");
  char* end = nullptr;
  errno = 0;
  const long long value = std::strtoll(t.c_str(), &end, 10);
  if (*end != '\0') return Status::Error(what + " '" + t + "' is not a whole number (write it like 5000)");
  if (errno == ERANGE) {
    return Status::Error(what + " " + t + " is too large for a whole number; check the figure");
  }
  if (value < 0) return Status::Error(what + " " + t + " is negative; counts are 0 or more");
  return static_cast<int64_t>(value);
}

bool Implausible(int64_t previous, int64_t figure) {
  return figure >= 1000 && figure > 100 * std::max<int64_t>(previous, 1);
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
    case wire::NOT_YOUR_COUNTY:
      return " (this node's warehouses: " + ids(city_.warehouses(), node_.county) +
             "; its sites: " + ids(city_.sites(), node_.county) + ")";
    case wire::UNKNOWN_ITEM:
      for (const Item& i : city_.items()) items += (items.empty() ? "" : ", ") + i.id;
      return " (items: " + items + ")";
    case wire::BAD_QUANTITY:
      return " (check the figure: a receipt is 1 or more units; counts and on-hand 0 or more)";
    case wire::MALFORMED:  // from the command line, only an over-long text gets here
      return " (shorten it)";
    default:
      return "";
  }
}

Result<wire::Report> ReportEntry::Finish(wire::Report report) const {
  report.set_recorded_at_ms(NowMs());
  const Refusal refusal = validator_.Check(node_, report);
  if (refusal.refused()) return Status::Error(refusal.text + Hint(refusal));
  return report;
}

Result<wire::Report> ReportEntry::Stock(const std::string& warehouse, const std::string& item,
                                        const std::string& quantity) const {
  auto qty = ParseQuantity("quantity", quantity);
  if (!qty.ok()) return qty.status();
  wire::Report report;
  auto* m = report.mutable_stock();
  m->set_warehouse(warehouse);
  m->set_item(item);
  m->set_quantity(*qty);
  return Finish(std::move(report));
}

Result<wire::Report> ReportEntry::Receipt(const std::string& warehouse, const std::string& item,
                                          const std::string& quantity, const std::string& source,
                                          const std::string& from,
                                          const std::string& reference) const {
  auto qty = ParseQuantity("quantity", quantity);
  if (!qty.ok()) return qty.status();
  wire::Report report;
  auto* m = report.mutable_receipt();
  m->set_warehouse(warehouse);
  m->set_item(item);
  m->set_quantity(*qty);
  const std::string s = Trimmed(source).empty() ? "production" : Trimmed(source);
  if (s == "production") {
    m->set_source(wire::PRODUCTION);
  } else if (s == "donation") {
    m->set_source(wire::DONATION);
  } else if (s == "transfer") {
    m->set_source(wire::TRANSFER);
  } else {
    return Status::Error("source '" + s + "' is not one of production, donation, transfer");
  }
  if (s == "donation" && Trimmed(from).empty()) {
    return Status::Error("a donation needs its donor: add --from NAME (the 'from' column in CSV)");
  }
  m->set_from(Trimmed(from));
  m->set_reference(Trimmed(reference));
  return Finish(std::move(report));
}

Result<wire::Report> ReportEntry::Demand(const std::string& site, const std::string& item,
                                         const std::string& on_hand,
                                         const std::string& daily_use) const {
  auto held = ParseQuantity("on-hand", on_hand);
  if (!held.ok()) return held.status();
  wire::Report report;
  auto* m = report.mutable_demand();
  m->set_site(site);
  m->set_item(item);
  m->set_on_hand(*held);
  const std::string use = Trimmed(daily_use);
  if (use.empty()) {
    const Site* s = city_.FindSite(site);
    const Item* i = city_.FindItem(item);
    if (s && i && i->per_head_daily > 0) m->set_daily_use(s->headcount * i->per_head_daily);
  } else {
    char* end = nullptr;
    const double value = std::strtod(use.c_str(), &end);
    if (*end != '\0' || !std::isfinite(value)) {
      return Status::Error("daily use '" + use + "' is not a number (write it like 1200)");
    }
    if (value < 0) return Status::Error("daily use " + use + " is negative; it is 0 or more units a day");
    m->set_daily_use(value);
  }
  return Finish(std::move(report));
}

}  // namespace ppe
