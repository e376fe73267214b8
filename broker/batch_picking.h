// BatchPicking: which batches an order takes, and which a count's shortfall comes out of. Pure:
// the store (batch_book.h) loads the batches of one warehouse and item and writes what this says.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ppe {

struct BatchStock {
  int64_t id = 0;
  std::string expires;  // YYYY-MM-DD; empty: undated
  int64_t on_hand = 0;
  int64_t reserved = 0;  // held by lines of orders not yet shipped
  int64_t free() const { return on_hand - reserved; }
};

struct BatchTake {
  int64_t batch = 0;
  int64_t qty = 0;
};

// Picking order: earliest expiry first, undated last, then oldest batch (lowest id) first.
bool PicksBefore(const BatchStock& a, const BatchStock& b);
// Expired: its expiry date is before `today` (YYYY-MM-DD); it is usable through that day.
bool Expired(const BatchStock& batch, const std::string& today);

// Up to `qty` from the free stock of `batches`, in picking order, never an expired batch.
// Returns what was taken (its sum may be less than qty when the batches hold less); `batches`
// are updated (reserved += taken) so the next order of the same round sees what is left.
std::vector<BatchTake> PickForOrder(std::vector<BatchStock>& batches, int64_t qty, const std::string& today);

// A count `shortfall` units below the books: out of free stock first, in picking order (expired
// batches, dated earliest, come first: they are the first to be thrown away or handed out
// unrecorded), then out of reserved stock in the same order. Never below 0 in any batch; the
// sum taken is min(shortfall, what the batches hold). `batches` are updated (on_hand -= taken).
std::vector<BatchTake> ChargeShortfall(std::vector<BatchStock>& batches, int64_t shortfall);

// `received` units of an order over its lines, in the order the lines were picked: the first
// lines are received in full and the shortfall falls on the last ones. Returns per line.
std::vector<int64_t> SplitReceived(const std::vector<int64_t>& line_qty, int64_t received);

}  // namespace ppe
