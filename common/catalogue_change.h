// CatalogueChange: what one change of the live catalogue is (a site added, set or retired, a
// policy value set), how it applies to a City, and how it reads; shared by the broker and nodes.
// Applying is an upsert, so a node whose city file is older or newer than the broker's still ends
// with every site the broker has; the result is always validated as a whole city.
#pragma once

#include <string>
#include <vector>

#include "common/city.h"
#include "common/status.h"
#include "ppe.pb.h"

namespace ppe {

// "site_add", "site_set", "site_retire", "policy_set": the store's and the JSON's names.
const char* CatalogueChangeName(wire::CatalogueChangeKind kind);

wire::CatalogueSite SiteToWire(const Site& site);
Site SiteFromWire(const wire::CatalogueSite& site);

// The policy values `ppe-ctl policy set` may change while the broker runs, and their current
// value as text ("7", "1.5").
const std::vector<std::string>& SettablePolicyKeys();
Result<std::string> PolicyValue(const Policy& policy, const std::string& key);
// Sets `key` from `value` (a number, all of it); the city's validation judges the range.
Status SetPolicyValue(Policy* policy, const std::string& key, const std::string& value);

// `city` with `changes` applied in order, at the highest version among them. A SITE_ADD of a
// site that exists sets it, a SITE_RETIRE of one that is gone does nothing; an error names the
// change (its version) and what the city's validation refused.
Result<City> ApplyCatalogueChanges(const City& city, const std::vector<wire::CatalogueChange>& changes);

// One line for people: "site sm-fever-2 added: Fever clinic 2 (county sanyuan, kind fever_clinic,
// tier 1, headcount 40)".
std::string DescribeCatalogueChange(const wire::CatalogueChange& change);

}  // namespace ppe
