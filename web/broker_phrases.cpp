#include "web/broker_phrases.h"

#include <string_view>

#include "web/html.h"

namespace ppe::web {
namespace {

// `text` is `head` + digits + `tail`: the digits, else none.
std::optional<std::string> Between(std::string_view text, std::string_view head, std::string_view tail) {
  if (text.size() <= head.size() + tail.size() || text.substr(0, head.size()) != head ||
      text.substr(text.size() - tail.size()) != tail) {
    return std::nullopt;
  }
  const std::string_view middle = text.substr(head.size(), text.size() - head.size() - tail.size());
  if (middle.find_first_not_of("0123456789") != std::string_view::npos) return std::nullopt;
  return std::string(middle);
}

// "discrepancy: shipped 200, received 190" (broker/order_book.cpp): the two figures.
std::optional<std::pair<std::string, std::string>> ReadDiscrepancy(std::string_view note) {
  constexpr std::string_view kHead = "discrepancy: shipped ", kMiddle = ", received ";
  if (note.substr(0, kHead.size()) != kHead) return std::nullopt;
  const size_t middle = note.find(kMiddle, kHead.size());
  if (middle == std::string_view::npos) return std::nullopt;
  const std::string_view shipped = note.substr(kHead.size(), middle - kHead.size());
  const std::string_view got = note.substr(middle + kMiddle.size());
  const auto whole = [](std::string_view s) {
    const size_t from = !s.empty() && s[0] == '-' ? 1 : 0;
    return s.size() > from && s.find_first_not_of("0123456789", from) == std::string_view::npos;
  };
  if (!whole(shipped) || !whole(got)) return std::nullopt;
  return std::pair{std::string(shipped), std::string(got)};
}

}  // namespace

std::optional<SourceFact> ReadSource(const std::string& text) {
  if (text == "own county") return SourceFact{SourceReason::kOwnCounty, ""};
  if (text == "city reserve") return SourceFact{SourceReason::kCityReserve, ""};
  if (auto km = Between(text, "nearest with stock (", " km)")) return SourceFact{SourceReason::kNearest, *km};
  return std::nullopt;
}

std::string SourceText(Lang lang, const std::string& reason) {
  const std::optional<SourceFact> fact = ReadSource(reason);
  if (!fact) return reason;
  switch (fact->reason) {
    case SourceReason::kOwnCounty: return std::string(Text(lang, Msg::kReasonOwnCounty));
    case SourceReason::kCityReserve: return std::string(Text(lang, Msg::kReasonCityReserve));
    case SourceReason::kNearest: return Format(lang, Msg::kReasonNearest, {fact->km});
  }
  return reason;
}

std::string NoteText(Lang lang, const City& city, const std::string& note) {
  if (ReadSource(note)) return SourceText(lang, note);
  if (const auto figures = ReadDiscrepancy(note)) {
    return Format(lang, Msg::kNoteDiscrepancy, {figures->first, figures->second});
  }
  constexpr std::string_view kImplied = "implied by its receipt at ";
  if (note.rfind(kImplied, 0) == 0) {
    return Format(lang, Msg::kNoteImpliedShipment, {SiteName(lang, city, note.substr(kImplied.size()))});
  }
  return note;
}

std::string WhoName(Lang lang, const City& city, const std::string& who) {
  if (who == "coordinator") return std::string(Text(lang, Msg::kWhoCoordinator));
  if (who == kCityCounty || city.FindCounty(who)) return CountyName(lang, city, who);
  return who;
}

}  // namespace ppe::web
