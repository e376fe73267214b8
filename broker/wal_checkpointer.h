// WalCheckpointer: folds the broker's WAL into its database on a thread and connection of its own.
// The loop never writes or fsyncs the main database file, so no ack waits behind a checkpoint.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "broker/broker_store.h"
#include "common/status.h"

namespace ppe {

class WalCheckpointer {
 public:
  // How long the WAL may go unfolded while the loop commits: a bound on its size, not a deadline
  // anyone waits for.
  static constexpr int kEveryMs = 25;

  WalCheckpointer() = default;
  ~WalCheckpointer();  // the pass under way finishes; then the thread is joined

  // Opens its own connection to the store at `path` and starts the thread.
  Status Start(const std::string& path);
  // After each commit of the loop; wait-free (an atomic counter), so the loop never blocks here.
  void NoteCommit() { commits_.fetch_add(1, std::memory_order_relaxed); }

 private:
  void Work();

  std::unique_ptr<BrokerStore> store_;  // used by the thread only
  std::atomic<uint64_t> commits_{0};
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace ppe
