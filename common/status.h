// Status and Result<T>: how every module reports failure across its edges, instead of throwing.
// A Status is either ok or carries one human-readable message that names the problem.
#pragma once

#include <optional>
#include <string>
#include <utility>

namespace ppe {

class Status {
 public:
  Status() = default;
  static Status Ok() { return Status(); }
  static Status Error(std::string message) { return Status(std::move(message)); }

  bool ok() const { return !message_.has_value(); }
  const std::string& message() const {
    static const std::string kEmpty;
    return message_ ? *message_ : kEmpty;
  }

 private:
  explicit Status(std::string message) : message_(std::move(message)) {}
  std::optional<std::string> message_;
};

// Either a value or the Status saying why there is none.
template <typename T>
class Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) {}  // NOLINT

  bool ok() const { return value_.has_value(); }
  const Status& status() const { return status_; }
  T& value() { return *value_; }
  const T& value() const { return *value_; }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }
  T& operator*() { return *value_; }
  const T& operator*() const { return *value_; }

 private:
  std::optional<T> value_;
  Status status_;
};

}  // namespace ppe

// Returns the Status of `expr` from the enclosing function when it is an error.
#define PPE_RETURN_IF_ERROR(expr)          \
  do {                                     \
    ::ppe::Status ppe_status_ = (expr);    \
    if (!ppe_status_.ok()) return ppe_status_; \
  } while (0)
