// CatalogueBook: the live catalogue the broker owns after its first start: the city file it was
// seeded from, every change since (its own ledger: who, when, before, after), and the start-time
// check of the file against the store, which never mixes the two in silence. One writer: the loop.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "broker/broker_store.h"
#include "common/city.h"
#include "ppe.pb.h"

namespace ppe {

// What the start-time check found, for the log: `warning` when the file and the store disagree
// and the broker runs the store's catalogue.
struct CatalogueStart {
  std::vector<std::string> notes;
  std::string warning;
};

class CatalogueBook {
 public:
  // `live` is the city every part of the loop reads (it holds the city file's catalogue when the
  // broker starts); the book replaces it at Load and Adopt, and it must outlive the book.
  CatalogueBook(BrokerStore& store, City& live) : store_(store), live_(live) {}

  // At start, outside any transaction. A store with no catalogue is seeded from the file. A file
  // equal to the live catalogue, or unchanged since it seeded the store, leaves the live one. A
  // file edited since is applied (its site and policy differences become changes, delivered to
  // every node) when nothing changed live since, or when `apply_file`; otherwise the broker runs
  // the live catalogue and the warning says how to bring the two together.
  Result<CatalogueStart> Load(const std::string& file_path, bool apply_file);

  // Checks `change` (kind, site, key, value and reason filled in) against the live city and
  // writes it to the ledger in the open transaction, numbered and stamped here. The live city is
  // unchanged until Adopt, after the commit; Discard after a rollback.
  Result<wire::CatalogueChange> Stage(wire::CatalogueChange change, const std::string& by, int64_t now_ms);
  void Adopt();
  void Discard() { staged_.reset(); }
  // The city as the staged change leaves it (between Stage and Adopt or Discard).
  const City& staged() const { return *staged_; }
  // Whether a change was adopted since the last call: the loop then hands the new city to the
  // read service and pushes the change to every node.
  bool TakeAdopted();

  uint64_t version() const { return live_.version(); }
  // The changes after `version`, oldest first, at most `limit`.
  Status ChangesAfter(uint64_t version, size_t limit, wire::CatalogueDelivery* out);

 private:
  Status Record(const wire::CatalogueChange& change, const City& before, const City& after);
  Status WriteSeed(const std::string& yaml, uint64_t version, const std::string& file, int64_t now_ms);

  BrokerStore& store_;
  City& live_;
  std::optional<City> staged_;
  bool adopted_ = false;
};

// The catalogue's ledger, newest first, through any connection to the store: version, at, by,
// kind, subject, before, after, reason.
Result<nlohmann::json> CatalogueHistory(SqliteDb& db, size_t limit);

}  // namespace ppe
