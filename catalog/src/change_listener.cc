// ChangeListener over libpqxx (change_listener.h): a thread that holds one connection with
// LISTEN tongban_catalog and waits on its socket for notifications.
#include "tongban/catalog/change_listener.h"

#include <atomic>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <thread>
#include <utility>

#include <pqxx/pqxx>

#include "tongban/catalog/catalog_store.h"

namespace tongban::catalog {
namespace {

// How long one wait for a notification lasts: bounds how long stopping takes.
constexpr long kWaitMicros = 100000;

class Receiver : public pqxx::notification_receiver {
 public:
  Receiver(pqxx::connection_base& conn, const std::function<void(const std::string&)>& callback)
      : pqxx::notification_receiver(conn, kCatalogChannel), callback_(callback) {}
  void operator()(const std::string& payload, int) override {
    if (callback_) callback_(payload);
  }

 private:
  const std::function<void(const std::string&)>& callback_;
};

class PgChangeListener : public ChangeListener {
 public:
  PgChangeListener(std::string conninfo, Callbacks callbacks, std::chrono::milliseconds retry)
      : conninfo_(std::move(conninfo)), callbacks_(std::move(callbacks)), retry_(retry) {
    thread_ = std::thread([this] { run(); });
  }

  ~PgChangeListener() override {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }

  bool listening() const override { return listening_.load(); }

 private:
  void setListening(bool listening) {
    if (listening_.exchange(listening) == listening) return;
    if (callbacks_.on_listening) callbacks_.on_listening(listening);
  }

  bool stopping() {
    std::lock_guard<std::mutex> lock(mutex_);
    return stop_;
  }

  void run() {
    while (!stopping()) {
      try {
        pqxx::connection conn(conninfo_);
        // A silently re-opened connection would have missed notifications: fail instead, so
        // that the caches hear about it.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
        conn.inhibit_reactivation(true);
#pragma GCC diagnostic pop
        Receiver receiver(conn, callbacks_.on_change);
        conn.get_notifs();  // LISTEN is issued with the receiver; make sure it has been
        setListening(true);
        while (!stopping()) conn.await_notification(0, kWaitMicros);
        setListening(false);
        return;
      } catch (const std::exception&) {
        // Lost or never made; the callbacks learn it, and we retry.
      }
      setListening(false);
      std::unique_lock<std::mutex> lock(mutex_);
      cv_.wait_for(lock, retry_, [this] { return stop_; });
    }
  }

  const std::string conninfo_;
  const Callbacks callbacks_;
  const std::chrono::milliseconds retry_;
  std::atomic<bool> listening_{false};
  std::mutex mutex_;  // with cv_: guards stop_
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace

std::unique_ptr<ChangeListener> ChangeListener::start(std::string conninfo, Callbacks callbacks,
                                                      std::chrono::milliseconds retry) {
  return std::make_unique<PgChangeListener>(std::move(conninfo), std::move(callbacks), retry);
}

}  // namespace tongban::catalog
