// NodePages: the county page's HTML (ppe-node web): the link status, the forms for a count, a
// receipt and a site's demand, the CSV upload, the orders; every mistake in the page's language beside its field.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

#include "common/city.h"
#include "nodes/entry_error.h"
#include "nodes/node_store.h"
#include "web/form_fields.h"
#include "web/messages.h"

namespace ppe::web {

// The form names the county page posts ("stock", "receipt", "demand") and their field names
// (the CSV columns' names: place, item, quantity, daily_use, as_of, source, from, reference, lot, expires).
inline constexpr const char* kStockForm = "stock";
inline constexpr const char* kReceiptForm = "receipt";
inline constexpr const char* kDemandForm = "demand";

// A form as the last request left it: which was sent, what was typed (shown again), what was wrong.
struct FormState {
  std::string form;
  FormFields values;
  std::optional<EntryError> error;
};

// The same for a step on an order: which order and step, and the reason or quantity typed.
struct OrderFormState {
  int64_t order = 0;
  std::string step;  // "ship", "reject", "receive"
  FormFields values;
  std::optional<EntryError> error;
};

// What the node's county is and what the page's forms post with.
struct NodePageContext {
  Lang lang = Lang::kZh;
  const City* city = nullptr;
  std::string county;
  std::string csrf;  // the token every form carries
};

// The mistake in words: the problem, with the catalogue's names and localized statuses.
std::string ProblemText(Lang lang, const City& city, const EntryError& error);
// The same with where it is, for a list: "第 7 行，数量：..." (a CSV row) or "数量：...".
std::string ProblemLine(Lang lang, const City& city, const EntryError& error);
// One recorded report in words: "盘点 梅列区... N95/KN95 口罩：3,000".
std::string ReportSummary(Lang lang, const City& city, const wire::Report& report);

// The link: daemon, connected, outbox pending, last acknowledgement (catalogue version when the
// status has one): 'ppe-node status --json' as the page shows it.
std::string StatusPanel(Lang lang, const nlohmann::json& status);
// The three forms; `state` fills the one that was sent. `notice` is HTML shown above (a success).
std::string EntryPage(const NodePageContext& page, const FormState& state, const std::string& notice);
// The upload form and, after a refused file, every problem it had (line by line); `page_error`:
// what was wrong with the upload itself (no file chosen), beside the file field.
std::string ImportPage(const NodePageContext& page, const std::vector<EntryError>& problems,
                       const std::string& notice, std::optional<Msg> page_error = std::nullopt);
// Orders to pick and ship (with their batch lines), and orders coming to the county's sites.
// `orders_held`: the store's OrdersHeld() the page shows; with NewestOrder(orders) it is what
// orders-watch.js compares /api/orders with, to say that an order came or changed.
std::string OrdersPage(const NodePageContext& page, const std::vector<NodeOrder>& orders, uint64_t orders_held,
                       const OrderFormState& state, const std::string& notice);
// The highest order id among `orders` (0 for none): a new order has a higher one.
int64_t NewestOrder(const std::vector<NodeOrder>& orders);
// A success line (class "success", id "notice").
std::string SuccessNotice(const std::string& text);

}  // namespace ppe::web
