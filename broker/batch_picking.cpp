#include "broker/batch_picking.h"

#include <algorithm>
#include <tuple>

namespace ppe {

bool PicksBefore(const BatchStock& a, const BatchStock& b) {
  return std::make_tuple(a.expires.empty(), a.expires, a.id) < std::make_tuple(b.expires.empty(), b.expires, b.id);
}

bool Expired(const BatchStock& batch, const std::string& today) {
  return !batch.expires.empty() && batch.expires < today;
}

namespace {

std::vector<BatchStock*> InPickingOrder(std::vector<BatchStock>& batches) {
  std::vector<BatchStock*> order;
  for (BatchStock& b : batches) order.push_back(&b);
  std::sort(order.begin(), order.end(), [](const BatchStock* a, const BatchStock* b) { return PicksBefore(*a, *b); });
  return order;
}

}  // namespace

std::vector<BatchTake> PickForOrder(std::vector<BatchStock>& batches, int64_t qty, const std::string& today) {
  std::vector<BatchTake> taken;
  for (BatchStock* b : InPickingOrder(batches)) {
    if (qty <= 0) break;
    if (Expired(*b, today) || b->free() <= 0) continue;
    const int64_t take = std::min(qty, b->free());
    b->reserved += take;
    qty -= take;
    taken.push_back({b->id, take});
  }
  return taken;
}

std::vector<BatchTake> ChargeShortfall(std::vector<BatchStock>& batches, int64_t shortfall) {
  std::vector<BatchTake> taken;
  const std::vector<BatchStock*> order = InPickingOrder(batches);
  // First pass: what no order holds; second: the rest (the stock is not there, whoever held it).
  for (const bool free_only : {true, false}) {
    for (BatchStock* b : order) {
      if (shortfall <= 0) break;
      const int64_t there = free_only ? std::max<int64_t>(0, b->free()) : b->on_hand;
      const int64_t take = std::min(shortfall, std::max<int64_t>(0, there));
      if (take == 0) continue;
      b->on_hand -= take;
      shortfall -= take;
      const auto same = std::find_if(taken.begin(), taken.end(), [&](const BatchTake& t) { return t.batch == b->id; });
      if (same != taken.end()) {
        same->qty += take;
      } else {
        taken.push_back({b->id, take});
      }
    }
  }
  return taken;
}

std::vector<int64_t> SplitReceived(const std::vector<int64_t>& line_qty, int64_t received) {
  std::vector<int64_t> split;
  for (const int64_t qty : line_qty) {
    const int64_t got = std::clamp<int64_t>(received, 0, qty);
    split.push_back(got);
    received -= got;
  }
  // More received than shipped (a miscount at the site): the surplus lands on the last line.
  if (received > 0 && !split.empty()) split.back() += received;
  return split;
}

}  // namespace ppe
