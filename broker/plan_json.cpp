#include "broker/plan_json.h"

#include <charconv>
#include <cmath>

namespace ppe {
namespace {

double Rounded(double value) { return std::round(value * 100) / 100; }

const std::string kNoCounty;

const std::string& CountyOfWarehouse(const City& city, const std::string& id) {
  const Warehouse* w = city.FindWarehouse(id);
  return w ? w->county : kNoCounty;
}

const std::string& CountyOfSite(const City& city, const std::string& id) {
  const Site* s = city.FindSite(id);
  return s ? s->county : kNoCounty;
}

// Appends JSON text; strings escaped as nlohmann does (UTF-8 kept as it is).
class JsonWriter {
 public:
  explicit JsonWriter(std::string& out) : out_(out) {}

  JsonWriter& Key(std::string_view key) {
    Separate();
    Quoted(key);
    out_ += ':';
    after_key_ = true;
    return *this;
  }
  JsonWriter& String(std::string_view text) {
    Separate();
    Quoted(text);
    return *this;
  }
  JsonWriter& Int(int64_t value) { return Raw(std::to_string(value)); }
  JsonWriter& Number(double value) {
    char text[32];
    const auto end = std::to_chars(text, text + sizeof text, Rounded(value)).ptr;
    return Raw(std::string_view(text, end - text));
  }
  JsonWriter& Null() { return Raw("null"); }
  JsonWriter& Bool(bool value) { return Raw(value ? "true" : "false"); }
  JsonWriter& Open(char bracket) {
    Separate();
    out_ += bracket;
    first_ = true;
    return *this;
  }
  JsonWriter& Close(char bracket) {
    out_ += bracket;
    first_ = false;
    return *this;
  }

 private:
  void Quoted(std::string_view text) {
    out_ += '"';
    for (const char c : text) {
      const auto byte = static_cast<unsigned char>(c);
      if (c == '"' || c == '\\') {
        out_ += '\\';
        out_ += c;
      } else if (byte < 0x20) {
        static constexpr char kHex[] = "0123456789abcdef";
        out_ += "\\u00";
        out_ += kHex[byte >> 4];
        out_ += kHex[byte & 15];
      } else {
        out_ += c;
      }
    }
    out_ += '"';
  }
  JsonWriter& Raw(std::string_view text) {
    Separate();
    out_ += text;
    return *this;
  }
  // A comma before every value of a list or object but the first; none right after a key.
  void Separate() {
    if (after_key_) {
      after_key_ = false;
      return;
    }
    if (!first_) out_ += ',';
    first_ = false;
  }

  std::string& out_;
  bool first_ = true;
  bool after_key_ = false;
};

}  // namespace

nlohmann::json PlannedOrderRow(const City& city, const PlannedOrder& p, int64_t round) {
  return {{"id", nullptr},
          {"round", round},
          {"from_warehouse", p.from_warehouse},
          {"from_county", CountyOfWarehouse(city, p.from_warehouse)},
          {"to_site", p.to_site},
          {"to_county", CountyOfSite(city, p.to_site)},
          {"item", p.item},
          {"for_item", p.for_item},
          {"qty", p.qty},
          {"status", "planned"},
          {"received_qty", nullptr},
          {"tier", p.tier},
          {"days_before", Rounded(p.days_before)},
          {"days_after", Rounded(p.days_after)},
          {"distance_km", Rounded(p.distance_km)},
          {"reason", p.reason}};
}

std::string PlanJsonText(const City& city, const AllocationPlan& plan, int64_t round) {
  std::string out;
  out.reserve(plan.orders.size() * 330 + plan.coverage.size() * 90 + 64);
  JsonWriter json(out);
  json.Open('{').Key("round").Int(round).Key("dry_run").Bool(true).Key("orders").Open('[');
  for (const PlannedOrder& p : plan.orders) {
    json.Open('{')
        .Key("id").Null()
        .Key("round").Int(round)
        .Key("from_warehouse").String(p.from_warehouse)
        .Key("from_county").String(CountyOfWarehouse(city, p.from_warehouse))
        .Key("to_site").String(p.to_site)
        .Key("to_county").String(CountyOfSite(city, p.to_site))
        .Key("item").String(p.item)
        .Key("for_item").String(p.for_item)
        .Key("qty").Int(p.qty)
        .Key("status").String("planned")
        .Key("received_qty").Null()
        .Key("tier").Int(p.tier)
        .Key("days_before").Number(p.days_before)
        .Key("days_after").Number(p.days_after)
        .Key("distance_km").Number(p.distance_km)
        .Key("reason").String(p.reason)
        .Close('}');
  }
  json.Close(']').Key("coverage").Open('[');
  for (const SiteCoverage& c : plan.coverage) {
    json.Open('{')
        .Key("site").String(c.site)
        .Key("item").String(c.item)
        .Key("tier").Int(c.tier)
        .Key("days_before").Number(c.days_before)
        .Key("days_after").Number(c.days_after)
        .Close('}');
  }
  json.Close(']').Close('}');
  return out;
}

}  // namespace ppe
