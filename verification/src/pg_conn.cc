#include "pg_conn.h"

#include <poll.h>

#include <cstring>

namespace tongban::verification {

Result<std::unique_ptr<PgConn>> PgConn::connect(const std::string& url,
                                                const std::string& application_name) {
  // Defaults first, then the caller's string (expanded), whose settings win.
  const char* keys[] = {
      "connect_timeout",  "keepalives",       "keepalives_idle", "keepalives_interval",
      "keepalives_count", "application_name", "dbname",          nullptr};
  const char* values[] = {"5", "1", "5", "2", "2", application_name.c_str(), url.c_str(), nullptr};
  PGconn* c = PQconnectdbParams(keys, values, 1);
  if (c == nullptr) return Status::unavailable("database: out of memory");
  if (PQstatus(c) != CONNECTION_OK) {
    std::string msg = PQerrorMessage(c);
    PQfinish(c);
    while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
    return Status::unavailable("database: " + msg);
  }
  return std::unique_ptr<PgConn>(new PgConn(c));
}

PgConn::~PgConn() { PQfinish(conn_); }

Status PgConn::failure(const char* what) {
  std::string msg = PQerrorMessage(conn_);
  while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
  if (PQstatus(conn_) != CONNECTION_OK) return Status::unavailable(std::string(what) + ": " + msg);
  return Status::internal(std::string(what) + ": " + msg);
}

Result<PgResult> PgConn::exec(const std::string& sql, const std::vector<std::string>& params) {
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const std::string& p : params) values.push_back(p.c_str());
  PGresult* raw = PQexecParams(conn_, sql.c_str(), static_cast<int>(values.size()), nullptr,
                               values.data(), nullptr, nullptr, 0);
  const ExecStatusType st = PQresultStatus(raw);
  PgResult r(raw);
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) return failure("query");
  return r;
}

Status PgConn::copyOut(const std::string& copy_sql,
                       const std::function<void(std::string_view)>& line) {
  PGresult* start = PQexec(conn_, copy_sql.c_str());
  const ExecStatusType st = PQresultStatus(start);
  PQclear(start);
  if (st != PGRES_COPY_OUT) return failure("COPY");
  char* buf = nullptr;
  int n;
  while ((n = PQgetCopyData(conn_, &buf, 0)) > 0) {
    size_t len = static_cast<size_t>(n);
    if (len > 0 && buf[len - 1] == '\n') --len;
    line(std::string_view(buf, len));
    PQfreemem(buf);
  }
  if (n == -2) return failure("COPY");
  Status status;
  while (PGresult* r = PQgetResult(conn_)) {
    if (PQresultStatus(r) != PGRES_COMMAND_OK && status.isOk()) status = failure("COPY");
    PQclear(r);
  }
  return status;
}

Result<std::vector<std::string>> PgConn::waitNotifications(std::chrono::milliseconds timeout) {
  std::vector<std::string> channels;
  auto drain = [&]() -> Status {
    if (PQconsumeInput(conn_) == 0) return failure("LISTEN");
    while (PGnotify* n = PQnotifies(conn_)) {
      channels.emplace_back(n->relname);
      PQfreemem(n);
    }
    return Status();
  };
  if (Status s = drain(); !s) return s;
  if (!channels.empty()) return channels;
  pollfd fd{PQsocket(conn_), POLLIN, 0};
  if (fd.fd < 0) return Status::unavailable("LISTEN: connection closed");
  const int rc = ::poll(&fd, 1, static_cast<int>(timeout.count()));
  if (rc < 0) return channels;  // EINTR: the caller loops
  if (rc > 0) {
    if (Status s = drain(); !s) return s;
    if ((fd.revents & (POLLHUP | POLLERR)) != 0 && PQstatus(conn_) != CONNECTION_OK) {
      return Status::unavailable("LISTEN: connection closed");
    }
  }
  return channels;
}

}  // namespace tongban::verification
