// Hears the catalog's change notifications (PostgreSQL LISTEN on kCatalogChannel, sent by the
// triggers of deploy/sql/0004 and 0007 in the transaction that makes the change) and hands each
// payload to a callback, so that every node drops cached grants and resources within
// milliseconds of a suspension, revocation or publication made on any node.
//
// One thread and one database connection of its own. When the connection fails the listener
// reports it (on_listening(false)), retries every `retry`, and reports on_listening(true) once
// LISTEN is in force again; notifications sent in between are lost, so a cache must not be
// trusted while not listening (InvalidatingCache::setTrusted).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

namespace tongban::catalog {

class ChangeListener {
 public:
  struct Callbacks {
    // "grant <app_id> <resource_code>", "resource <code>" or "source <name>". Called on the
    // listener's thread; must not block for long.
    std::function<void(const std::string& payload)> on_change;
    // true once LISTEN is in force (again), false when the connection is lost.
    std::function<void(bool listening)> on_listening;
  };

  // Starts the thread; the first connection is made on it (on_listening(true) follows). Never
  // fails: an unreachable database is retried.
  static std::unique_ptr<ChangeListener> start(
      std::string conninfo, Callbacks callbacks,
      std::chrono::milliseconds retry = std::chrono::milliseconds(500));

  // Stops the thread (within about 100 ms) and closes the connection.
  virtual ~ChangeListener() = default;

  // Whether LISTEN is in force now.
  virtual bool listening() const = 0;
};

}  // namespace tongban::catalog
