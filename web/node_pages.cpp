#include "web/node_pages.h"

#include <algorithm>

#include "common/order_lifecycle.h"
#include "web/csrf_guard.h"
#include "web/html.h"

namespace ppe::web {
namespace {

// The form field (and CSV column) a mistake is in; "" for the form as a whole.
std::string FieldName(EntryField field) {
  switch (field) {
    case EntryField::kPlace: return "place";
    case EntryField::kItem: return "item";
    case EntryField::kQuantity: return "quantity";
    case EntryField::kDailyUse: return "daily_use";
    case EntryField::kAsOf: return "as_of";
    case EntryField::kSource: return "source";
    case EntryField::kFrom: return "from";
    case EntryField::kReference: return "reference";
    case EntryField::kLot: return "lot";
    case EntryField::kExpires: return "expires";
    case EntryField::kReason: return "reason";
    default: return "";
  }
}

// A mistake's field as a list of a file's problems names it (a form shows the mistake beside it):
// `place` is a warehouse in a count or receipt row and a site in a demand row.
Msg FieldLabel(EntryField field) {
  switch (field) {
    case EntryField::kPlace: return Msg::kFieldPlace;
    case EntryField::kItem: return Msg::kFieldItem;
    case EntryField::kQuantity: return Msg::kColQty;
    case EntryField::kDailyUse: return Msg::kFieldDailyUse;
    case EntryField::kAsOf: return Msg::kFieldAsOf;
    case EntryField::kSource: return Msg::kFieldSource;
    case EntryField::kFrom: return Msg::kFieldFrom;
    case EntryField::kReference: return Msg::kFieldReference;
    case EntryField::kLot: return Msg::kFieldLot;
    case EntryField::kExpires: return Msg::kFieldExpires;
    case EntryField::kConfirm: return Msg::kFieldConfirm;
    case EntryField::kOrder: return Msg::kFieldOrder;
    case EntryField::kReason: return Msg::kFieldReason;
    default: return Msg::kFieldFile;
  }
}

Msg ProblemMsg(EntryProblem problem) {
  switch (problem) {
    case EntryProblem::kMissing: return Msg::kProbMissing;
    case EntryProblem::kNegative: return Msg::kProbNegative;
    case EntryProblem::kNotWhole: return Msg::kProbNotWhole;
    case EntryProblem::kTooLarge: return Msg::kProbTooLarge;
    case EntryProblem::kNotNumber: return Msg::kProbNotNumber;
    case EntryProblem::kBadText: return Msg::kProbBadText;
    case EntryProblem::kBadTime: return Msg::kProbBadTime;
    case EntryProblem::kFutureTime: return Msg::kProbFutureTime;
    case EntryProblem::kBadDate: return Msg::kProbBadDate;
    case EntryProblem::kUnknownWarehouse: return Msg::kProbUnknownWarehouse;
    case EntryProblem::kUnknownSite: return Msg::kProbUnknownSite;
    case EntryProblem::kUnknownItem: return Msg::kProbUnknownItem;
    case EntryProblem::kNotYourCounty: return Msg::kProbNotYourCounty;
    case EntryProblem::kBadQuantity: return Msg::kProbBadQuantity;
    case EntryProblem::kZeroReceipt: return Msg::kProbZeroReceipt;
    case EntryProblem::kBeyondLimit: return Msg::kProbBeyondLimit;
    case EntryProblem::kRefused: return Msg::kProbRefused;
    case EntryProblem::kNotSource: return Msg::kProbNotSource;
    case EntryProblem::kDonorNeeded: return Msg::kProbDonorNeeded;
    case EntryProblem::kCountOrder: return Msg::kProbCountOrder;
    case EntryProblem::kImplausibleCount: return Msg::kProbImplausibleCount;
    case EntryProblem::kImplausibleUse: return Msg::kProbImplausibleUse;
    case EntryProblem::kImplausibleBoth: return Msg::kProbImplausibleBoth;
    case EntryProblem::kExpired: return Msg::kProbExpired;
    case EntryProblem::kUnknownOrder: return Msg::kProbUnknownOrder;
    case EntryProblem::kNotYourOrder: return Msg::kProbNotYourOrder;
    case EntryProblem::kStepTooLate: return Msg::kProbStepTooLate;
    case EntryProblem::kUnknownStatus: return Msg::kProbUnknownStatus;
    case EntryProblem::kReasonNeeded: return Msg::kProbReasonNeeded;
    case EntryProblem::kCsvUnreadable: return Msg::kProbCsvUnreadable;
    case EntryProblem::kCsvTooBig: return Msg::kProbCsvTooBig;
    case EntryProblem::kCsvEncoding: return Msg::kProbCsvEncoding;
    case EntryProblem::kCsvQuote: return Msg::kProbCsvQuote;
    case EntryProblem::kCsvEmpty: return Msg::kProbCsvEmpty;
    case EntryProblem::kCsvHeader: return Msg::kProbCsvHeader;
    case EntryProblem::kCsvFieldCount: return Msg::kProbCsvFieldCount;
    case EntryProblem::kCsvFieldsMissing: return Msg::kProbCsvFieldsMissing;
    case EntryProblem::kCsvType: return Msg::kProbCsvType;
    case EntryProblem::kCsvLotOnCount: return Msg::kProbCsvLotOnCount;
    case EntryProblem::kCsvAsOfOnReceipt: return Msg::kProbCsvAsOfOnReceipt;
    case EntryProblem::kCsvConfirm: return Msg::kProbCsvConfirm;
    case EntryProblem::kCsvNoRows: return Msg::kProbCsvNoRows;
  }
  return Msg::kProbRefused;
}

Msg StepMsg(const std::string& step) {
  return step == "ship" ? Msg::kStepShip : step == "receive" ? Msg::kStepReceive : Msg::kStepReject;
}

// A figure as the page shows it elsewhere: 12,000 for a whole number, else as typed.
std::string Shown(const std::string& figure) {
  if (!figure.empty() && figure.size() <= 15 && figure.find_first_not_of("0123456789") == std::string::npos) {
    return Count(std::stoll(figure));
  }
  return figure;
}

std::string Hidden(const NodePageContext& page) {
  return "<input type=\"hidden\" name=\"" + std::string(kCsrfField) + "\" value=\"" + Esc(page.csrf) + "\">";
}

// One labelled field: its input (HTML), a hint, and the mistake, if it is this field's.
std::string Field(const NodePageContext& page, const std::string& form, const std::string& name, Msg label,
                  const std::string& input, const FormState& state, std::optional<Msg> hint = std::nullopt) {
  std::string out = "<div class=\"field\"><label for=\"" + form + "-" + name + "\">" + Esc(Text(page.lang, label)) +
                    "</label>" + input;
  if (hint) out += "<small class=\"hint\">" + Esc(Text(page.lang, *hint)) + "</small>";
  if (state.form == form && state.error && FieldName(state.error->field) == name) {
    out += "<span class=\"field-error\" id=\"" + form + "-" + name + "-error\" role=\"alert\">" +
           Esc(ProblemText(page.lang, *page.city, *state.error)) + "</span>";
  }
  return out + "</div>\n";
}

std::string TextInput(const std::string& form, const std::string& name, const FormState& state,
                      const std::string& attributes = "") {
  const std::string value = state.form == form ? state.values.Get(name) : "";
  const bool wrong = state.form == form && state.error && FieldName(state.error->field) == name;
  return "<input id=\"" + form + "-" + name + "\" name=\"" + name + "\" value=\"" + Esc(value) + "\"" +
         (wrong ? " aria-invalid=\"true\" class=\"wrong\"" : "") + (attributes.empty() ? "" : " " + attributes) + ">";
}

std::string Select(const std::string& form, const std::string& name, const FormState& state,
                    const std::vector<std::pair<std::string, std::string>>& options) {
  const std::string chosen = state.form == form ? state.values.Get(name) : "";
  std::string out = "<select id=\"" + form + "-" + name + "\" name=\"" + name + "\">";
  for (const auto& [value, text] : options) {
    out += "<option value=\"" + Esc(value) + "\"" + (value == chosen ? " selected" : "") + ">" + Esc(text) +
           "</option>";
  }
  return out + "</select>";
}

std::vector<std::pair<std::string, std::string>> Warehouses(const NodePageContext& page) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const Warehouse& w : page.city->warehouses()) {
    if (w.county == page.county) out.emplace_back(w.id, PlaceName(page.lang, w.name) + " (" + w.id + ")");
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> Sites(const NodePageContext& page) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const Site& s : page.city->sites()) {
    if (s.county == page.county) out.emplace_back(s.id, PlaceName(page.lang, s.name) + " (" + s.id + ")");
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> Items(const NodePageContext& page) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const Item& i : page.city->items()) out.emplace_back(i.id, ItemName(page.lang, *page.city, i.id));
  return out;
}

// The form's close: a form-level mistake, the confirmation it asks for, and the submit button.
std::string FormEnd(const NodePageContext& page, const std::string& form, const FormState& state, Msg submit) {
  std::string out;
  const bool mine = state.form == form && state.error;
  if (mine && state.error->confirmable()) {
    out += "<p class=\"confirm-ask\" id=\"" + form + "-confirm-ask\" role=\"alert\">" +
           Esc(Format(page.lang, Msg::kConfirmAsk, {ProblemText(page.lang, *page.city, *state.error)})) +
           "</p>\n<label class=\"confirm\"><input type=\"checkbox\" name=\"confirm\" value=\"yes\" id=\"" + form +
           "-confirm\"> " + Esc(Text(page.lang, Msg::kConfirmBox)) + "</label>\n";
    submit = Msg::kConfirmSubmit;
  } else if (mine) {
    std::string where = FieldName(state.error->field);
    const bool beside_field = !where.empty() && state.error->field != EntryField::kReason;
    out += "<p class=\"form-error\" id=\"" + form + "-error\" role=\"alert\">" +
           Esc(Text(page.lang, Msg::kFormNotRecorded)) +
           (beside_field ? "" : Esc(Text(page.lang, Msg::kSepLabel)) + Esc(ProblemText(page.lang, *page.city, *state.error))) + "</p>\n";
  }
  return out + "<button type=\"submit\" id=\"" + form + "-submit\">" + Esc(Text(page.lang, submit)) + "</button>\n";
}

std::string FormStart(const NodePageContext& page, const std::string& form, Msg heading, Msg note) {
  return "<section class=\"entry\"><h2>" + Esc(Text(page.lang, heading)) + "</h2><p class=\"caption\">" +
         Esc(Text(page.lang, note)) + "</p>\n<form method=\"post\" action=\"/" + form + "\" id=\"" + form +
         "-form\" class=\"entry\" accept-charset=\"utf-8\">" + Hidden(page) + "\n";
}

std::string Heading(const NodePageContext& page, Msg heading) {
  return "<h1>" + Esc(Format(page.lang, heading, {CountyName(page.lang, *page.city, page.county)})) + "</h1>\n";
}

}  // namespace

std::string ProblemText(Lang lang, const City& city, const EntryError& e) {
  std::vector<std::string> args = e.args;
  switch (e.problem) {
    case EntryProblem::kMissing:
      args = {std::string(Text(lang, FieldLabel(e.field)))};
      break;
    case EntryProblem::kStepTooLate:
      if (args.size() == 3) args = {args[0], StatusName(lang, args[1]), std::string(Text(lang, StepMsg(args[2])))};
      break;
    case EntryProblem::kNotYourOrder:
    case EntryProblem::kUnknownOrder:
      if (args.size() == 2) args[1] = CountyName(lang, city, args[1]);
      break;
    case EntryProblem::kImplausibleCount:
    case EntryProblem::kImplausibleBoth:
    case EntryProblem::kBeyondLimit:
      for (size_t i = 0; i < args.size() && i < 2; ++i) args[i] = Shown(args[i]);
      break;
    default:
      break;
  }
  std::string text;
  switch (args.size()) {
    case 0: text = Format(lang, ProblemMsg(e.problem), {}); break;
    case 1: text = Format(lang, ProblemMsg(e.problem), {args[0]}); break;
    case 2: text = Format(lang, ProblemMsg(e.problem), {args[0], args[1]}); break;
    case 3: text = Format(lang, ProblemMsg(e.problem), {args[0], args[1], args[2]}); break;
    default: text = Format(lang, ProblemMsg(e.problem), {args[0], args[1], args[2], args[3]}); break;
  }
  return text;
}

std::string ProblemLine(Lang lang, const City& city, const EntryError& e) {
  std::string where;
  if (e.line > 0) where = Format(lang, Msg::kImportLine, {std::to_string(e.line)});
  if (e.field != EntryField::kNone && e.field != EntryField::kFile && e.problem != EntryProblem::kMissing) {
    where += (where.empty() ? "" : std::string(Text(lang, Msg::kSepList))) + std::string(Text(lang, FieldLabel(e.field)));
  }
  return where.empty() ? ProblemText(lang, city, e) : where + std::string(Text(lang, Msg::kSepLabel)) + ProblemText(lang, city, e);
}

std::string ReportSummary(Lang lang, const City& city, const wire::Report& r) {
  switch (r.body_case()) {
    case wire::Report::kStock:
      return Format(lang, Msg::kSumStock, {WarehouseName(lang, city, r.stock().warehouse()),
                                           ItemName(lang, city, r.stock().item()), Count(r.stock().quantity())});
    case wire::Report::kReceipt: {
      const Msg source = r.receipt().source() == wire::DONATION   ? Msg::kSourceDonation
                         : r.receipt().source() == wire::TRANSFER ? Msg::kSourceTransfer
                                                                  : Msg::kSourceProduction;
      std::string how(Text(lang, source));
      if (!r.receipt().from().empty()) how += std::string(Text(lang, Msg::kSepList)) + r.receipt().from();
      if (!r.receipt().lot().empty()) how += std::string(Text(lang, Msg::kSepList)) + std::string(Text(lang, Msg::kFieldLot)) + " " + r.receipt().lot();
      if (!r.receipt().expires().empty()) {
        how += std::string(Text(lang, Msg::kSepList)) + std::string(Text(lang, Msg::kFieldExpires)) + " " + r.receipt().expires();
      }
      return Format(lang, Msg::kSumReceipt, {WarehouseName(lang, city, r.receipt().warehouse()),
                                             ItemName(lang, city, r.receipt().item()), Count(r.receipt().quantity()), how});
    }
    case wire::Report::kDemand:
      return Format(lang, Msg::kSumDemand, {SiteName(lang, city, r.demand().site()), ItemName(lang, city, r.demand().item()),
                                            Count(r.demand().on_hand()), Use(r.demand().daily_use())});
    case wire::Report::kOrderStep: {
      const auto& step = r.order_step();
      const std::string id = std::to_string(step.order_id());
      if (step.step() == wire::SHIP) return Format(lang, Msg::kSumShip, {id});
      if (step.step() == wire::RECEIVE) return Format(lang, Msg::kSumReceive, {id, Count(step.quantity())});
      return Format(lang, Msg::kSumReject, {id, step.reason()});
    }
    default:
      return "";
  }
}

std::string SuccessNotice(const std::string& text) {
  return "<p class=\"success\" id=\"notice\" role=\"status\">" + Esc(text) + "</p>\n";
}

std::string StatusPanel(Lang lang, const nlohmann::json& s) {
  const auto flag = [](bool good, const std::string& text) {
    return std::string("<li class=\"") + (good ? "online" : "offline") + "\">" + Esc(text) + "</li>";
  };
  std::string out = "<section class=\"link\" id=\"link-status\"><h2>" + Esc(Text(lang, Msg::kNodeStatusHeading)) +
                    "</h2><ul>";
  const bool daemon = s.value("daemon_running", false);
  const bool connected = s.value("connected", false);
  out += flag(daemon, std::string(Text(lang, daemon ? Msg::kNodeDaemonRunning : Msg::kNodeDaemonStopped)));
  if (daemon) out += flag(connected, std::string(Text(lang, connected ? Msg::kNodeConnected : Msg::kNodeDisconnected)));
  const uint64_t pending = s.value("outbox_pending", uint64_t{0});
  out += "<li id=\"outbox-pending\" data-pending=\"" + std::to_string(pending) + "\">" +
         Esc(Format(lang, Msg::kNodePending, {Count(static_cast<int64_t>(pending))})) + "</li>";
  const uint64_t ack = s.value("last_ack", uint64_t{0});
  out += "<li id=\"last-ack\">" +
         Esc(ack == 0 ? std::string(Text(lang, Msg::kNodeNoAck))
                      : Format(lang, Msg::kNodeLastAck, {std::to_string(ack), s.value("last_ack_at", std::string())})) +
         "</li>";
  if (s.contains("catalogue_version") && !s["catalogue_version"].is_null()) {
    out += "<li id=\"catalogue-version\">" + Esc(Format(lang, Msg::kNodeCatalogue, {s["catalogue_version"].dump()})) +
           "</li>";
  }
  const int64_t refused = s.value("refused", int64_t{0});
  if (refused > 0) out += "<li class=\"offline\">" + Esc(Format(lang, Msg::kNodeRefused, {Count(refused)})) + "</li>";
  return out + "</ul></section>\n";
}

std::string EntryPage(const NodePageContext& page, const FormState& state, const std::string& notice) {
  const Lang lang = page.lang;
  // The fields every form opens with: where, what, how many. No `required` on any input: the
  // browser would refuse an empty one in its own language, not ours, and beside no field.
  const auto where_what_how_many = [&](const std::string& form, Msg place, const auto& places, Msg quantity) {
    return Field(page, form, "place", place, Select(form, "place", state, places), state) +
           Field(page, form, "item", Msg::kFieldItem, Select(form, "item", state, Items(page)), state) +
           Field(page, form, "quantity", quantity,
                 TextInput(form, "quantity", state, "inputmode=\"numeric\" autocomplete=\"off\""), state);
  };
  const auto text_field = [&](const std::string& form, const std::string& name, Msg label, const std::string& attributes,
                              std::optional<Msg> hint = std::nullopt) {
    return Field(page, form, name, label, TextInput(form, name, state, attributes + " autocomplete=\"off\""), state, hint);
  };
  const std::string when = "placeholder=\"2020-02-10 14:00\"";
  std::string out = Heading(page, Msg::kNodeHeading) + notice + "<div class=\"forms\">\n";

  out += FormStart(page, kStockForm, Msg::kFormStock, Msg::kFormStockNote) +
         where_what_how_many(kStockForm, Msg::kFieldWarehouse, Warehouses(page), Msg::kFieldCounted) +
         text_field(kStockForm, "as_of", Msg::kFieldAsOf, when, Msg::kFieldAsOfHint) +
         FormEnd(page, kStockForm, state, Msg::kSubmitStock) + "</form></section>\n";

  out += FormStart(page, kReceiptForm, Msg::kFormReceipt, Msg::kFormReceiptNote) +
         where_what_how_many(kReceiptForm, Msg::kFieldWarehouse, Warehouses(page), Msg::kFieldReceived) +
         Field(page, kReceiptForm, "source", Msg::kFieldSource,
               Select(kReceiptForm, "source", state,
                      {{"production", std::string(Text(lang, Msg::kSourceProduction))},
                       {"donation", std::string(Text(lang, Msg::kSourceDonation))},
                       {"transfer", std::string(Text(lang, Msg::kSourceTransfer))}}),
               state) +
         text_field(kReceiptForm, "from", Msg::kFieldFrom, "maxlength=\"200\"") +
         text_field(kReceiptForm, "reference", Msg::kFieldReference, "maxlength=\"200\"") +
         text_field(kReceiptForm, "lot", Msg::kFieldLot, "maxlength=\"200\"") +
         text_field(kReceiptForm, "expires", Msg::kFieldExpires, "placeholder=\"2021-06-30\"", Msg::kFieldExpiresHint) +
         FormEnd(page, kReceiptForm, state, Msg::kSubmitReceipt) + "</form></section>\n";

  if (Sites(page).empty()) return out + "</div>\n";  // the city reserve's node: a warehouse, no sites
  out += FormStart(page, kDemandForm, Msg::kFormDemand, Msg::kFormDemandNote) +
         where_what_how_many(kDemandForm, Msg::kFieldSite, Sites(page), Msg::kFieldOnHand) +
         text_field(kDemandForm, "daily_use", Msg::kFieldDailyUse, "inputmode=\"decimal\"", Msg::kFieldDailyUseHint) +
         text_field(kDemandForm, "as_of", Msg::kFieldAsOf, when, Msg::kFieldAsOfHint) +
         FormEnd(page, kDemandForm, state, Msg::kSubmitDemand) + "</form></section>\n";
  return out + "</div>\n";
}

std::string ImportPage(const NodePageContext& page, const std::vector<EntryError>& problems, const std::string& notice,
                       std::optional<Msg> page_error) {
  const Lang lang = page.lang;
  std::string out = Heading(page, Msg::kImportHeading) + notice;
  if (!problems.empty()) {
    const bool only_confirm = std::all_of(problems.begin(), problems.end(),
                                          [](const EntryError& e) { return e.confirmable(); });
    out += "<section class=\"refused\" id=\"import-refused\" role=\"alert\"><p class=\"form-error\">" +
           Esc(only_confirm ? std::string(Text(lang, Msg::kImportRefusedConfirm))
                            : Format(lang, Msg::kImportRefused, {std::to_string(problems.size())})) +
           "</p><ul id=\"import-errors\">";
    for (const EntryError& e : problems) {
      out += "<li data-line=\"" + std::to_string(e.line) + "\">" + Esc(ProblemLine(lang, *page.city, e)) + "</li>";
    }
    out += "</ul></section>\n";
  }
  // The example in this county's own ids, so it can be copied as it is.
  const auto warehouses = Warehouses(page);
  const auto sites = Sites(page);
  const std::string warehouse = warehouses.empty() ? "WAREHOUSE" : warehouses.front().first;
  const std::string site = sites.empty() ? "SITE" : sites.front().first;
  const std::string item = page.city->items().empty() ? "ITEM" : page.city->items().front().id;
  out += "<section class=\"entry\"><p class=\"caption\">" + Esc(Text(lang, Msg::kImportNote)) +
         "</p>\n<pre class=\"example\">" +
         Esc("type,place,item,quantity,daily_use,source,from\nstock," + warehouse + "," + item + ",12000,,,\nreceipt," +
             warehouse + "," + item + ",5000,,donation,\"Fujian Red Cross, Sanming\"\ndemand," + site + "," + item +
             ",800,1200,,") +
         "</pre>\n"
         "<form method=\"post\" action=\"/import\" enctype=\"multipart/form-data\" id=\"import-form\" class=\"entry\">" +
         Hidden(page) + "\n<div class=\"field\"><label for=\"import-file\">" + Esc(Text(lang, Msg::kImportFileLabel)) +
         "</label><input type=\"file\" name=\"file\" id=\"import-file\" accept=\".csv,text/csv\"" +
         (page_error ? " aria-invalid=\"true\" class=\"wrong\"" : "") + "><small class=\"hint\">" +
         Esc(Text(lang, Msg::kImportFileHint)) + "</small>" +
         (page_error ? "<span class=\"field-error\" id=\"import-error\" role=\"alert\">" + Esc(Text(lang, *page_error)) +
                           "</span>"
                     : "") +
         "</div>\n"
         "<label class=\"confirm\"><input type=\"checkbox\" name=\"confirm\" value=\"yes\" id=\"import-confirm\"> " +
         Esc(Text(lang, Msg::kImportConfirmAll)) + "</label>\n<button type=\"submit\" id=\"import-submit\">" +
         Esc(Text(lang, Msg::kImportSubmit)) + "</button></form></section>\n";
  return out;
}

int64_t NewestOrder(const std::vector<NodeOrder>& orders) {
  int64_t newest = 0;
  for (const NodeOrder& o : orders) newest = std::max(newest, o.id);
  return newest;
}

std::string OrdersPage(const NodePageContext& page, const std::vector<NodeOrder>& orders, uint64_t orders_held,
                       const OrderFormState& state, const std::string& notice) {
  const Lang lang = page.lang;
  const City& city = *page.city;
  std::string out = Heading(page, Msg::kOrdersHeading) + notice;
  // Shown by orders-watch.js when an order comes or changes: a link to reload, never a reload (the
  // forms below may be half filled). Without the script the page is as it is, reloaded by hand.
  out += "<p class=\"notice\" id=\"orders-watch\" role=\"status\" hidden data-held=\"" + std::to_string(orders_held) +
         "\" data-newest=\"" + std::to_string(NewestOrder(orders)) + "\"><a href=\"/orders\" id=\"orders-arrived\" hidden>" +
         Esc(Text(lang, Msg::kOrdersArrived)) + "</a><a href=\"/orders\" id=\"orders-changed\" hidden>" +
         Esc(Text(lang, Msg::kOrdersChanged)) + "</a></p>\n<script src=\"/static/orders-watch.js\" defer></script>\n";
  // Said at the top too: the order's row may no longer offer the form that was sent.
  if (state.error) {
    out += "<p class=\"form-error\" id=\"order-error\" role=\"alert\">" + Esc(Text(lang, Msg::kFormNotRecorded)) +
           Esc(Text(lang, Msg::kSepLabel)) + Esc(ProblemText(lang, city, *state.error)) + "</p>\n";
  }
  out += "<p class=\"caption\">" + Esc(Text(lang, Msg::kOrdersNote)) + "</p>\n";
  // A step form of one order: the token, the order, and its mistake if it was the one sent.
  const auto step_form = [&](const NodeOrder& o, const std::string& step, const std::string& fields, Msg button) {
    const std::string id = std::to_string(o.id);
    std::string html = "<form method=\"post\" action=\"/orders/" + id + "/" + step + "\" class=\"step\" id=\"" + step +
                       "-" + id + "-form\">" + Hidden(page) + fields + "<button type=\"submit\" id=\"" + step + "-" + id +
                       "\">" + Esc(Text(lang, button)) + "</button>";
    if (state.order == o.id && state.step == step && state.error) {
      html += "<span class=\"field-error\" id=\"" + step + "-" + id + "-error\" role=\"alert\">" +
              Esc(ProblemText(lang, city, *state.error)) + "</span>";
    }
    return html + "</form>";
  };
  const auto typed = [&](const NodeOrder& o, const std::string& step, const std::string& name) {
    return state.order == o.id && state.step == step ? state.values.Get(name) : std::string();
  };
  const auto status_cell = [&](const NodeOrder& o) {
    std::string cell = Esc(StatusName(lang, o.status));
    if (!o.pending_step.empty()) {
      std::string step = o.pending ? std::string(Text(lang, StepMsg(OrderStepVerb(*o.pending)))) : o.pending_step;
      cell += "<br><small class=\"pending\">" + Esc(Format(lang, Msg::kPendingStep, {step})) + "</small>";
    }
    return cell;
  };

  std::vector<std::vector<std::string>> ship_rows, incoming_rows;
  for (const NodeOrder& o : orders) {
    const auto status = ParseOrderStatus(o.status);
    if (!status || !IsOpen(*status)) continue;
    const std::string id = std::to_string(o.id);
    if (o.from_county == page.county && IsUnshipped(*status)) {
      std::string pick;
      for (const wire::BatchLine& b : o.batches) {
        pick += "<li>" + Esc(Format(lang, Msg::kPickLine, {std::to_string(b.batch())}));
        if (!b.lot().empty()) pick += " · " + Esc(Text(lang, Msg::kFieldLot)) + " " + Esc(b.lot());
        pick += " · " + (b.expires().empty() ? Esc(Text(lang, Msg::kPickUndated))
                                             : Esc(Text(lang, Msg::kFieldExpires)) + " " + Esc(b.expires()));
        if (!b.donor().empty()) pick += " · " + Esc(b.donor());
        pick += " × " + Count(b.qty()) + "</li>";
      }
      const bool stepped = o.pending.has_value();
      std::string actions;
      if (!stepped) {
        actions = step_form(o, "ship", "", Msg::kShipButton) +
                  step_form(o, "reject",
                            "<input name=\"reason\" id=\"reject-" + id + "-reason\" maxlength=\"200\" placeholder=\"" +
                                Esc(Text(lang, Msg::kFieldReason)) + "\" aria-label=\"" +
                                Esc(Text(lang, Msg::kFieldReason)) + "\" value=\"" + Esc(typed(o, "reject", "reason")) +
                                "\">",
                            Msg::kRejectButton);
      }
      ship_rows.push_back({std::to_string(o.id), Esc(SiteName(lang, city, o.to_site)),
                           Esc(ItemName(lang, city, o.item)), Count(o.qty), status_cell(o),
                           pick.empty() ? "-" : "<ul class=\"pick\">" + pick + "</ul>", actions});
    }
    // A receive form only where receiving is a step to take on the order as this node knows it: not
    // after its own receipt, nor after its own rejection still on its way to the broker.
    const StepOutcome receiving = DecideStep(KnownStatus(*status, o.pending), OrderStep::kReceive).outcome;
    if (o.to_county == page.county && (receiving == StepOutcome::kApply || receiving == StepOutcome::kShipAndReceive)) {
      const std::string qty = typed(o, "receive", "quantity");
      incoming_rows.push_back(
          {std::to_string(o.id), Esc(WarehouseName(lang, city, o.from_warehouse)), Esc(SiteName(lang, city, o.to_site)),
           Esc(ItemName(lang, city, o.item)), Count(o.qty), status_cell(o),
           step_form(o, "receive",
                     "<input name=\"quantity\" id=\"receive-" + id + "-quantity\" inputmode=\"numeric\" size=\"8\" value=\"" +
                         Esc(qty.empty() ? std::to_string(o.qty) : qty) + "\" aria-label=\"" +
                         Esc(Text(lang, Msg::kColReceived)) + "\">",
                     Msg::kReceiveButton)});
    }
  }
  out += "<section id=\"orders-ship\"><h2>" + Esc(Text(lang, Msg::kOrdersShipHeading)) + "</h2>\n";
  out += ship_rows.empty() ? "<p class=\"empty\">" + Esc(Text(lang, Msg::kOrdersNoShip)) + "</p>\n"
                           : Table({std::string(Text(lang, Msg::kColOrder)), std::string(Text(lang, Msg::kColTo)),
                                    std::string(Text(lang, Msg::kColItem)), std::string(Text(lang, Msg::kColQty)),
                                    std::string(Text(lang, Msg::kColStatus)), std::string(Text(lang, Msg::kColPick)),
                                    std::string(Text(lang, Msg::kColAction))},
                                   ship_rows, "orders ship");
  out += "</section>\n<section id=\"orders-incoming\"><h2>" + Esc(Text(lang, Msg::kOrdersIncomingHeading)) + "</h2>\n";
  out += incoming_rows.empty()
             ? "<p class=\"empty\">" + Esc(Text(lang, Msg::kOrdersNoIncoming)) + "</p>\n"
             : Table({std::string(Text(lang, Msg::kColOrder)), std::string(Text(lang, Msg::kColFrom)),
                      std::string(Text(lang, Msg::kColTo)), std::string(Text(lang, Msg::kColItem)),
                      std::string(Text(lang, Msg::kColQty)), std::string(Text(lang, Msg::kColStatus)),
                      std::string(Text(lang, Msg::kColReceived))},
                     incoming_rows, "orders incoming");
  return out + "</section>\n";
}

}  // namespace ppe::web
