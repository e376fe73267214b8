// Unit tests of the common modules: city, certificate, sqlite, table, deployment, report validator.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <zmq.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>
#include <tuple>

#include "common/certificate.h"
#include "common/city.h"
#include "common/city_writer.h"
#include "common/deployment.h"
#include "common/report_validator.h"
#include "common/sqlite_db.h"
#include "common/table.h"
#include "tests/test_support.h"

namespace ppe::test {

// ---- Helpers shared with the other unit tests (declared in tests/test_support.h) ----

TempDir::TempDir() {
  char pattern[] = "/tmp/ppe-unit-XXXXXX";
  const char* made = mkdtemp(pattern);
  if (!made) std::abort();
  path_ = made;
}
TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

void WriteText(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
}

// Two counties (sanyuan, meilie), their warehouses, the city reserve and four sites.
const std::string& SmallCityYaml() {
  static const std::string yaml = R"(
city: testville
location: [26.0, 117.0]
items:
  - {id: mask.n95, lot: 50, substitutes_for: [mask.surgical], per_head_daily: 2}
  - {id: mask.surgical, lot: 50, per_head_daily: 1.5}
  - {id: sanitizer, lot: 24}
tiers:
  1: [designated_hospital, fever_clinic]
  2: [rail_station]
  4: [community]
policy: {target_days: 7, min_order_days: 1, road_factor: 1.5,
         city_reserve: {warehouse: city-reserve, release_to_tiers: [1]}}
counties:
  - {id: sanyuan, name: Sanyuan, location: [26.2340, 117.6077]}
  - {id: meilie, name: Meilie, location: [26.2717, 117.6458]}
warehouses:
  - {id: city-reserve, county: city}
  - {id: sanyuan-wh, county: sanyuan}
  - {id: meilie-wh, county: meilie}
sites:
  - {id: sm-first-hospital, county: sanyuan, kind: designated_hospital, headcount: 300}
  - {id: sy-rail, county: sanyuan, kind: rail_station, headcount: 40}
  - {id: sy-community, county: sanyuan, kind: community, headcount: 10, tier: 3}
  - {id: ml-fever, county: meilie, kind: fever_clinic, headcount: 20}
)";
  return yaml;
}

City SmallCity() {
  auto city = City::Parse(SmallCityYaml());
  if (!city.ok()) {
    ADD_FAILURE() << city.status().message();
    std::abort();
  }
  return *city;
}

namespace {

// ================================ City ================================

// The small city with one line replaced (`from` must occur in it).
std::string CityWith(const std::string& from, const std::string& to) {
  std::string yaml = SmallCityYaml();
  const size_t at = yaml.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  return yaml.replace(at, from.size(), to);
}

void ExpectCityError(const std::string& yaml, std::initializer_list<std::string> fragments) {
  auto city = City::Parse(yaml, "test.yaml");
  ASSERT_FALSE(city.ok());
  EXPECT_NE(city.status().message().find("test.yaml"), std::string::npos) << city.status().message();
  for (const std::string& f : fragments) {
    EXPECT_NE(city.status().message().find(f), std::string::npos)
        << "error '" << city.status().message() << "' does not mention '" << f << "'";
  }
}

TEST(City, ParsesEntitiesAndFindsThemById) {
  const City city = SmallCity();
  EXPECT_EQ(city.name(), "testville");
  EXPECT_EQ(city.items().size(), 3u);
  EXPECT_EQ(city.counties().size(), 2u);
  EXPECT_EQ(city.warehouses().size(), 3u);
  EXPECT_EQ(city.sites().size(), 4u);
  ASSERT_NE(city.FindItem("mask.n95"), nullptr);
  EXPECT_EQ(city.FindItem("mask.n95")->lot, 50);
  EXPECT_EQ(city.FindItem("mask.n95")->substitutes_for, std::vector<std::string>{"mask.surgical"});
  EXPECT_EQ(city.FindItem("sanitizer")->per_head_daily, 0);
  EXPECT_EQ(city.FindWarehouse("city-reserve")->county, kCityCounty);
  EXPECT_EQ(city.FindSite("ml-fever")->county, "meilie");
  EXPECT_EQ(city.FindSite("ml-fever")->headcount, 20);
  EXPECT_EQ(city.policy().reserve_warehouse, "city-reserve");
  EXPECT_EQ(city.policy().release_to_tiers, std::vector<int>{1});
  EXPECT_EQ(city.FindItem("mask.kn95"), nullptr);
  EXPECT_EQ(city.FindCounty("city"), nullptr);
  EXPECT_EQ(city.FindSite("sanyuan-wh"), nullptr);
  EXPECT_EQ(city.FindWarehouse("sm-first-hospital"), nullptr);
}

// Every field of two cities, for the writer's round trip.
void ExpectSameCity(const City& a, const City& b) {
  EXPECT_EQ(a.name(), b.name());
  EXPECT_EQ(a.has_location(), b.has_location());
  EXPECT_DOUBLE_EQ(a.city_lat(), b.city_lat());
  EXPECT_DOUBLE_EQ(a.city_lon(), b.city_lon());
  EXPECT_EQ(a.tiers(), b.tiers());
  ASSERT_EQ(a.items().size(), b.items().size());
  for (size_t i = 0; i < a.items().size(); ++i) {
    const Item &x = a.items()[i], &y = b.items()[i];
    EXPECT_EQ(std::tie(x.id, x.name, x.unit, x.lot, x.substitutes_for, x.per_head_daily),
              std::tie(y.id, y.name, y.unit, y.lot, y.substitutes_for, y.per_head_daily));
  }
  const Policy &p = a.policy(), &q = b.policy();
  EXPECT_EQ(std::tie(p.target_days, p.min_order_days, p.road_factor, p.reserve_warehouse, p.release_to_tiers,
                     p.use_ceiling, p.observed_margin, p.stale_after_days),
            std::tie(q.target_days, q.min_order_days, q.road_factor, q.reserve_warehouse, q.release_to_tiers,
                     q.use_ceiling, q.observed_margin, q.stale_after_days));
  ASSERT_EQ(a.counties().size(), b.counties().size());
  for (size_t i = 0; i < a.counties().size(); ++i) {
    const County &x = a.counties()[i], &y = b.counties()[i];
    EXPECT_EQ(std::tie(x.id, x.name, x.lat, x.lon), std::tie(y.id, y.name, y.lat, y.lon));
  }
  ASSERT_EQ(a.warehouses().size(), b.warehouses().size());
  for (size_t i = 0; i < a.warehouses().size(); ++i) {
    const Warehouse &x = a.warehouses()[i], &y = b.warehouses()[i];
    EXPECT_EQ(std::tie(x.id, x.county, x.name), std::tie(y.id, y.county, y.name));
  }
  ASSERT_EQ(a.sites().size(), b.sites().size());
  for (size_t i = 0; i < a.sites().size(); ++i) {
    const Site &x = a.sites()[i], &y = b.sites()[i];
    EXPECT_EQ(std::tie(x.id, x.county, x.name, x.kind, x.headcount, x.tier),
              std::tie(y.id, y.county, y.name, y.kind, y.headcount, y.tier));
  }
}

TEST(CityWriter, SanmingWrittenAndReadBackIsTheSameCityAndWritesTheSameText) {
  auto sanming = City::Load(std::string(PPE_SOURCE_DIR) + "/config/sanming.yaml");
  ASSERT_TRUE(sanming.ok()) << sanming.status().message();
  const std::string yaml = CityYaml(*sanming);
  auto back = City::Parse(yaml, "written");
  ASSERT_TRUE(back.ok()) << back.status().message() << "\n" << yaml;
  ExpectSameCity(*sanming, *back);
  EXPECT_EQ(CityYaml(*back), yaml);
  // Bilingual names survive as they were (UTF-8, quoted where YAML needs it).
  EXPECT_NE(yaml.find(sanming->sites().front().name), std::string::npos);
}

TEST(CityWriter, ATierOverrideAQuoteAndAColonInANameSurvive) {
  auto city = City::Parse(R"(city: "x: y"
items:
  - {id: mask, name: "Mask, 'surgical': 外科口罩", unit: piece, lot: 50, substitutes_for: [], per_head_daily: 0.5}
  - {id: n95, name: N95, unit: piece, lot: 20, substitutes_for: [mask]}
tiers: {1: [hospital], 2: [station]}
policy: {target_days: 5, min_order_days: 0.5, road_factor: 1.2, city_reserve: {warehouse: r, release_to_tiers: [1, 2]}}
counties:
  - {id: a, name: "A #1", location: [26.1, 117.2]}
warehouses:
  - {id: r, county: city, name: Reserve}
  - {id: aw, county: a, name: A store}
sites:
  - {id: h, county: a, name: 'H: "main"', kind: hospital, headcount: 300}
  - {id: s, county: a, name: S, kind: station, headcount: 10, tier: 1}
)");
  ASSERT_TRUE(city.ok()) << city.status().message();
  auto back = City::Parse(CityYaml(*city), "written");
  ASSERT_TRUE(back.ok()) << back.status().message() << "\n" << CityYaml(*city);
  ExpectSameCity(*city, *back);
  EXPECT_EQ(back->FindSite("s")->tier, 1);
}

TEST(City, ResolvesTierFromKindUnlessTheSiteOverridesIt) {
  const City city = SmallCity();
  EXPECT_EQ(city.FindSite("sm-first-hospital")->tier, 1);
  EXPECT_EQ(city.FindSite("ml-fever")->tier, 1);
  EXPECT_EQ(city.FindSite("sy-rail")->tier, 2);
  EXPECT_EQ(city.FindSite("sy-community")->tier, 3);  // kind says 4, the site says 3
}

TEST(City, PolicyDefaultsApplyWhenOmitted) {
  auto city = City::Parse(CityWith(
      "policy: {target_days: 7, min_order_days: 1, road_factor: 1.5,\n"
      "         city_reserve: {warehouse: city-reserve, release_to_tiers: [1]}}",
      "policy: {target_days: 5}"));
  ASSERT_TRUE(city.ok()) << city.status().message();
  EXPECT_EQ(city->policy().target_days, 5);
  EXPECT_DOUBLE_EQ(city->policy().road_factor, 1.3);
  EXPECT_TRUE(city->policy().reserve_warehouse.empty());
}

TEST(City, MissingRequiredFieldNamesEntryAndField) {
  ExpectCityError(CityWith("kind: rail_station, ", ""), {"sy-rail", "kind"});
  ExpectCityError(CityWith("{id: meilie-wh, county: meilie}", "{id: meilie-wh}"),
                  {"meilie-wh", "county"});
  ExpectCityError(CityWith("city: testville\n", ""), {"'city'"});
}

TEST(City, RefusesBrokenReferencesAndValues) {
  ExpectCityError(CityWith("{id: ml-fever, county: meilie", "{id: ml-fever, county: nowhere"),
                  {"ml-fever", "nowhere"});
  ExpectCityError(CityWith("{id: meilie-wh, county: meilie}", "{id: meilie-wh, county: atlantis}"),
                  {"meilie-wh", "atlantis"});
  ExpectCityError(CityWith("id: sy-rail,", "id: ml-fever,"), {"duplicate", "ml-fever"});
  ExpectCityError(CityWith("kind: rail_station", "kind: spaceport"), {"sy-rail", "spaceport"});
  ExpectCityError(CityWith("substitutes_for: [mask.surgical]", "substitutes_for: [mask.ffp3]"),
                  {"mask.n95", "mask.ffp3"});
  ExpectCityError(CityWith("{id: sanitizer, lot: 24}", "{id: sanitizer, lot: 0}"),
                  {"sanitizer", "lot"});
  ExpectCityError(CityWith("road_factor: 1.5", "road_factor: 0.5"), {"road_factor"});
  ExpectCityError(CityWith("warehouse: city-reserve,", "warehouse: nowhere-wh,"), {"nowhere-wh"});
  ExpectCityError(CityWith("headcount: 40", "headcount: -4"), {"sy-rail", "headcount"});
  ExpectCityError(CityWith("headcount: 40", "headcount: forty"), {"sy-rail", "headcount"});
  ExpectCityError(CityWith("location: [26.2340, 117.6077]", "location: [126.2, 117.6]"),
                  {"sanyuan", "location"});
  ExpectCityError(CityWith("{id: meilie, name: Meilie,", "{id: city, name: Meilie,"), {"reserved"});
  ExpectCityError(CityWith("  2: [rail_station]", "  2: [rail_station, fever_clinic]"),
                  {"fever_clinic"});
  ExpectCityError("city: [unclosed", {"YAML"});
}

TEST(City, DistanceIsZeroWithinACountyAndRoadFactorTimesGreatCircleAcross) {
  const City city = SmallCity();
  EXPECT_EQ(city.DistanceKm("sanyuan", "sanyuan"), 0);
  const double straight = GreatCircleKm(26.2340, 117.6077, 26.2717, 117.6458);
  EXPECT_GT(straight, 5);
  EXPECT_LT(straight, 6);
  EXPECT_DOUBLE_EQ(city.DistanceKm("sanyuan", "meilie"), straight * 1.5);
  EXPECT_DOUBLE_EQ(city.DistanceKm("meilie", "sanyuan"), city.DistanceKm("sanyuan", "meilie"));
}

TEST(City, GreatCircleOfOneDegreeOfLatitudeIsAbout111Km) {
  EXPECT_NEAR(GreatCircleKm(0, 0, 1, 0), 111.19, 0.01);
  EXPECT_NEAR(GreatCircleKm(10, 20, 10, 20), 0, 1e-9);
  EXPECT_NEAR(GreatCircleKm(0, 0, 0, 180), M_PI * 6371.0, 1e-6);
}

TEST(City, CityPseudoCountySitsAtTheCityLocation) {
  const City city = SmallCity();
  EXPECT_EQ(city.city_lat(), 26.0);
  EXPECT_EQ(city.city_lon(), 117.0);
  EXPECT_EQ(city.DistanceKm(kCityCounty, kCityCounty), 0);
  EXPECT_DOUBLE_EQ(city.DistanceKm(kCityCounty, "meilie"),
                   GreatCircleKm(26.0, 117.0, 26.2717, 117.6458) * 1.5);
}

TEST(City, CityLocationDefaultsToTheCountiesCentroid) {
  auto city = City::Parse(CityWith("location: [26.0, 117.0]\n", ""));
  ASSERT_TRUE(city.ok()) << city.status().message();
  EXPECT_DOUBLE_EQ(city->city_lat(), (26.2340 + 26.2717) / 2);
  EXPECT_DOUBLE_EQ(city->city_lon(), (117.6077 + 117.6458) / 2);
  EXPECT_DOUBLE_EQ(city->DistanceKm("sanyuan", kCityCounty),
                   GreatCircleKm(26.2340, 117.6077, city->city_lat(), city->city_lon()) * 1.5);
}

TEST(City, BuildValidatesLikeParse) {
  const std::vector<County> counties = {{"a", "A", 26, 117}};
  const std::map<int, std::vector<std::string>> tiers = {{1, {"hospital"}}, {2, {"station"}}};
  auto built = City::Build("c", {{"mask", "Mask", "piece", 10, {}, 1}}, tiers, Policy{}, counties,
                           {{"a-wh", "a", ""}}, {{"s1", "a", "S1", "station", 5, 0}});
  ASSERT_TRUE(built.ok()) << built.status().message();
  EXPECT_EQ(built->FindSite("s1")->tier, 2);
  EXPECT_EQ(built->city_lat(), 26);

  auto bad = City::Build("c", {}, tiers, Policy{}, counties, {{"a-wh", "b", ""}}, {});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("'b'"), std::string::npos) << bad.status().message();
}

TEST(City, LoadNamesAMissingFile) {
  auto city = City::Load("/nonexistent/ppe/city.yaml");
  ASSERT_FALSE(city.ok());
  EXPECT_NE(city.status().message().find("/nonexistent/ppe/city.yaml"), std::string::npos);
}

TEST(City, RealSanmingFileDescribesTheWholeCity) {
  auto city = City::Load(std::string(PPE_SOURCE_DIR) + "/config/sanming.yaml");
  ASSERT_TRUE(city.ok()) << city.status().message();
  EXPECT_EQ(city->counties().size(), 12u);
  EXPECT_GE(city->sites().size(), 100u);
  std::set<int> tiers;
  for (const Site& s : city->sites()) tiers.insert(s.tier);
  EXPECT_EQ(tiers, (std::set<int>{1, 2, 3, 4}));
  for (const County& c : city->counties()) {
    bool has_warehouse = false;
    for (const Warehouse& w : city->warehouses()) has_warehouse |= w.county == c.id;
    EXPECT_TRUE(has_warehouse) << c.id << " has no warehouse";
  }
  EXPECT_NE(city->FindSite("sm-first-hospital"), nullptr);
  const Warehouse* reserve = city->FindWarehouse("city-reserve");
  ASSERT_NE(reserve, nullptr);
  EXPECT_EQ(reserve->county, kCityCounty);
  EXPECT_EQ(city->policy().reserve_warehouse, "city-reserve");
}

// ============================== Certificate ==============================

Certificate NewCert(std::map<std::string, std::string> meta) {
  auto cert = Certificate::Generate(std::move(meta));
  EXPECT_TRUE(cert.ok()) << cert.status().message();
  return *cert;
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(Certificate, GeneratesDistinctZ85KeyPairs) {
  const Certificate a = NewCert({}), b = NewCert({});
  EXPECT_EQ(a.public_key.size(), 40u);
  EXPECT_EQ(a.secret_key.size(), 40u);
  EXPECT_NE(a.public_key, b.public_key);
  // The public key is the one that belongs to the secret key.
  char derived[41];
  ASSERT_EQ(zmq_curve_public(derived, a.secret_key.c_str()), 0);
  EXPECT_EQ(a.public_key, derived);
}

TEST(Certificate, SaveAndLoadRoundTripsKeysAndMetadata) {
  TempDir dir;
  const Certificate cert =
      NewCert({{"name", "sanyuan"}, {"role", "node"}, {"county", "sanyuan"}});
  ASSERT_TRUE(cert.Save(dir.File("sanyuan")).ok());

  auto pub = Certificate::Load(dir.File("sanyuan.key"));
  ASSERT_TRUE(pub.ok()) << pub.status().message();
  EXPECT_EQ(pub->public_key, cert.public_key);
  EXPECT_TRUE(pub->secret_key.empty());
  EXPECT_EQ(pub->metadata, cert.metadata);
  EXPECT_EQ(pub->Meta("role"), "node");
  EXPECT_EQ(pub->Meta("absent"), "");

  auto secret = Certificate::Load(dir.File("sanyuan.key_secret"));
  ASSERT_TRUE(secret.ok()) << secret.status().message();
  EXPECT_EQ(secret->public_key, cert.public_key);
  EXPECT_EQ(secret->secret_key, cert.secret_key);
  EXPECT_EQ(secret->metadata, cert.metadata);
}

TEST(Certificate, PublicFileHoldsNoSecretAndSecretFileIsOwnerOnly) {
  TempDir dir;
  const Certificate cert = NewCert({{"name", "x"}});
  ASSERT_TRUE(cert.Save(dir.File("x")).ok());
  const std::string public_text = ReadAll(dir.File("x.key"));
  EXPECT_EQ(public_text.find(cert.secret_key), std::string::npos);
  EXPECT_EQ(public_text.find("secret-key"), std::string::npos);
  EXPECT_NE(ReadAll(dir.File("x.key_secret")).find(cert.secret_key), std::string::npos);
  struct stat st {};
  ASSERT_EQ(stat(dir.File("x.key_secret").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST(Certificate, RefusesMalformedFiles) {
  TempDir dir;
  const std::string key = NewCert({}).public_key;
  const std::map<std::string, std::string> cases = {
      {"garbage", "this is not a certificate\n"},
      {"no-curve", "metadata\n    name = \"a\"\n"},
      {"short-key", "curve\n    public-key = \"" + key.substr(1) + "\"\n"},
      {"short-secret", "curve\n    public-key = \"" + key + "\"\n    secret-key = \"abc\"\n"},
  };
  for (const auto& [name, text] : cases) {
    WriteText(dir.File(name), text);
    EXPECT_FALSE(Certificate::Load(dir.File(name)).ok()) << name;
  }
  auto missing = Certificate::Load(dir.File("absent.key"));
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("absent.key"), std::string::npos);
}

TEST(Certificate, LoadsAFileAsCzmqZcertWritesIt) {
  char public_key[41], secret_key[41];
  ASSERT_EQ(zmq_curve_keypair(public_key, secret_key), 0);
  // zcert_save_secret's layout: a comment banner, zconfig sections, 4-space indented quoted values.
  const std::string text = std::string(
      "#   ****  Generated on 2020-02-03 09:15:00 by CZMQ  ****\n"
      "#   ZeroMQ CURVE **Secret** Certificate\n"
      "#   DO NOT PROVIDE THIS FILE TO OTHER USERS nor change its permissions.\n"
      "\n"
      "metadata\n"
      "    name = \"youxi\"\n"
      "    role = \"node\"\n"
      "    county = \"youxi\"\n"
      "curve\n"
      "    public-key = \"") + public_key + "\"\n"
      "    secret-key = \"" + secret_key + "\"\n";
  TempDir dir;
  WriteText(dir.File("youxi.key_secret"), text);
  auto cert = Certificate::Load(dir.File("youxi.key_secret"));
  ASSERT_TRUE(cert.ok()) << cert.status().message();
  EXPECT_EQ(cert->public_key, public_key);
  EXPECT_EQ(cert->secret_key, secret_key);
  EXPECT_EQ(cert->Meta("name"), "youxi");
  EXPECT_EQ(cert->Meta("county"), "youxi");
}

// ================================ SqliteDb ================================

int64_t CountRows(SqliteDb& db, const std::string& table) {
  Statement& q = db.Prepare("SELECT COUNT(*) FROM " + table);
  const int64_t n = q.Step() ? q.Int(0) : -1;
  q.Reset();
  return n;
}

// Migration 2 needs migration 1's table; each leaves a trace row so reruns would show.
const std::vector<std::string> kMigrations = {
    "CREATE TABLE t (a INTEGER); INSERT INTO t (a) VALUES (1);",
    "ALTER TABLE t ADD COLUMN b TEXT; INSERT INTO t (a, b) VALUES (2, 'two');",
};

std::unique_ptr<SqliteDb> OpenDb(const std::string& path,
                                 const std::vector<std::string>& migrations = kMigrations) {
  auto db = SqliteDb::Open(path, migrations);
  EXPECT_TRUE(db.ok()) << db.status().message();
  return db.ok() ? std::move(*db) : nullptr;
}

TEST(SqliteDb, RunsMigrationsOnceInOrder) {
  TempDir dir;
  {
    auto db = OpenDb(dir.File("a.db"));
    ASSERT_TRUE(db);
    EXPECT_EQ(db->schema_version(), 2);
    EXPECT_EQ(CountRows(*db, "t"), 2);
  }
  auto db = OpenDb(dir.File("a.db"));
  ASSERT_TRUE(db);
  EXPECT_EQ(db->schema_version(), 2);
  EXPECT_EQ(CountRows(*db, "t"), 2);  // reopening ran nothing again
}

TEST(SqliteDb, ReopeningWithANewMigrationRunsOnlyThatOne) {
  TempDir dir;
  OpenDb(dir.File("a.db"), {kMigrations[0]});
  auto more = kMigrations;
  more.push_back("INSERT INTO t (a, b) VALUES (3, 'three');");
  auto db = OpenDb(dir.File("a.db"), more);
  ASSERT_TRUE(db);
  EXPECT_EQ(db->schema_version(), 3);
  Statement& q = db->Prepare("SELECT a FROM t ORDER BY rowid");
  std::vector<int64_t> rows;
  while (q.Step()) rows.push_back(q.Int(0));
  EXPECT_EQ(rows, (std::vector<int64_t>{1, 2, 3}));
}

TEST(SqliteDb, RefusesASchemaNewerThanTheProgramKnows) {
  TempDir dir;
  OpenDb(dir.File("a.db"));
  auto db = SqliteDb::Open(dir.File("a.db"), {kMigrations[0]});
  ASSERT_FALSE(db.ok());
  EXPECT_NE(db.status().message().find("newer"), std::string::npos) << db.status().message();
  EXPECT_NE(db.status().message().find("a.db"), std::string::npos) << db.status().message();
}

TEST(SqliteDb, FailedMigrationLeavesTheVersionAndNamesTheMigration) {
  TempDir dir;
  auto bad = SqliteDb::Open(dir.File("a.db"), {kMigrations[0], "INSERT INTO t VALUES (9); BOGUS;"});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("migration 2"), std::string::npos)
      << bad.status().message();
  auto db = OpenDb(dir.File("a.db"), {kMigrations[0]});
  ASSERT_TRUE(db);
  EXPECT_EQ(db->schema_version(), 1);
  EXPECT_EQ(CountRows(*db, "t"), 1);  // the failed migration's insert was rolled back
}

TEST(SqliteDb, StatementBindsAndReadsEveryType) {
  TempDir dir;
  auto db = OpenDb(dir.File("a.db"), {"CREATE TABLE v (i INTEGER, r REAL, s TEXT, b BLOB, n)"});
  ASSERT_TRUE(db);
  const std::string blob("a\0b\xff", 4);
  const std::string sql = "INSERT INTO v VALUES (?1, ?2, ?3, ?4, ?5)";
  ASSERT_TRUE(db->Prepare(sql)
                  .Bind(1, int64_t{9'000'000'000'000})
                  .Bind(2, 2.5)
                  .Bind(3, std::string_view("三明 mask"))
                  .BindBlob(4, blob)
                  .BindNull(5)
                  .Run()
                  .ok());
  Statement& q = db->Prepare("SELECT i, r, s, b, n FROM v");
  ASSERT_TRUE(q.Step());
  EXPECT_EQ(q.Int(0), 9'000'000'000'000);
  EXPECT_EQ(q.Real(1), 2.5);
  EXPECT_EQ(q.Text(2), "三明 mask");
  EXPECT_EQ(q.Text(3), blob);
  EXPECT_TRUE(q.IsNull(4));
  EXPECT_FALSE(q.IsNull(0));
  EXPECT_FALSE(q.Step());
  EXPECT_TRUE(q.status().ok());
  EXPECT_EQ(&db->Prepare(sql), &db->Prepare(sql));  // cached
}

TEST(SqliteDb, StatementErrorNamesTheStatement) {
  TempDir dir;
  auto db = OpenDb(dir.File("a.db"), {"CREATE TABLE u (k INTEGER PRIMARY KEY)"});
  ASSERT_TRUE(db);
  Statement& insert = db->Prepare("INSERT INTO u VALUES (?1)");
  ASSERT_TRUE(insert.Bind(1, int64_t{1}).Run().ok());
  const Status again = db->Prepare("INSERT INTO u VALUES (?1)").Bind(1, int64_t{1}).Run();
  ASSERT_FALSE(again.ok());
  EXPECT_NE(again.message().find("INSERT INTO u"), std::string::npos) << again.message();
  EXPECT_TRUE(db->Prepare("INSERT INTO u VALUES (?1)").status().ok());  // Reset clears it
}

TEST(SqliteDb, RollbackDiscardsAndCommitKeeps) {
  TempDir dir;
  auto db = OpenDb(dir.File("a.db"));
  ASSERT_TRUE(db);
  ASSERT_TRUE(db->Begin().ok());
  ASSERT_TRUE(db->Exec("INSERT INTO t (a) VALUES (10)").ok());
  EXPECT_EQ(CountRows(*db, "t"), 3);
  db->Rollback();
  EXPECT_EQ(CountRows(*db, "t"), 2);
  db->Rollback();  // outside a transaction: harmless
  ASSERT_TRUE(db->Begin().ok());
  ASSERT_TRUE(db->Exec("INSERT INTO t (a) VALUES (11)").ok());
  ASSERT_TRUE(db->Commit().ok());
  db.reset();
  db = OpenDb(dir.File("a.db"));
  EXPECT_EQ(CountRows(*db, "t"), 3);
}

// ================================= Table =================================

const std::vector<Column> kColumns = {{"name", "Name"}, {"qty", ""}, {"note", "Note"}};

std::string Csv(const nlohmann::json& rows) {
  std::ostringstream out;
  PrintCsv(out, rows, kColumns);
  return out.str();
}

TEST(Table, CellTextOfNullBoolNumberAndString) {
  EXPECT_EQ(CellText(nullptr), "-");
  EXPECT_EQ(CellText(true), "yes");
  EXPECT_EQ(CellText(false), "no");
  EXPECT_EQ(CellText(12000), "12000");
  EXPECT_EQ(CellText(-3), "-3");
  EXPECT_EQ(CellText(2.5), "2.5");
  EXPECT_EQ(CellText(std::numeric_limits<double>::infinity()), "inf");
  EXPECT_EQ(CellText("三明"), "三明");
}

TEST(Table, CsvQuotesCommasQuotesAndNewlinesOnly) {
  const nlohmann::json rows = {
      {{"name", "Red Cross, Fujian"}, {"qty", 5}, {"note", "said \"urgent\""}},
      {{"name", "two\nlines"}, {"qty", 2.5}, {"note", nullptr}},
      {{"name", "plain"}, {"qty", 1}},
  };
  EXPECT_EQ(Csv(rows),
            "name,qty,note\n"
            "\"Red Cross, Fujian\",5,\"said \"\"urgent\"\"\"\n"
            "\"two\nlines\",2.5,\n"
            "plain,1,\n");
}

// Nothing in a cell drives a terminal: in a table every control character is escaped; in CSV a
// line break stays inside the quotes (RFC 4180) and every other control character is escaped.
TEST(Table, ControlCharactersInCellsAreEscaped) {
  const nlohmann::json rows = {
      {{"name", "x\n2026-01-01 forged"}, {"qty", 1}, {"note", "\x1b[2J\rtab\there"}},
      {{"name", "bad \xff byte"}, {"qty", 2}, {"note", "ok"}},
  };
  std::ostringstream table;
  PrintTable(table, rows, kColumns);
  EXPECT_EQ(table.str().find('\x1b'), std::string::npos) << table.str();
  EXPECT_EQ(table.str().find('\r'), std::string::npos) << table.str();
  EXPECT_EQ(table.str().find('\t'), std::string::npos) << table.str();
  EXPECT_NE(table.str().find("x\\n2026-01-01 forged"), std::string::npos) << table.str();
  EXPECT_NE(table.str().find("\\x1b[2J\\rtab\\there"), std::string::npos) << table.str();
  EXPECT_NE(table.str().find("bad \\xff byte"), std::string::npos) << table.str();
  size_t lines = 0;
  for (char c : table.str()) lines += c == '\n';
  EXPECT_EQ(lines, 4u);  // header, rule, two rows: no forged one
  EXPECT_EQ(CellText("a\x1b[31mb"), "a\\x1b[31mb");
  EXPECT_EQ(Csv(rows),
            "name,qty,note\n"
            "\"x\n2026-01-01 forged\",1,\\x1b[2J\\rtab\\there\n"
            "bad \\xff byte,2,ok\n");
}

// Terminal columns of UTF-8 text, written independently of the module: Han characters are 2 wide.
size_t Columns(const std::string& s) {
  size_t width = 0;
  for (size_t i = 0; i < s.size();) {
    const unsigned char c = s[i];
    const size_t len = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    uint32_t cp = len == 1 ? c : c & (0xFF >> (len + 1));
    for (size_t k = 1; k < len; ++k) cp = (cp << 6) | (s[i + k] & 0x3F);
    width += (cp >= 0x4E00 && cp <= 0x9FFF) ? 2 : 1;
    i += len;
  }
  return width;
}

TEST(Table, AlignsColumnsByDisplayWidthWithCjkText) {
  const nlohmann::json rows = {
      {{"name", "三明市第一医院"}, {"qty", 5}, {"note", "a"}},
      {{"name", "ml-rail"}, {"qty", 12000}, {"note", "宁化"}},
  };
  std::ostringstream out;
  PrintTable(out, rows, kColumns);
  std::istringstream lines(out.str());
  std::vector<std::string> all;
  for (std::string line; std::getline(lines, line);) all.push_back(line);
  ASSERT_EQ(all.size(), 4u);  // header, rule, two rows
  // Each line: the cells separated by two spaces; the last column starts at the same column.
  auto start_of_note = [](const std::string& line, const std::string& note) {
    return Columns(line.substr(0, line.rfind(note)));
  };
  const size_t expected = start_of_note(all[0], "Note");
  EXPECT_EQ(expected, Columns("三明市第一医院") + 2 + std::string("12000").size() + 2);
  EXPECT_EQ(start_of_note(all[2], "a"), expected) << out.str();
  EXPECT_EQ(start_of_note(all[3], "宁化"), expected) << out.str();
  // Numbers are right-aligned: "    5" ends where "12000" ends.
  EXPECT_NE(all[2].find("     5  a"), std::string::npos) << out.str();
  EXPECT_EQ(all[1].substr(0, Columns("三明市第一医院")), std::string(Columns("三明市第一医院"), '-'));
}

// =============================== Deployment ===============================

TEST(Deployment, ResolvesRelativePathsAgainstTheConfigFolder) {
  TempDir dir;
  std::filesystem::create_directories(dir.File("deploy/nodes"));
  WriteText(dir.File("deploy/broker.yaml"),
            "city: ../sanming.yaml\nlisten: tcp://127.0.0.1:7000\nkey: keys/broker.key_secret\n"
            "clients_dir: keys\nstore: /var/lib/ppe/broker.db\nsilent_after: 60\n");
  auto broker = BrokerConfig::Load(dir.File("deploy/broker.yaml"));
  ASSERT_TRUE(broker.ok()) << broker.status().message();
  EXPECT_EQ(broker->city, dir.File("sanming.yaml"));
  EXPECT_EQ(broker->key, dir.File("deploy/keys/broker.key_secret"));
  EXPECT_EQ(broker->clients_dir, dir.File("deploy/keys"));
  EXPECT_EQ(broker->store, "/var/lib/ppe/broker.db");  // absolute stays
  EXPECT_EQ(broker->listen, "tcp://127.0.0.1:7000");
  EXPECT_EQ(broker->silent_after_s, 60);
  EXPECT_TRUE(broker->secure);
  EXPECT_TRUE(broker->log_file.empty());

  WriteText(dir.File("deploy/nodes/sanyuan.yaml"),
            "node: sanyuan\ncounty: sanyuan\ncity: ../../sanming.yaml\n"
            "broker: tcp://127.0.0.1:7000\nsecure: false\nbroker_key: ../keys/broker.key\n"
            "key: ../keys/sanyuan.key_secret\nstore: sanyuan.db\n");
  auto node = NodeConfig::Load(dir.File("deploy/nodes/sanyuan.yaml"));
  ASSERT_TRUE(node.ok()) << node.status().message();
  EXPECT_EQ(node->city, dir.File("sanming.yaml"));
  EXPECT_EQ(node->endpoint.broker_key, dir.File("deploy/keys/broker.key"));
  EXPECT_EQ(node->endpoint.key, dir.File("deploy/keys/sanyuan.key_secret"));
  EXPECT_EQ(node->store, dir.File("deploy/nodes/sanyuan.db"));
  EXPECT_FALSE(node->endpoint.secure);
  EXPECT_EQ(node->heartbeat_ms, 1000);
}

TEST(Deployment, MissingOrMistypedFieldNamesTheFieldAndTheFile) {
  TempDir dir;
  const std::string path = dir.File("ctl.yaml");
  auto expect_error = [&](const std::string& text, const std::string& field) {
    WriteText(path, text);
    auto config = ClientConfig::Load(path);
    ASSERT_FALSE(config.ok()) << text;
    EXPECT_NE(config.status().message().find(path), std::string::npos) << config.status().message();
    EXPECT_NE(config.status().message().find("'" + field + "'"), std::string::npos)
        << config.status().message();
  };
  const std::string full =
      "name: coordinator\nrole: coordinator\nbroker: tcp://x:1\nbroker_key: b.key\n"
      "key: c.key_secret\n";
  WriteText(path, full);
  ASSERT_TRUE(ClientConfig::Load(path).ok());
  expect_error("role: coordinator\nbroker: tcp://x:1\nbroker_key: b.key\nkey: c\n", "name");
  expect_error("name: c\nrole: coordinator\nbroker_key: b.key\nkey: c\n", "broker");
  expect_error("name: c\nrole: coordinator\nbroker: tcp://x:1\nkey: c\n", "broker_key");
  expect_error(full + "secure: [1, 2]\n", "secure");

  auto missing = NodeConfig::Load(dir.File("absent.yaml"));
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("absent.yaml"), std::string::npos);
}

// ============================ ReportValidator ============================

class ValidatorTest : public ::testing::Test {
 protected:
  const City city_ = SmallCity();
  const ReportValidator validator_{city_};
  const Identity sanyuan_{"sanyuan", Role::kNode, "sanyuan"};

  static wire::Report Stock(const std::string& warehouse, const std::string& item, int64_t qty) {
    wire::Report r;
    r.mutable_stock()->set_warehouse(warehouse);
    r.mutable_stock()->set_item(item);
    r.mutable_stock()->set_quantity(qty);
    return r;
  }
  static wire::Report Receipt(int64_t qty, wire::ReceiptSource source, std::string from = "") {
    wire::Report r;
    auto* m = r.mutable_receipt();
    m->set_warehouse("sanyuan-wh");
    m->set_item("mask.n95");
    m->set_quantity(qty);
    m->set_source(source);
    m->set_from(from);
    return r;
  }
  static wire::Report Demand(const std::string& site, const std::string& item, int64_t on_hand,
                             double daily_use) {
    wire::Report r;
    r.mutable_demand()->set_site(site);
    r.mutable_demand()->set_item(item);
    r.mutable_demand()->set_on_hand(on_hand);
    r.mutable_demand()->set_daily_use(daily_use);
    return r;
  }

  // The refusal code, with every fragment expected in its text.
  void ExpectRefused(const wire::Report& report, wire::ErrorCode code,
                     std::initializer_list<std::string> fragments = {},
                     const Identity* who = nullptr) {
    const Refusal r = validator_.Check(who ? *who : sanyuan_, report);
    EXPECT_EQ(r.code, code) << wire::ErrorCode_Name(r.code) << ": " << r.text;
    for (const std::string& f : fragments) {
      EXPECT_NE(r.text.find(f), std::string::npos) << "'" << r.text << "' lacks '" << f << "'";
    }
  }
  void ExpectAccepted(const wire::Report& report, const Identity* who = nullptr) {
    const Refusal r = validator_.Check(who ? *who : sanyuan_, report);
    EXPECT_FALSE(r.refused()) << wire::ErrorCode_Name(r.code) << ": " << r.text;
  }
};

TEST_F(ValidatorTest, AcceptsValidReportsOfTheNodesOwnCounty) {
  ExpectAccepted(Stock("sanyuan-wh", "mask.n95", 12000));
  ExpectAccepted(Stock("sanyuan-wh", "sanitizer", 0));  // an empty warehouse is a valid count
  ExpectAccepted(Receipt(5000, wire::DONATION, "Fujian Red Cross"));
  ExpectAccepted(Receipt(1, wire::PRODUCTION));
  ExpectAccepted(Receipt(kMaxQuantity, wire::TRANSFER));
  ExpectAccepted(Demand("sm-first-hospital", "mask.n95", 800, 1200));
  ExpectAccepted(Demand("sy-rail", "mask.surgical", 0, 0));
  const Identity city_node{"city", Role::kNode, kCityCounty};
  ExpectAccepted(Stock("city-reserve", "mask.n95", 50000), &city_node);
}

TEST_F(ValidatorTest, RefusesUnknownItemWarehouseAndSite) {
  ExpectRefused(Stock("sanyuan-wh", "mask.kn95", 1), wire::UNKNOWN_ITEM, {"mask.kn95"});
  ExpectRefused(Stock("sanyuan-warehouse", "mask.n95", 1), wire::UNKNOWN_WAREHOUSE,
                {"sanyuan-warehouse"});
  ExpectRefused(Demand("sy-airport", "mask.n95", 1, 1), wire::UNKNOWN_SITE, {"sy-airport"});
  ExpectRefused(Demand("sy-rail", "gloves", 1, 1), wire::UNKNOWN_ITEM, {"gloves"});
  ExpectRefused(Stock("sm-first-hospital", "mask.n95", 1), wire::UNKNOWN_WAREHOUSE);
}

TEST_F(ValidatorTest, RefusesAnotherCountysWarehouseOrSiteNamingBothCounties) {
  ExpectRefused(Stock("meilie-wh", "mask.n95", 1), wire::NOT_YOUR_COUNTY,
                {"meilie-wh", "meilie", "sanyuan"});
  ExpectRefused(Demand("ml-fever", "mask.n95", 1, 1), wire::NOT_YOUR_COUNTY,
                {"ml-fever", "meilie", "sanyuan"});
  ExpectRefused(Stock("city-reserve", "mask.n95", 1), wire::NOT_YOUR_COUNTY,
                {"city-reserve", kCityCounty, "sanyuan"});
}

TEST_F(ValidatorTest, RefusesNegativeZeroAndAbsurdQuantities) {
  ExpectRefused(Stock("sanyuan-wh", "mask.n95", -1), wire::BAD_QUANTITY, {"negative"});
  ExpectRefused(Stock("sanyuan-wh", "mask.n95", kMaxQuantity + 1), wire::BAD_QUANTITY,
                {std::to_string(kMaxQuantity + 1)});
  ExpectRefused(Receipt(-5, wire::PRODUCTION), wire::BAD_QUANTITY, {"negative"});
  ExpectRefused(Receipt(0, wire::PRODUCTION), wire::BAD_QUANTITY, {"zero"});
  ExpectRefused(Receipt(kMaxQuantity + 1, wire::PRODUCTION), wire::BAD_QUANTITY);
  ExpectRefused(Demand("sy-rail", "mask.n95", -1, 10), wire::BAD_QUANTITY, {"negative"});
  ExpectRefused(Demand("sy-rail", "mask.n95", 1, -0.5), wire::BAD_QUANTITY, {"daily use"});
  ExpectRefused(Demand("sy-rail", "mask.n95", 1, kMaxDailyUse * 2), wire::BAD_QUANTITY);
  ExpectRefused(Demand("sy-rail", "mask.n95", 1, std::nan("")), wire::BAD_QUANTITY);
  ExpectRefused(Demand("sy-rail", "mask.n95", 1, INFINITY), wire::BAD_QUANTITY);
}

TEST_F(ValidatorTest, RefusesReceiptWithoutSourceOrWithOverlongText) {
  ExpectRefused(Receipt(10, wire::SOURCE_UNSPECIFIED), wire::MALFORMED, {"source"});
  ExpectRefused(Receipt(10, static_cast<wire::ReceiptSource>(42)), wire::MALFORMED, {"source"});
  ExpectRefused(Receipt(10, wire::DONATION, std::string(kMaxTextLength + 1, 'x')), wire::MALFORMED);
}

// Ids and texts that would forge a log line or drive a terminal: refused MALFORMED, naming the
// field, the value shown escaped; Chinese text is no control character.
TEST_F(ValidatorTest, RefusesControlCharactersInAnyIdOrTextShowingThemEscaped) {
  ExpectRefused(Stock("x\n[2026-01-01] [broker] [info] forged", "mask.n95", 1), wire::MALFORMED,
                {"warehouse id", "control character", "'x\\n[2026-01-01] [broker] [info] forged'"});
  ExpectRefused(Stock("sanyuan-wh", "\x1b[2J", 1), wire::MALFORMED, {"item id", "\\x1b[2J"});
  ExpectRefused(Demand("sy-rail\r", "mask.n95", 1, 1), wire::MALFORMED, {"site id", "sy-rail\\r"});
  ExpectRefused(Receipt(10, wire::DONATION, "Red\tCross"), wire::MALFORMED, {"receipt 'from'", "Red\\tCross"});
  wire::Report reference = Receipt(10, wire::DONATION, "Fujian Red Cross");
  reference.mutable_receipt()->set_reference("note\xc2\x85");  // U+0085, a C1 line break
  ExpectRefused(reference, wire::MALFORMED, {"receipt reference", "note\\x85"});
  wire::Report reject;
  reject.set_seq(9);
  reject.mutable_order_step()->set_order_id(3);
  reject.mutable_order_step()->set_step(wire::REJECT);
  reject.mutable_order_step()->set_reason("flooded\n2026-02-03 09:00  3  received");
  ExpectRefused(reject, wire::MALFORMED, {"report 9", "rejection reason", "flooded\\n2026-02-03"});
  ExpectRefused(Stock("sanyuan-wh\xff", "mask.n95", 1), wire::MALFORMED, {"not valid UTF-8", "\\xff"});
  const Refusal r = validator_.Check(sanyuan_, Stock("x\n\x1b", "mask.n95", 1));
  EXPECT_EQ(r.text.find_first_of("\n\x1b"), std::string::npos) << r.text;
  ExpectAccepted(Receipt(10, wire::DONATION, "福建省红十字会"));
  reject.mutable_order_step()->set_reason("道路被洪水冲毁");
  ExpectAccepted(reject);
}

TEST_F(ValidatorTest, RefusesNonNodeRolesAndEmptyReports) {
  const Identity coordinator{"coordinator", Role::kCoordinator, ""};
  const Identity viewer{"viewer", Role::kViewer, "sanyuan"};
  ExpectRefused(Stock("sanyuan-wh", "mask.n95", 1), wire::FORBIDDEN, {"coordinator"}, &coordinator);
  ExpectRefused(Stock("sanyuan-wh", "mask.n95", 1), wire::FORBIDDEN, {"viewer"}, &viewer);
  wire::Report empty;
  empty.set_seq(17);
  ExpectRefused(empty, wire::MALFORMED, {"17"});
}

}  // namespace
}  // namespace ppe::test
