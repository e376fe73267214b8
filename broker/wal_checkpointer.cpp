#include "broker/wal_checkpointer.h"

#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <chrono>

namespace ppe {

WalCheckpointer::~WalCheckpointer() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

Status WalCheckpointer::Start(const std::string& path) {
  auto store = BrokerStore::OpenReader(path);
  if (!store.ok()) return Status::Error("the checkpointer cannot open the store: " + store.status().message());
  store_ = std::move(*store);
  thread_ = std::thread([this] { Work(); });
  return Status::Ok();
}

void WalCheckpointer::Work() {
  // Below the loop thread, as the read service is: folding the WAL may wait, acks may not.
  setpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)), 10);
  uint64_t folded = 0;
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    wake_.wait_for(lock, std::chrono::milliseconds(kEveryMs), [this] { return stopping_; });
    const uint64_t commits = commits_.load(std::memory_order_relaxed);
    if (stopping_ || commits == folded) continue;
    lock.unlock();
    // PASSIVE: copies what no reader still needs and never takes the write lock, so the loop's
    // next commit goes ahead while this one runs.
    if (Status s = store_->Checkpoint(); !s.ok()) spdlog::warn("checkpoint: {}", s.message());
    folded = commits;
    lock.lock();
  }
}

}  // namespace ppe
