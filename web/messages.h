// Messages: every word a page shows, in 简体中文 (the default) and English, one table per language
// (messages_zh.cpp, messages_en.cpp); code names a message by its id and never spells text itself.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>

namespace ppe::web {

enum class Lang { kZh, kEn };

// "zh-CN" / "en", for <html lang>; "zh" / "en" for links and the cookie.
std::string_view LangTag(Lang lang);
std::string_view LangCode(Lang lang);
// "en" → kEn, anything else → kZh (the default).
Lang LangFromCode(std::string_view code);

enum class Msg {
  // the page shell
  kAppTitle, kNavCity, kNavLog, kNavDonations, kNavPlan, kLangSwitch, kUpdatedAt, kLiveNote,
  kBrokerDown, kLogout, kSignedInAs, kDaysValue, kNone, kNever, kCityReserve, kYes, kNo,
  // the city
  kCityHeading, kMapHeading, kMapCaption, kMapItem, kMapAllItems, kLegend, kBandCritical, kBandLow,
  kBandWatch, kBandOk, kBandNone, kCountiesHeading, kColCounty, kColContact, kColTier1Cover,
  kColStockCover, kCellNote, kTrendUp, kTrendDown, kTrendFlat, kAlertsHeading, kNoAlerts,
  kSilentHeading, kNoSilent, kInFlightHeading, kNoInFlight,
  // table columns
  kColOrder, kColRound, kColStatus, kColFrom, kColTo, kColItem, kColQty, kColReceived, kColTier,
  kColReason, kColTime, kColWho, kColNote, kColSite, kColKind, kColHeadcount, kColOnHand,
  kColDailyUse, kColInTransit, kColCover, kColAsOf, kColFlags, kColWarehouse, kColStock,
  kColBatch, kColLot, kColExpires, kColDonor, kColDate, kColCoverChange, kColForItem,
  // order statuses
  kStatusCreated, kStatusAccepted, kStatusShipped, kStatusReceived, kStatusRejected, kStatusCancelled,
  // alert kinds
  kAlertSilent, kAlertRefused, kAlertLowCover, kAlertNotAccepted, kAlertNotShipped, kAlertDiscrepancy,
  kAlertConfirmedFigure, kAlertUnreadable, kAlertLostReports, kAlertCappedDemand, kAlertStaleDemand,
  kAlertInconsistentUse, kAlertExpiring, kAlertExpired, kAlertOrderConflict, kAlertOther,
  // An alert's detail, from the broker's facts: {0}, {1}, ... as listed beside each in the tables.
  kAlertSilentSince, kAlertNeverConnected, kAlertRefusedDetail, kAlertLowCoverDetail, kAlertCappedDetail,
  kAlertStaleDetail, kAlertInconsistentDetail, kAlertExpiringDetail, kAlertExpiredDetail, kAlertNotAcceptedDetail,
  kAlertNotShippedDetail, kAlertDiscrepancyDetail, kAlertConfirmedDetail, kAlertConflictDetail,
  kAlertUnreadableDetail, kAlertLostDetail,
  // a county, a site
  kCountyHeading, kConnected, kSilent, kCountyItemsHeading, kSiteItemsHeading, kSitesHeading, kNoDemand, kSiteHeading, kTierValue,
  kChartHeading, kChartNote, kChartEmpty, kTargetLine, kOrdersToSite, kFlagCapped, kFlagCappedFigures, kFlagStale,
  kSiteFacts,
  // an order
  kOrderHeading, kOrderSummary, kOrderWhy, kOrderSource, kHistoryHeading, kBatchesHeading,
  // the broker's fixed phrases (web/broker_phrases.h): why that warehouse, a step's note, who
  kReasonOwnCounty, kReasonCityReserve, kReasonNearest, kNoteDiscrepancy, kNoteImpliedShipment, kWhoCoordinator,
  // the dispatch log
  kLogHeading, kFilterApply, kFilterAny, kFilterSiteHint, kSince, kUntil, kLogEmpty, kLogCount,
  // donations
  kDonationsHeading, kDonationsNote, kNoDonations, kDonorTotals, kAddsUp, kDoesNotAddUp,
  kInWarehouses, kLanded, kLost, kGenerated,
  // the dry-run plan
  kPlanHeading, kPlanNote, kPlanRound, kPlanTier, kPlanNoOrders,
  // errors
  kErrTitle, kErrNotFound, kErrBadRequest, kErrHost, kErrServer, kErrUnknownSite, kErrUnknownCounty,
  kErrUnknownItem, kErrUnknownOrder, kErrBadStatus, kErrBadTime, kErrMethod, kBackHome,
  // login
  kLoginHeading, kLoginUser, kLoginPassword, kLoginSubmit, kLoginWrong, kLoginNeeded,
  // shared by both pages; the separators of a list ("，"), after a label ("："), two sentences in a row
  kErrTooLarge, kErrCsrf, kSepList, kSepLabel, kTwoSentences,
  // the county page (ppe-node web): its frame and link status
  kNodeAppTitle, kNodeNavEntry, kNodeNavImport, kNodeNavOrders, kNodeBackHome, kNodeHeading, kNodeStatusHeading,
  kNodeDaemonRunning, kNodeDaemonStopped, kNodeConnected, kNodeDisconnected, kNodePending, kNodeLastAck, kNodeNoAck,
  kNodeCatalogue, kNodeRefused,
  // its forms and fields
  kFormStock, kFormStockNote, kFormReceipt, kFormReceiptNote, kFormDemand, kFormDemandNote, kFieldWarehouse,
  kFieldSite, kFieldPlace, kFieldItem, kFieldCounted, kFieldReceived, kFieldOnHand, kFieldDailyUse, kFieldDailyUseHint, kFieldAsOf,
  kFieldAsOfHint, kFieldSource, kSourceProduction, kSourceDonation, kSourceTransfer, kFieldFrom, kFieldReference,
  kFieldLot, kFieldExpires, kFieldExpiresHint, kFieldFile, kFieldConfirm, kFieldOrder, kFieldReason, kSubmitStock,
  kSubmitReceipt, kSubmitDemand, kConfirmBox, kConfirmSubmit, kConfirmAsk, kFormNotRecorded,
  // what was recorded
  kRecorded, kImported, kImportedOne, kImportConverted, kStepRepeat, kImpliedShipment, kDiscrepancy, kSumStock, kSumReceipt,
  kSumDemand, kSumShip, kSumReceive, kSumReject,
  // the CSV import
  kImportHeading, kImportNote, kImportConfirmAll, kImportSubmit, kImportRefused, kImportRefusedConfirm, kImportLine,
  kImportNoFile, kImportFileLabel, kImportFileHint,
  // the orders
  kOrdersHeading, kOrdersShipHeading, kOrdersIncomingHeading, kOrdersNoShip, kOrdersNoIncoming, kOrdersNote, kColPick,
  kColAction, kPickLine, kPickUndated, kShipButton, kRejectButton, kReceiveButton, kPendingStep, kStepShip,
  kStepReceive, kStepReject, kOrdersArrived, kOrdersChanged,
  // an operator's mistake (nodes/entry_error.h's EntryProblem, one for one)
  kProbMissing, kProbNegative, kProbNotWhole, kProbTooLarge, kProbNotNumber, kProbBadText, kProbBadTime,
  kProbFutureTime, kProbBadDate, kProbUnknownWarehouse, kProbUnknownSite, kProbUnknownItem, kProbNotYourCounty,
  kProbBadQuantity, kProbZeroReceipt, kProbBeyondLimit, kProbRefused, kProbNotSource, kProbDonorNeeded, kProbCountOrder, kProbImplausibleCount,
  kProbImplausibleUse, kProbImplausibleBoth, kProbExpired, kProbUnknownOrder, kProbNotYourOrder, kProbStepTooLate,
  kProbUnknownStatus, kProbReasonNeeded, kProbCsvUnreadable, kProbCsvTooBig, kProbCsvEncoding, kProbCsvQuote,
  kProbCsvEmpty, kProbCsvHeader, kProbCsvFieldCount, kProbCsvFieldsMissing, kProbCsvType, kProbCsvLotOnCount, kProbCsvAsOfOnReceipt,
  kProbCsvConfirm, kProbCsvNoRows,
  kCount  // not a message: how many there are
};

// The text of `msg` in `lang` ("" only if a table lacks it, which the tests forbid).
std::string_view Text(Lang lang, Msg msg);
// Text with {0}, {1}, ... replaced by `args` in order.
std::string Format(Lang lang, Msg msg, std::initializer_list<std::string> args);

// The catalogue's words that the city file gives in one language only: item names and site kinds.
// "" when the table has none (the caller then shows the catalogue's own).
std::string_view ItemWord(Lang lang, std::string_view item_id);
std::string_view KindWord(Lang lang, std::string_view kind);

// The two halves of a bilingual catalogue name ("梅列区 Meilie District"): the Chinese one in
// Chinese, the rest in English; a name in one language is shown as it is in both.
std::string PlaceName(Lang lang, const std::string& name);

// A table: every message of one language, by id (messages_zh.cpp, messages_en.cpp).
struct MessageEntry {
  Msg id;
  const char* text;
};
struct WordEntry {
  const char* key;
  const char* text;
};
struct MessageTable {
  const MessageEntry* messages;
  size_t message_count;
  const WordEntry* items;
  size_t item_count;
  const WordEntry* kinds;
  size_t kind_count;
};
const MessageTable& ZhTable();
const MessageTable& EnTable();

}  // namespace ppe::web
