#include "broker/catalogue_book.h"

#include <nlohmann/json.hpp>

#include "common/catalogue_change.h"
#include "common/city_writer.h"
#include "common/clock.h"

namespace ppe {
namespace {

nlohmann::json SiteJson(const Site& s) {
  return {{"id", s.id}, {"county", s.county}, {"name", s.name}, {"kind", s.kind}, {"tier", s.tier},
          {"headcount", s.headcount}};
}

// What `change` finds and leaves, as the ledger keeps them: the site's row, or the policy value.
nlohmann::json Before(const wire::CatalogueChange& change, const City& city) {
  if (change.kind() == wire::POLICY_SET) {
    auto value = PolicyValue(city.policy(), change.key());
    return value.ok() ? nlohmann::json(*value) : nlohmann::json(nullptr);
  }
  const Site* site = city.FindSite(change.site().id());
  return site ? SiteJson(*site) : nlohmann::json(nullptr);
}

bool SameSite(const Site& a, const Site& b) {
  return a.county == b.county && a.name == b.name && a.kind == b.kind && a.headcount == b.headcount &&
         a.tier_override == b.tier_override && (!a.tier_override || a.tier == b.tier);
}

// The site and policy changes that turn `from` into `to`, in the order a reader expects: sites
// added or set in the file's order, then those retired, then policy.
std::vector<wire::CatalogueChange> Differences(const City& from, const City& to, const std::string& file) {
  std::vector<wire::CatalogueChange> changes;
  for (const Site& site : to.sites()) {
    const Site* had = from.FindSite(site.id);
    if (had && SameSite(*had, site)) continue;
    wire::CatalogueChange c;
    c.set_kind(had ? wire::SITE_SET : wire::SITE_ADD);
    *c.mutable_site() = SiteToWire(site);
    changes.push_back(std::move(c));
  }
  for (const Site& site : from.sites()) {
    if (to.FindSite(site.id)) continue;
    wire::CatalogueChange c;
    c.set_kind(wire::SITE_RETIRE);
    c.mutable_site()->set_id(site.id);
    c.set_reason("not in the city file " + file);
    changes.push_back(std::move(c));
  }
  for (const std::string& key : SettablePolicyKeys()) {
    auto before = PolicyValue(from.policy(), key), after = PolicyValue(to.policy(), key);
    if (*before == *after) continue;
    wire::CatalogueChange c;
    c.set_kind(wire::POLICY_SET);
    c.set_key(key);
    c.set_value(*after);
    changes.push_back(std::move(c));
  }
  return changes;
}

}  // namespace

Result<CatalogueStart> CatalogueBook::Load(const std::string& file_path, bool apply_file) {
  SqliteDb& db = store_.db();
  const City file_city = live_;
  const std::string file_yaml = CityYaml(file_city);
  CatalogueStart start;

  std::optional<std::string> seed_yaml;
  uint64_t seed_version = 0;
  {
    Statement& q = db.Prepare("SELECT yaml, version FROM catalogue_seed WHERE id = 1");
    if (q.Step()) {
      seed_yaml = q.Text(0);
      seed_version = static_cast<uint64_t>(q.Int(1));
    }
    PPE_RETURN_IF_ERROR(q.status());
    q.Reset();
  }
  if (!seed_yaml) {
    PPE_RETURN_IF_ERROR(store_.Begin());
    if (Status s = WriteSeed(file_yaml, 0, file_path, NowMs()); !s.ok() || !(s = store_.Commit()).ok()) {
      store_.Rollback();
      return s;
    }
    start.notes.push_back("the live catalogue starts from the city file " + file_path +
                          "; from now on the broker owns it (ppe-ctl site, policy, catalogue)");
    return start;
  }

  auto seeded = City::Parse(*seed_yaml, "the store's catalogue seed");
  if (!seeded.ok()) return Status::Error("the store's catalogue: " + seeded.status().message());
  auto base = seeded->Changed(seeded->sites(), seeded->policy(), seed_version);
  if (!base.ok()) return base.status();
  wire::CatalogueDelivery since;
  PPE_RETURN_IF_ERROR(ChangesAfter(seed_version, SIZE_MAX, &since));
  std::vector<wire::CatalogueChange> replay(since.changes().begin(), since.changes().end());
  auto current = ApplyCatalogueChanges(*base, replay);
  if (!current.ok()) return Status::Error("the store's catalogue: " + current.status().message());
  const std::string current_yaml = CityYaml(*current);

  if (file_yaml == current_yaml || file_yaml == *seed_yaml) {
    if (file_yaml == current_yaml && file_yaml != *seed_yaml) {
      // The file was brought up to the live catalogue (catalogue --yaml): it is the seed now.
      PPE_RETURN_IF_ERROR(store_.Begin());
      if (Status s = WriteSeed(file_yaml, current->version(), file_path, NowMs()); !s.ok() || !(s = store_.Commit()).ok()) {
        store_.Rollback();
        return s;
      }
    }
    if (!replay.empty() && file_yaml != current_yaml) {
      start.notes.push_back("runs the live catalogue, version " + std::to_string(current->version()) + ": " +
                            std::to_string(replay.size()) + " change(s) since the city file " + file_path +
                            " (ppe-ctl catalogue --yaml writes it out)");
    }
    live_ = std::move(*current);
    return start;
  }

  if (!replay.empty() && !apply_file) {
    start.warning = "the city file " + file_path + " was edited, and the live catalogue has " +
                    std::to_string(replay.size()) + " change(s) the file does not have (version " +
                    std::to_string(current->version()) + "): the broker runs the live catalogue and ignores the "
                    "file. To keep the live one, write it into the file: ppe-ctl catalogue --yaml > " + file_path +
                    ". To make the file the catalogue instead (its sites and policy become changes every node "
                    "gets), start the broker once with --apply-city-file";
    live_ = std::move(*current);
    return start;
  }

  // The file is the catalogue: what it changes in sites and policy goes to the ledger and the
  // nodes as changes by "city file"; the rest (items, tiers, counties, warehouses) only with the file.
  const std::vector<wire::CatalogueChange> differences = Differences(*current, file_city, file_path);
  const int64_t now = NowMs();
  PPE_RETURN_IF_ERROR(store_.Begin());
  City at = *current;
  live_ = *current;  // Stage numbers and checks each change against the one before it
  Status s;
  for (const wire::CatalogueChange& d : differences) {
    auto staged = Stage(d, "city file", now);
    if (!staged.ok()) {
      s = staged.status();
      break;
    }
    at = std::move(*staged_);
    live_ = at;
  }
  if (s.ok()) s = WriteSeed(file_yaml, at.version(), file_path, now);
  if (s.ok()) s = store_.Commit();
  if (!s.ok()) {
    store_.Rollback();
    staged_.reset();
    live_ = file_city;
    return Status::Error("applying the city file " + file_path + ": " + s.message());
  }
  staged_.reset();
  auto final_city = file_city.Changed(file_city.sites(), file_city.policy(), at.version());
  if (!final_city.ok()) return final_city.status();
  live_ = std::move(*final_city);
  std::string note = "applied the city file " + file_path + " over the live catalogue: " +
                     std::to_string(differences.size()) + " change(s) of sites and policy" +
                     (differences.empty() ? "" : ", now version " + std::to_string(at.version()));
  if (CityYaml(at) != file_yaml) {
    note += "; it also changes items, tiers, counties or warehouses, which reach a node only with its own copy "
            "of the file";
  }
  start.notes.push_back(note);
  adopted_ = !differences.empty();
  return start;
}

Result<wire::CatalogueChange> CatalogueBook::Stage(wire::CatalogueChange change, const std::string& by,
                                                  int64_t now_ms) {
  change.set_version(live_.version() + 1);
  change.set_by(by);
  change.set_at_ms(now_ms);
  auto next = ApplyCatalogueChanges(live_, {change});
  if (!next.ok()) return next.status();
  PPE_RETURN_IF_ERROR(Record(change, live_, *next));
  staged_ = std::move(*next);
  return change;
}

void CatalogueBook::Adopt() {
  if (!staged_) return;
  live_ = std::move(*staged_);
  staged_.reset();
  adopted_ = true;
}

bool CatalogueBook::TakeAdopted() {
  const bool adopted = adopted_;
  adopted_ = false;
  return adopted;
}

Status CatalogueBook::Record(const wire::CatalogueChange& change, const City& before, const City& after) {
  const std::string subject = change.kind() == wire::POLICY_SET ? change.key() : change.site().id();
  Statement& insert = store_.db().Prepare(
      "INSERT INTO catalogue_changes (version, at_ms, by, kind, subject, before, after, reason, change) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
  return insert.Bind(1, static_cast<int64_t>(change.version()))
      .Bind(2, change.at_ms())
      .Bind(3, change.by())
      .Bind(4, CatalogueChangeName(change.kind()))
      .Bind(5, subject)
      .Bind(6, Before(change, before).dump())
      .Bind(7, Before(change, after).dump())
      .Bind(8, change.reason())
      .BindBlob(9, change.SerializeAsString())
      .Run();
}

Status CatalogueBook::WriteSeed(const std::string& yaml, uint64_t version, const std::string& file, int64_t now_ms) {
  Statement& q = store_.db().Prepare(
      "INSERT INTO catalogue_seed (id, yaml, version, file, at_ms) VALUES (1, ?1, ?2, ?3, ?4) "
      "ON CONFLICT(id) DO UPDATE SET yaml = ?1, version = ?2, file = ?3, at_ms = ?4");
  return q.Bind(1, yaml).Bind(2, static_cast<int64_t>(version)).Bind(3, file).Bind(4, now_ms).Run();
}

Status CatalogueBook::ChangesAfter(uint64_t version, size_t limit, wire::CatalogueDelivery* out) {
  Statement& q = store_.db().Prepare("SELECT change FROM catalogue_changes WHERE version > ?1 ORDER BY version LIMIT ?2");
  q.Bind(1, static_cast<int64_t>(version)).Bind(2, static_cast<int64_t>(std::min<size_t>(limit, INT64_MAX)));
  while (q.Step()) {
    if (!out->add_changes()->ParseFromString(q.Text(0))) {
      q.Reset();
      return Status::Error("catalogue change after version " + std::to_string(version) + " cannot be read back");
    }
  }
  Status s = q.status();
  q.Reset();
  return s;
}

Result<nlohmann::json> CatalogueHistory(SqliteDb& db, size_t limit) {
  nlohmann::json rows = nlohmann::json::array();
  Statement& q = db.Prepare(
      "SELECT version, at_ms, by, kind, subject, before, after, reason FROM catalogue_changes "
      "ORDER BY version DESC LIMIT ?1");
  q.Bind(1, static_cast<int64_t>(limit));
  while (q.Step()) {
    rows.push_back({{"version", q.Int(0)},
                    {"at", FormatTime(q.Int(1))},
                    {"by", q.Text(2)},
                    {"kind", q.Text(3)},
                    {"subject", q.Text(4)},
                    {"before", nlohmann::json::parse(q.Text(5), nullptr, false)},
                    {"after", nlohmann::json::parse(q.Text(6), nullptr, false)},
                    {"reason", q.Text(7)}});
  }
  Status s = q.status();
  q.Reset();
  if (!s.ok()) return s;
  return rows;
}

}  // namespace ppe
