// Shared by the benchmark programs: the ReportBatch frame the load generator sends (so the raw
// CURVE stream uses the very same bytes), weighted percentiles, clocks and a tiny JSON printer.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "ppe.pb.h"

namespace ppe::bench {

inline int64_t NowUs() {
  using namespace std::chrono;
  return duration_cast<microseconds>(steady_clock::now().time_since_epoch()).count();
}

// A valid report a county node may send: 1 unit received at its own warehouse.
inline wire::Report ReceiptTemplate(const std::string& warehouse, const std::string& item) {
  wire::Report report;
  report.set_recorded_at_ms(std::chrono::duration_cast<std::chrono::milliseconds>(
                                std::chrono::system_clock::now().time_since_epoch())
                                .count());
  wire::Receipt* receipt = report.mutable_receipt();
  receipt->set_warehouse(warehouse);
  receipt->set_item(item);
  receipt->set_quantity(1);
  receipt->set_source(wire::PRODUCTION);
  return report;
}

// An Envelope{ReportBatch} of `count` copies of `proto` with seqs first_seq, first_seq+1, ...
inline wire::Envelope ReportFrame(const wire::Report& proto, uint64_t first_seq, size_t count) {
  wire::Envelope envelope;
  auto* reports = envelope.mutable_reports()->mutable_reports();
  reports->Reserve(static_cast<int>(count));
  for (size_t i = 0; i < count; ++i) {
    wire::Report* r = reports->Add();
    *r = proto;
    r->set_seq(first_seq + i);
  }
  return envelope;
}

// Percentiles over samples that each stand for `weight` reports (a frame's reports share a send).
class Latencies {
 public:
  void Add(double ms, uint32_t weight = 1) {
    samples_.push_back({ms, weight});
    total_ += weight;
  }
  uint64_t count() const { return total_; }
  // q in [0, 1]; 0 when empty.
  double Quantile(double q) {
    if (samples_.empty()) return 0;
    if (!sorted_) std::sort(samples_.begin(), samples_.end());
    sorted_ = true;
    const double rank = q * static_cast<double>(total_);
    uint64_t seen = 0;
    for (const auto& [ms, weight] : samples_) {
      seen += weight;
      if (static_cast<double>(seen) >= rank) return ms;
    }
    return samples_.back().first;
  }

 private:
  std::vector<std::pair<double, uint32_t>> samples_;
  uint64_t total_ = 0;
  bool sorted_ = false;
};

// Flat JSON objects of numbers and strings: all the programs print; no escaping needed for them.
class JsonLine {
 public:
  JsonLine& Num(const char* key, double value) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.6g", value);
    return Raw(key, buf);
  }
  JsonLine& Str(const char* key, const std::string& value) { return Raw(key, "\"" + value + "\""); }
  std::string str() const { return "{" + body_ + "}"; }

 private:
  JsonLine& Raw(const char* key, const std::string& value) {
    if (!body_.empty()) body_ += ",";
    body_ += "\"" + std::string(key) + "\":" + value;
    return *this;
  }
  std::string body_;
};

}  // namespace ppe::bench
