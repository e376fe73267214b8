// The broker's site_history read (what a site's chart on ppe-web draws): counts set the level,
// deliveries that landed after a count add to it, in time order; cover is each level over the
// site's trusted daily use now; unknown sites and items are errors naming them; the series is
// capped at its latest points.
#include <gtest/gtest.h>

#include "broker/broker_store.h"
#include "broker/site_history.h"
#include <filesystem>
#include <memory>

namespace ppe {
namespace {

// A fresh folder under /tmp for the store, removed with everything in it.
class Folder {
 public:
  Folder() {
    char pattern[] = "/tmp/ppe-site-history-XXXXXX";
    path_ = mkdtemp(pattern);
  }
  ~Folder() { std::filesystem::remove_all(path_); }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

constexpr int64_t kHour = 3600 * 1000;
constexpr int64_t kT0 = 1'580'000'000'000;  // February 2020

class SiteHistoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto city = City::Load(PPE_SOURCE_DIR "/config/sanming.yaml");
    ASSERT_TRUE(city.ok()) << city.status().message();
    city_ = std::make_unique<City>(std::move(*city));
    auto store = BrokerStore::Open(dir_.File("broker.db"));
    ASSERT_TRUE(store.ok()) << store.status().message();
    store_ = std::move(*store);
  }
  ReportOrigin At(int64_t ms) { return {"meilie", ++seq_, ms, ms}; }
  void Count(const std::string& site, const std::string& item, int64_t on_hand, double use, int64_t at) {
    wire::Demand d;
    d.set_site(site);
    d.set_item(item);
    d.set_on_hand(on_hand);
    d.set_daily_use(use);
    ASSERT_TRUE(store_->Begin().ok());
    ASSERT_TRUE(store_->ApplyDemand(At(at), d).ok());
    ASSERT_TRUE(store_->Commit().ok());
  }
  void Land(const std::string& site, const std::string& item, int64_t qty, int64_t at) {
    ASSERT_TRUE(store_->Begin().ok());
    ASSERT_TRUE(store_->AppendEvent(At(at), "landed", site, item, qty, qty, "{}").ok());
    ASSERT_TRUE(store_->Commit().ok());
  }

  Folder dir_;
  std::unique_ptr<City> city_;
  std::unique_ptr<BrokerStore> store_;
  uint64_t seq_ = 0;
};

TEST_F(SiteHistoryTest, CountsSetTheLevelAndLandingsAddToItInTimeOrder) {
  Count("sm-first-hospital", "mask.n95", 800, 400, kT0);
  Land("sm-first-hospital", "mask.n95", 1200, kT0 + kHour);
  Count("sm-first-hospital", "mask.n95", 1600, 400, kT0 + 2 * kHour);
  Count("ml-rail", "mask.n95", 50, 10, kT0);  // another site: not in this one's history
  auto h = SiteHistory(store_->db(), *city_, "sm-first-hospital", "", kT0 + 3 * kHour);
  ASSERT_TRUE(h.ok()) << h.status().message();
  EXPECT_EQ((*h)["site"], "sm-first-hospital");
  EXPECT_EQ((*h)["tier"], 1);
  ASSERT_EQ((*h)["items"].size(), 1u);
  const auto& item = (*h)["items"][0];
  EXPECT_EQ(item["item"], "mask.n95");
  EXPECT_EQ(item["used_daily_use"], 400.0);
  const auto& p = item["points"];
  ASSERT_EQ(p.size(), 3u);
  EXPECT_EQ(p[0]["on_hand"], 800);
  EXPECT_EQ(p[0]["change"], "count");
  EXPECT_EQ(p[0]["days_of_cover"], 2.0);
  EXPECT_EQ(p[1]["on_hand"], 2000);  // 800 + 1,200 landed
  EXPECT_EQ(p[1]["change"], "landed");
  EXPECT_EQ(p[1]["days_of_cover"], 5.0);
  EXPECT_EQ(p[2]["on_hand"], 1600);  // the next count replaces the level
  EXPECT_EQ(p[2]["at_ms"], kT0 + 2 * kHour);
}

TEST_F(SiteHistoryTest, CoverUsesTheTrustedDailyUseNotTheLoudestReport) {
  // 2,200 staff: a ceiling of 3 x 2,200 x 2 = 13,200 a day; a report of 100,000 is capped to it.
  Count("sm-first-hospital", "mask.n95", 13200, 100000, kT0);
  auto h = SiteHistory(store_->db(), *city_, "sm-first-hospital", "mask.n95", kT0 + kHour);
  ASSERT_TRUE(h.ok()) << h.status().message();
  EXPECT_EQ((*h)["items"][0]["used_daily_use"], 13200.0);
  EXPECT_EQ((*h)["items"][0]["points"][0]["days_of_cover"], 1.0);
}

TEST_F(SiteHistoryTest, AnItemFilterUnknownNamesAndTheCap) {
  Count("sm-first-hospital", "mask.n95", 100, 10, kT0);
  Count("sm-first-hospital", "sanitizer", 10, 1, kT0);
  auto one = SiteHistory(store_->db(), *city_, "sm-first-hospital", "sanitizer", kT0 + kHour);
  ASSERT_TRUE(one.ok());
  ASSERT_EQ((*one)["items"].size(), 1u);
  EXPECT_EQ((*one)["items"][0]["item"], "sanitizer");
  EXPECT_EQ(SiteHistory(store_->db(), *city_, "sm-first-hospital", "", kT0 + kHour)->at("items").size(), 2u);
  auto unknown = SiteHistory(store_->db(), *city_, "atlantis-hospital", "", kT0);
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("unknown site 'atlantis-hospital'"), std::string::npos);
  EXPECT_FALSE(SiteHistory(store_->db(), *city_, "sm-first-hospital", "gold", kT0).ok());
  // A site with no counts: no items, not an error.
  EXPECT_TRUE(SiteHistory(store_->db(), *city_, "ml-rail", "", kT0)->at("items").empty());

  for (size_t i = 0; i < kSiteHistoryMaxPoints + 20; ++i) {
    Land("ml-rail", "mask.n95", 1, kT0 + static_cast<int64_t>(i) * 1000);
  }
  auto capped = SiteHistory(store_->db(), *city_, "ml-rail", "mask.n95", kT0 + kHour);
  ASSERT_TRUE(capped.ok());
  const auto& points = (*capped)["items"][0]["points"];
  ASSERT_EQ(points.size(), kSiteHistoryMaxPoints);
  // The latest ones, with the level built from the whole history.
  EXPECT_EQ(points[points.size() - 1]["on_hand"], static_cast<int64_t>(kSiteHistoryMaxPoints + 20));
}

}  // namespace
}  // namespace ppe
