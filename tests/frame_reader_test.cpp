// FrameReader: every frame gets a decoded envelope or a refusal that names the problem, never a
// crash; batches and fields are bounded. Inputs the fuzzer found are kept here as regressions.
#include <gtest/gtest.h>

#include <random>

#include "broker/frame_reader.h"
#include "common/wire.h"

namespace ppe {
namespace {

class FrameReaderTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto city = City::Load(PPE_SOURCE_DIR "/config/sanming.yaml");
    ASSERT_TRUE(city.ok()) << city.status().message();
    city_ = new City(std::move(*city));
  }
  static void TearDownTestSuite() { delete city_; }

  static zmq::message_t Frame(const std::string& bytes) { return zmq::message_t(bytes.data(), bytes.size()); }
  static wire::Envelope Batch(int reports) {
    wire::Envelope envelope;
    for (int i = 1; i <= reports; ++i) {
      wire::Report* r = envelope.mutable_reports()->add_reports();
      r->set_seq(i);
      r->mutable_stock()->set_warehouse("sanyuan-wh");
      r->mutable_stock()->set_item("mask.n95");
      r->mutable_stock()->set_quantity(i);
    }
    return envelope;
  }
  Refusal Read(const std::string& bytes) {
    wire::Envelope envelope;
    return FrameReader(*city_).Read(Frame(bytes), &envelope);
  }
  FrameReader::Verdict Judge(const wire::Envelope& envelope, const Identity& who = kSanyuan) {
    return FrameReader(*city_).Judge(who, Encode(envelope));
  }

  static inline City* city_ = nullptr;
  static inline const Identity kSanyuan{"sanyuan", Role::kNode, "sanyuan"};
};

TEST_F(FrameReaderTest, EmptyGarbageAndTruncatedFramesAreMalformed) {
  EXPECT_EQ(Read("").code, wire::MALFORMED);
  EXPECT_NE(Read("").text.find("empty"), std::string::npos);
  EXPECT_EQ(Read("\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01").code, wire::MALFORMED);
  const std::string whole = Batch(3).SerializeAsString();
  for (size_t cut = 1; cut < whole.size(); ++cut) {
    EXPECT_EQ(Read(whole.substr(0, cut)).code, wire::MALFORMED) << "cut at " << cut;
  }
  std::mt19937 rng(7);
  for (int i = 0; i < 2000; ++i) {
    std::string noise(rng() % 64 + 1, '\0');
    for (char& c : noise) c = static_cast<char>(rng());
    wire::Envelope envelope;
    const Refusal r = FrameReader(*city_).Read(Frame(noise), &envelope);
    if (r.refused()) {
      EXPECT_EQ(r.code, wire::MALFORMED);
    }
  }
}

TEST_F(FrameReaderTest, AMessageOfNoKnownTypeIsRefused) {
  const std::string unknown_field_99 = "\x9a\x06\x03" "abc";  // field 99, length-delimited
  const Refusal r = Read(unknown_field_99);
  EXPECT_EQ(r.code, wire::MALFORMED);
  EXPECT_NE(r.text.find("unknown type"), std::string::npos) << r.text;
}

TEST_F(FrameReaderTest, ABatchOverTheLimitIsRefusedWhole) {
  EXPECT_FALSE(Judge(Batch(kMaxReportsPerBatch)).frame.refused());
  const FrameReader::Verdict over = Judge(Batch(kMaxReportsPerBatch + 1));
  EXPECT_EQ(over.frame.code, wire::MALFORMED);
  EXPECT_NE(over.frame.text.find("nothing in it was applied"), std::string::npos) << over.frame.text;
  EXPECT_TRUE(over.reports.empty());
}

TEST_F(FrameReaderTest, EachReportIsJudgedForItsSender) {
  wire::Envelope envelope = Batch(2);
  envelope.mutable_reports()->mutable_reports(1)->mutable_stock()->set_warehouse("meilie-wh");
  const FrameReader::Verdict verdict = Judge(envelope);
  ASSERT_EQ(verdict.reports.size(), 2u);
  EXPECT_FALSE(verdict.reports[0].refused());
  EXPECT_EQ(verdict.reports[1].code, wire::NOT_YOUR_COUNTY);

  const FrameReader::Verdict from_viewer = Judge(envelope, {"viewer", Role::kViewer, ""});
  for (const Refusal& r : from_viewer.reports) EXPECT_EQ(r.code, wire::FORBIDDEN);
}

TEST_F(FrameReaderTest, OverlongIdsAndReasonsAreRefusedWithoutEchoingThem) {
  const std::string huge(100000, 'x');
  wire::Envelope envelope = Batch(3);
  envelope.mutable_reports()->mutable_reports(0)->mutable_stock()->set_item(huge);
  envelope.mutable_reports()->mutable_reports(1)->mutable_demand()->set_site(huge);
  wire::OrderStep* step = envelope.mutable_reports()->mutable_reports(2)->mutable_order_step();
  step->set_order_id(1);
  step->set_step(wire::REJECT);
  step->set_reason(huge);
  const FrameReader::Verdict verdict = Judge(envelope);
  ASSERT_EQ(verdict.reports.size(), 3u);
  for (const Refusal& r : verdict.reports) {
    EXPECT_EQ(r.code, wire::MALFORMED);
    EXPECT_LT(r.text.size(), 200u) << r.text.substr(0, 300);
  }
  EXPECT_NE(verdict.reports[0].text.find("item id is 100000 characters long"), std::string::npos);
  EXPECT_NE(verdict.reports[1].text.find("site id"), std::string::npos);
  EXPECT_NE(verdict.reports[2].text.find("rejection reason"), std::string::npos);

  wire::Envelope at_limit = Batch(1);
  at_limit.mutable_reports()->mutable_reports(0)->mutable_stock()->set_item(std::string(kMaxIdLength, 'x'));
  EXPECT_EQ(Judge(at_limit).reports[0].code, wire::UNKNOWN_ITEM);  // in bounds: judged by the city
}

}  // namespace
}  // namespace ppe
