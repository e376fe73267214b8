#include "ctl/donations_report.h"

#include <string>
#include <vector>

#include "common/table.h"

namespace ppe {
namespace {

const std::vector<Column> kColumns = {
    {"donor", ""}, {"row", ""},      {"date", ""},   {"item", ""},       {"item_name", ""}, {"qty", ""},
    {"reference", ""}, {"lot", ""},  {"expires", ""}, {"warehouse", ""}, {"site", ""},      {"site_name", ""},
    {"county", ""}, {"how", ""}};

nlohmann::json Rows(const nlohmann::json& report) {
  nlohmann::json rows = nlohmann::json::array();
  for (const nlohmann::json& d : report["donors"]) {
    const auto row = [&](const char* kind) {
      nlohmann::json r = {{"donor", d["donor"]}, {"row", kind}};
      for (const Column& c : kColumns) {
        if (!r.contains(c.key)) r[c.key] = nullptr;
      }
      return r;
    };
    for (const nlohmann::json& b : d["batches"]) {
      nlohmann::json r = row("received");
      for (const char* key : {"date", "item", "item_name", "reference", "lot", "expires", "warehouse", "county"}) {
        r[key] = b[key];
      }
      r["qty"] = b["received"];
      rows.push_back(r);
    }
    for (const nlohmann::json& s : d["sites"]) {
      nlohmann::json r = row("delivered");
      r["site"] = s["site"];
      r["site_name"] = s["name"];
      r["county"] = s["county"];
      r["qty"] = s["qty"];
      r["date"] = s["date"];
      rows.push_back(r);
    }
    nlohmann::json in_stock = row("in_stock");
    in_stock["qty"] = d["in_warehouses"];
    rows.push_back(in_stock);
    nlohmann::json in_transit = row("in_transit");
    in_transit["qty"] = d["in_transit"];
    rows.push_back(in_transit);
    for (const nlohmann::json& l : d["losses"]) {
      nlohmann::json r = row("lost");
      r["qty"] = l["qty"];
      r["date"] = l["date"];
      r["how"] = l["how"];
      r["site"] = l.value("site", nlohmann::json(nullptr));
      r["warehouse"] = l.value("warehouse", nlohmann::json(nullptr));
      rows.push_back(r);
    }
    nlohmann::json total = row("total");
    total["qty"] = d["received"];
    total["how"] = d["adds_up"].get<bool>() ? "adds up: received = delivered + in stock + in transit + lost"
                                            : "DOES NOT ADD UP";
    rows.push_back(total);
  }
  return rows;
}

std::string Escaped(const nlohmann::json& value) {
  const std::string text = CellText(value);
  std::string html;
  for (const char c : text) {
    switch (c) {
      case '<': html += "&lt;"; break;
      case '>': html += "&gt;"; break;
      case '&': html += "&amp;"; break;
      case '"': html += "&quot;"; break;
      default: html += c;
    }
  }
  return html;
}

}  // namespace

void WriteDonationsCsv(std::ostream& out, const nlohmann::json& report, bool csv) {
  const nlohmann::json rows = Rows(report);
  if (csv) {
    PrintCsv(out, rows, kColumns);
    return;
  }
  out << "donations report for " << CellText(report["city"]) << ", " << CellText(report["generated"]) << ": "
      << report["donors"].size() << " donors, "
      << (report["all_add_up"].get<bool>() ? "every donor's figures add up" : "SOME DO NOT ADD UP") << "\n";
  PrintTable(out, rows, kColumns);
}

void WriteDonationsHtml(std::ostream& out, const nlohmann::json& report) {
  out << "<!doctype html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
      << "<title>捐赠物资去向公示 Donations report — " << Escaped(report["city"]) << "</title>"
      << "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;margin:.5em 0 1.5em}"
         "td,th{border:1px solid #999;padding:.2em .5em;text-align:left}td.n{text-align:right}</style></head><body>\n"
      << "<h1>捐赠物资去向公示 <small>Donations report</small></h1>\n<p>" << Escaped(report["city"])
      << " · 生成于 generated " << Escaped(report["generated"]) << " · 数据来自台账，非手工录入 (from the ledger, never typed by hand) · "
      << (report["all_add_up"].get<bool>() ? "每位捐赠方的数字均已核平 every donor's figures add up"
                                           : "<strong>有数字未核平 SOME FIGURES DO NOT ADD UP</strong>")
      << "</p>\n";
  for (const nlohmann::json& d : report["donors"]) {
    out << "<h2>" << Escaped(d["donor"]) << "</h2>\n<p>收到 received " << d["received"] << " · 已送达 landed "
        << d["landed"] << " · 在途 in transit " << d["in_transit"] << " · 库存 in stock " << d["in_warehouses"]
        << " · 损耗 lost " << d["lost"] << " · " << (d["adds_up"].get<bool>() ? "已核平 adds up" : "<strong>未核平 DOES NOT ADD UP</strong>")
        << "</p>\n<table><tr><th>日期 date</th><th>物资 item</th><th>数量 qty</th><th>单据 reference</th><th>批号 lot</th>"
           "<th>有效期 expires</th><th>仓库 warehouse</th></tr>\n";
    for (const nlohmann::json& b : d["batches"]) {
      out << "<tr><td>" << Escaped(b["date"]) << "</td><td>" << Escaped(b["item_name"]) << "</td><td class=n>"
          << b["received"] << "</td><td>" << Escaped(b["reference"]) << "</td><td>" << Escaped(b["lot"]) << "</td><td>"
          << Escaped(b["expires"]) << "</td><td>" << Escaped(b["warehouse"]) << "</td></tr>\n";
    }
    out << "</table>\n<table><tr><th>送达单位 site</th><th>区县 county</th><th>数量 qty</th><th>日期 date</th></tr>\n";
    for (const nlohmann::json& s : d["sites"]) {
      out << "<tr><td>" << Escaped(s["name"]) << "</td><td>" << Escaped(s["county"]) << "</td><td class=n>" << s["qty"]
          << "</td><td>" << Escaped(s["date"]) << "</td></tr>\n";
    }
    out << "</table>\n";
    if (!d["losses"].empty()) {
      out << "<table><tr><th>损耗 loss</th><th>数量 qty</th><th>日期 date</th></tr>\n";
      for (const nlohmann::json& l : d["losses"]) {
        const bool count = l["how"] == "count adjustment";
        out << "<tr><td>" << (count ? "盘点差异 count adjustment" : "收货差异 delivery discrepancy") << "</td><td class=n>"
            << l["qty"] << "</td><td>" << Escaped(l["date"]) << "</td></tr>\n";
      }
      out << "</table>\n";
    }
  }
  out << "</body></html>\n";
}

}  // namespace ppe
