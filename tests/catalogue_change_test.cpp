// Catalogue changes applied to a city (common/catalogue_change): upserts in order, a retire, a
// policy value, a tier that follows its kind unless the site has its own, and refusals that name
// what the city's validation found.
#include <gtest/gtest.h>

#include "common/catalogue_change.h"
#include "common/city_writer.h"

namespace ppe {
namespace {

constexpr const char* kCity = R"(city: changeville
items:
  - {id: mask.n95, name: N95, unit: piece, lot: 50, substitutes_for: []}
tiers: {1: [designated_hospital, fever_clinic], 4: [community]}
policy: {target_days: 7, min_order_days: 1}
counties:
  - {id: alpha, name: Alpha, location: [26.0, 117.0]}
warehouses:
  - {id: alpha-wh, county: alpha, name: Alpha warehouse}
sites:
  - {id: a-hosp, county: alpha, name: Alpha hospital, kind: designated_hospital, headcount: 100}
  - {id: a-comm, county: alpha, name: Alpha community, kind: community, headcount: 50}
)";

City Base() {
  auto city = City::Parse(kCity);
  EXPECT_TRUE(city.ok()) << city.status().message();
  return *city;
}

wire::CatalogueChange SiteChange(uint64_t version, wire::CatalogueChangeKind kind, const Site& site) {
  wire::CatalogueChange c;
  c.set_version(version);
  c.set_kind(kind);
  *c.mutable_site() = SiteToWire(site);
  return c;
}

wire::CatalogueChange Retire(uint64_t version, const std::string& id) {
  wire::CatalogueChange c;
  c.set_version(version);
  c.set_kind(wire::SITE_RETIRE);
  c.mutable_site()->set_id(id);
  c.set_reason("closed");
  return c;
}

wire::CatalogueChange PolicySet(uint64_t version, const std::string& key, const std::string& value) {
  wire::CatalogueChange c;
  c.set_version(version);
  c.set_kind(wire::POLICY_SET);
  c.set_key(key);
  c.set_value(value);
  return c;
}

Site Clinic() {
  Site s;
  s.id = "a-fever";
  s.county = "alpha";
  s.name = "Alpha fever clinic";
  s.kind = "fever_clinic";
  s.headcount = 30;
  return s;
}

TEST(CatalogueChange, ChangesApplyInOrderAtTheHighestVersionAndTheOriginalIsUntouched) {
  const City base = Base();
  Site bigger = Clinic();
  bigger.headcount = 90;
  auto city = ApplyCatalogueChanges(base, {SiteChange(1, wire::SITE_ADD, Clinic()), SiteChange(2, wire::SITE_SET, bigger),
                                           Retire(3, "a-comm"), PolicySet(4, "target_days", "10")});
  ASSERT_TRUE(city.ok()) << city.status().message();
  EXPECT_EQ(city->version(), 4u);
  ASSERT_NE(city->FindSite("a-fever"), nullptr);
  EXPECT_EQ(city->FindSite("a-fever")->headcount, 90);
  EXPECT_EQ(city->FindSite("a-fever")->tier, 1);
  EXPECT_EQ(city->FindSite("a-comm"), nullptr);
  EXPECT_EQ(city->policy().target_days, 10);
  EXPECT_EQ(city->sites().size(), 2u);
  EXPECT_EQ(base.version(), 0u);
  EXPECT_NE(base.FindSite("a-comm"), nullptr);
  EXPECT_EQ(base.policy().target_days, 7);
}

TEST(CatalogueChange, AppliedTwiceOrToAFileThatHasThemAlreadyGivesTheSameCity) {
  const std::vector<wire::CatalogueChange> changes = {SiteChange(1, wire::SITE_ADD, Clinic()), Retire(2, "a-comm")};
  auto once = ApplyCatalogueChanges(Base(), changes);
  ASSERT_TRUE(once.ok());
  auto twice = ApplyCatalogueChanges(*once, changes);
  ASSERT_TRUE(twice.ok()) << twice.status().message();
  EXPECT_EQ(CityYaml(*twice), CityYaml(*once));
}

TEST(CatalogueChange, ATierFollowsTheSitesKindUnlessTheSiteHasItsOwn) {
  Site moved = Clinic();
  moved.kind = "community";
  auto follows = ApplyCatalogueChanges(Base(), {SiteChange(1, wire::SITE_ADD, Clinic()), SiteChange(2, wire::SITE_SET, moved)});
  ASSERT_TRUE(follows.ok());
  EXPECT_EQ(follows->FindSite("a-fever")->tier, 4);
  moved.tier = 1;
  moved.tier_override = true;
  auto own = ApplyCatalogueChanges(*follows, {SiteChange(3, wire::SITE_SET, moved)});
  ASSERT_TRUE(own.ok());
  EXPECT_EQ(own->FindSite("a-fever")->tier, 1);
  EXPECT_EQ(SiteToWire(*own->FindSite("a-fever")).tier(), 1);
  EXPECT_EQ(SiteToWire(*follows->FindSite("a-fever")).tier(), 0);  // 0 on the wire: its kind's
}

TEST(CatalogueChange, RefusalsNameWhatIsWrong) {
  Site lost = Clinic();
  lost.county = "nowhere";
  auto county = ApplyCatalogueChanges(Base(), {SiteChange(1, wire::SITE_ADD, lost)});
  ASSERT_FALSE(county.ok());
  EXPECT_NE(county.status().message().find("unknown county 'nowhere'"), std::string::npos) << county.status().message();
  Policy policy;
  EXPECT_FALSE(SetPolicyValue(&policy, "target_weeks", "2").ok());
  EXPECT_FALSE(SetPolicyValue(&policy, "target_days", "7 days").ok());
  EXPECT_FALSE(SetPolicyValue(&policy, "target_days", "nan").ok());
  EXPECT_TRUE(SetPolicyValue(&policy, "min_order_days", "0.5").ok());
  EXPECT_EQ(*PolicyValue(policy, "min_order_days"), "0.5");
  auto negative = ApplyCatalogueChanges(Base(), {PolicySet(1, "target_days", "-1")});
  ASSERT_FALSE(negative.ok());
  EXPECT_NE(negative.status().message().find("target_days must be positive"), std::string::npos);
}

TEST(CatalogueChange, DescriptionsReadAsSentences) {
  EXPECT_EQ(DescribeCatalogueChange(SiteChange(1, wire::SITE_ADD, Clinic())),
            "site a-fever added: Alpha fever clinic (county alpha, kind fever_clinic, headcount 30)");
  EXPECT_EQ(DescribeCatalogueChange(Retire(2, "a-comm")), "site a-comm retired: closed");
  EXPECT_EQ(DescribeCatalogueChange(PolicySet(3, "use_ceiling", "2")), "policy use_ceiling set to 2");
}

}  // namespace
}  // namespace ppe
