#include "common/catalogue_change.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <sstream>
#include <unordered_map>

namespace ppe {
namespace {

// One settable policy value: its key, as in the city file, and where it lives.
struct PolicyField {
  const char* key;
  double Policy::*field;
};

const std::vector<PolicyField>& PolicyFields() {
  static const std::vector<PolicyField> fields = {
      {"target_days", &Policy::target_days},         {"min_order_days", &Policy::min_order_days},
      {"use_ceiling", &Policy::use_ceiling},         {"observed_margin", &Policy::observed_margin},
      {"stale_after_days", &Policy::stale_after_days}, {"road_factor", &Policy::road_factor}};
  return fields;
}

const PolicyField* FindPolicyField(const std::string& key) {
  for (const PolicyField& f : PolicyFields()) {
    if (key == f.key) return &f;
  }
  return nullptr;
}

std::string KnownKeys() {
  std::string keys;
  for (const PolicyField& f : PolicyFields()) keys += std::string(keys.empty() ? "" : ", ") + f.key;
  return keys;
}

std::string Number(double value) {
  std::ostringstream out;
  out.precision(15);
  out << value;
  return out.str();
}

}  // namespace

const char* CatalogueChangeName(wire::CatalogueChangeKind kind) {
  switch (kind) {
    case wire::SITE_ADD: return "site_add";
    case wire::SITE_SET: return "site_set";
    case wire::SITE_RETIRE: return "site_retire";
    case wire::POLICY_SET: return "policy_set";
    default: return "unknown";
  }
}

wire::CatalogueSite SiteToWire(const Site& site) {
  wire::CatalogueSite out;
  out.set_id(site.id);
  out.set_county(site.county);
  out.set_name(site.name);
  out.set_kind(site.kind);
  out.set_headcount(site.headcount);
  out.set_tier(site.tier_override ? site.tier : 0);
  return out;
}

Site SiteFromWire(const wire::CatalogueSite& site) {
  Site out;
  out.id = site.id();
  out.county = site.county();
  out.name = site.name();
  out.kind = site.kind();
  out.headcount = site.headcount();
  out.tier = site.tier();
  out.tier_override = site.tier() != 0;
  return out;
}

const std::vector<std::string>& SettablePolicyKeys() {
  static const std::vector<std::string> keys = [] {
    std::vector<std::string> out;
    for (const PolicyField& f : PolicyFields()) out.push_back(f.key);
    return out;
  }();
  return keys;
}

Result<std::string> PolicyValue(const Policy& policy, const std::string& key) {
  const PolicyField* f = FindPolicyField(key);
  if (!f) return Status::Error("unknown policy key '" + key + "': one of " + KnownKeys());
  return Number(policy.*(f->field));
}

Status SetPolicyValue(Policy* policy, const std::string& key, const std::string& value) {
  const PolicyField* f = FindPolicyField(key);
  if (!f) return Status::Error("unknown policy key '" + key + "': one of " + KnownKeys());
  errno = 0;
  char* end = nullptr;
  const double number = std::strtod(value.c_str(), &end);
  if (value.empty() || end != value.c_str() + value.size() || errno != 0 || !std::isfinite(number)) {
    return Status::Error("policy " + key + ": '" + value + "' is not a number");
  }
  policy->*(f->field) = number;
  return Status::Ok();
}

Result<City> ApplyCatalogueChanges(const City& city, const std::vector<wire::CatalogueChange>& changes) {
  std::vector<Site> sites = city.sites();
  Policy policy = city.policy();
  uint64_t version = city.version();
  std::unordered_map<std::string, size_t> position;
  for (size_t i = 0; i < sites.size(); ++i) position[sites[i].id] = i;
  std::vector<bool> retired(sites.size(), false);
  for (const wire::CatalogueChange& change : changes) {
    const std::string where = "catalogue change " + std::to_string(change.version());
    switch (change.kind()) {
      case wire::SITE_ADD:
      case wire::SITE_SET: {
        Site site = SiteFromWire(change.site());
        auto it = position.find(site.id);
        if (it == position.end()) {
          position[site.id] = sites.size();
          sites.push_back(std::move(site));
          retired.push_back(false);
        } else {
          sites[it->second] = std::move(site);
          retired[it->second] = false;
        }
        break;
      }
      case wire::SITE_RETIRE: {
        auto it = position.find(change.site().id());
        if (it != position.end()) retired[it->second] = true;
        break;
      }
      case wire::POLICY_SET:
        if (Status s = SetPolicyValue(&policy, change.key(), change.value()); !s.ok()) {
          return Status::Error(where + ": " + s.message());
        }
        break;
      default:
        return Status::Error(where + ": a kind of change this release does not know");
    }
    version = std::max(version, change.version());
  }
  std::vector<Site> kept;
  kept.reserve(sites.size());
  for (size_t i = 0; i < sites.size(); ++i) {
    if (!retired[i]) kept.push_back(std::move(sites[i]));
  }
  auto next = city.Changed(std::move(kept), std::move(policy), version);
  if (!next.ok() && changes.size() > 1) {
    return Status::Error("catalogue changes up to version " + std::to_string(version) + ": " + next.status().message());
  }
  return next;
}

std::string DescribeCatalogueChange(const wire::CatalogueChange& change) {
  const wire::CatalogueSite& s = change.site();
  switch (change.kind()) {
    case wire::SITE_ADD:
    case wire::SITE_SET:
      return "site " + s.id() + (change.kind() == wire::SITE_ADD ? " added: " : " set: ") + s.name() +
             " (county " + s.county() + ", kind " + s.kind() +
             (s.tier() ? ", tier " + std::to_string(s.tier()) : std::string()) + ", headcount " +
             std::to_string(s.headcount()) + ")";
    case wire::SITE_RETIRE:
      return "site " + s.id() + " retired: " + change.reason();
    case wire::POLICY_SET:
      return "policy " + change.key() + " set to " + change.value();
    default:
      return "a kind of change this release does not know";
  }
}

}  // namespace ppe
