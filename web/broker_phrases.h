// BrokerPhrases: the broker's fixed English phrases in its replies (why an order comes from its
// warehouse, the notes it writes on an order's steps, who took a step) said in the page's language.
// Any other text (an operator's reject reason, a coordinator's cancel reason) is shown as typed.
#pragma once

#include <optional>
#include <string>

#include "common/city.h"
#include "web/messages.h"

namespace ppe::web {

// Why an order comes from its warehouse (broker/allocator.cpp's Reason, one for one).
enum class SourceReason { kOwnCounty, kCityReserve, kNearest };

struct SourceFact {
  SourceReason reason = SourceReason::kOwnCounty;
  std::string km;  // kNearest: the distance as the broker wrote it ("53")
};
// "own county", "city reserve", "nearest with stock (53 km)"; none for any other text.
std::optional<SourceFact> ReadSource(const std::string& text);

// The reason in the page's language ("本县仓库", "有库存的最近仓库（53 公里）"); an unknown text as it is.
std::string SourceText(Lang lang, const std::string& reason);
// A step's note: a source reason, a receipt's discrepancy, a shipment implied by a receipt, in
// the page's language; any other note (typed by a person) as it is.
std::string NoteText(Lang lang, const City& city, const std::string& note);
// Who took a step: a county's node by the county's name, the coordinator key by its role; any
// other key by its name.
std::string WhoName(Lang lang, const City& city, const std::string& who);

}  // namespace ppe::web
