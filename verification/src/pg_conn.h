// A thin owner of one libpq connection for the index's loader and applier: plain queries with
// text parameters, COPY ... TO STDOUT streamed line by line, LISTEN and waiting for
// notifications on the socket. libpq rather than libpqxx here because the loader parses COPY
// lines in place (10 million rows) and the applier needs the socket for a bounded wait.
// Not thread-safe: one thread owns a PgConn. Errors are Status values (kUnavailable when the
// connection is lost, kInternal for a refused statement).
#pragma once

#include <libpq-fe.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tongban/common/result.h"

namespace tongban::verification {

class PgResult {
 public:
  explicit PgResult(PGresult* r = nullptr) : r_(r, &PQclear) {}
  int rows() const { return PQntuples(r_.get()); }
  bool isNull(int row, int col) const { return PQgetisnull(r_.get(), row, col) != 0; }
  std::string_view get(int row, int col) const {
    return {PQgetvalue(r_.get(), row, col), static_cast<size_t>(PQgetlength(r_.get(), row, col))};
  }

 private:
  std::unique_ptr<PGresult, void (*)(PGresult*)> r_;
};

class PgConn {
 public:
  // Connects (connect_timeout 5 s and TCP keepalives unless `url` says otherwise).
  static Result<std::unique_ptr<PgConn>> connect(const std::string& url,
                                                 const std::string& application_name);
  ~PgConn();

  // Runs `sql` with text parameters; Unavailable when the connection broke, Internal otherwise.
  Result<PgResult> exec(const std::string& sql, const std::vector<std::string>& params = {});
  // Runs `copy_sql` ("COPY (...) TO STDOUT") and hands each data line (without the newline) to
  // `line`.
  Status copyOut(const std::string& copy_sql, const std::function<void(std::string_view)>& line);
  // Waits up to `timeout` for notifications; returns the channels that arrived (empty on
  // timeout). Unavailable when the connection broke.
  Result<std::vector<std::string>> waitNotifications(std::chrono::milliseconds timeout);
  // The server process id of this connection (pg_terminate_backend in tests).
  int backendPid() const { return PQbackendPID(conn_); }

 private:
  explicit PgConn(PGconn* conn) : conn_(conn) {}
  Status failure(const char* what);
  PGconn* conn_;
};

}  // namespace tongban::verification
