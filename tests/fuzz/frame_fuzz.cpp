// libFuzzer target over what the broker decides from one frame's bytes (FrameReader::Judge):
// decoding, the batch bound, and every report's checks, for a node, the city's node and a viewer.
// `frame_fuzz --write-seeds DIR` writes the seed corpus: one valid frame of each kind.
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "broker/frame_reader.h"
#include "common/wire.h"

namespace {

const ppe::City& Sanming() {
  static const ppe::City city = [] {
    auto loaded = ppe::City::Load(PPE_SOURCE_DIR "/config/sanming.yaml");
    if (!loaded.ok()) {
      std::cerr << loaded.status().message() << "\n";
      std::abort();
    }
    return std::move(*loaded);
  }();
  return city;
}

ppe::wire::Report* AddReport(ppe::wire::ReportBatch* batch, uint64_t seq) {
  ppe::wire::Report* r = batch->add_reports();
  r->set_seq(seq);
  r->set_recorded_at_ms(1580515200000);
  return r;
}

void SetStock(ppe::wire::StockCount* m, const char* warehouse, const char* item, int64_t quantity) {
  m->set_warehouse(warehouse);
  m->set_item(item);
  m->set_quantity(quantity);
}

// Valid frames of every message a client sends, and reports a node may and may not send.
std::vector<ppe::wire::Envelope> Seeds() {
  using namespace ppe::wire;
  std::vector<Envelope> seeds(6);
  seeds[0].mutable_hello()->set_software_version("ppe-node 1");
  seeds[0].mutable_hello()->set_recorded_head(12);
  seeds[1].mutable_heartbeat()->set_recorded_head(12);
  seeds[2].mutable_order_ack()->set_up_to_seq(3);
  seeds[3].mutable_request()->set_command("orders");
  seeds[3].mutable_request()->set_args_json(R"({"county":"sanyuan"})");
  ReportBatch* batch = seeds[4].mutable_reports();
  SetStock(AddReport(batch, 1)->mutable_stock(), "sanyuan-wh", "mask.n95", 12000);
  Receipt* receipt = AddReport(batch, 2)->mutable_receipt();
  receipt->set_warehouse("sanyuan-wh");
  receipt->set_item("sanitizer");
  receipt->set_quantity(500);
  receipt->set_source(DONATION);
  receipt->set_from("Fujian Red Cross");
  Demand* demand = AddReport(batch, 3)->mutable_demand();
  demand->set_site("sy-integrated-hospital");
  demand->set_item("mask.surgical");
  demand->set_on_hand(800);
  demand->set_daily_use(1200.5);
  OrderStep* step = AddReport(batch, 4)->mutable_order_step();
  step->set_order_id(7);
  step->set_step(REJECT);
  step->set_reason("warehouse flooded");
  SetStock(AddReport(batch, 5)->mutable_stock(), "meilie-wh", "disinfectant", -1);  // not sanyuan's
  AddReport(seeds[5].mutable_reports(), 6);  // a report with no content
  return seeds;
}

int WriteSeeds(const std::string& dir) {
  const std::vector<ppe::wire::Envelope> seeds = Seeds();
  for (size_t i = 0; i < seeds.size(); ++i) {
    std::ofstream(dir + "/seed-" + std::to_string(i), std::ios::binary) << seeds[i].SerializeAsString();
  }
  std::cout << "wrote " << seeds.size() << " seeds to " << dir << "\n";
  return 0;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) {
  for (int i = 1; i + 1 < *argc; ++i) {
    if (std::strcmp((*argv)[i], "--write-seeds") == 0) std::exit(WriteSeeds((*argv)[i + 1]));
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const ppe::FrameReader reader(Sanming());
  static const ppe::Identity who[] = {{"sanyuan", ppe::Role::kNode, "sanyuan"},
                                      {"city", ppe::Role::kNode, ppe::kCityCounty},
                                      {"viewer", ppe::Role::kViewer, ""}};
  const zmq::message_t frame(data, size);
  for (const ppe::Identity& identity : who) reader.Judge(identity, frame);
  return 0;
}
