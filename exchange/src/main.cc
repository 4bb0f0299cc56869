// tongban-exchange: the exchange server.
//
//   tongban-exchange serve   [--config FILE]   migrate when migrations are pending (unless
//                                              database.migrate_on_start=false), then serve until
//                                              SIGTERM/SIGINT, connected as database.url
//   tongban-exchange migrate [--config FILE]   apply pending migrations and exit, connected as
//                                              database.owner_url (else database.url)
//
// Exit codes: 0 done; 64 usage; 69 database unavailable; 78 bad configuration; 1 other failure.
#include <iostream>
#include <string>

#include <Poco/Util/HelpFormatter.h>
#include <Poco/Util/Option.h>
#include <Poco/Util/OptionSet.h>
#include <Poco/Util/ServerApplication.h>
#include <pqxx/pqxx>

#include "tongban/common/config.h"
#include "tongban/common/db_pool.h"
#include "tongban/common/log.h"
#include "tongban/common/migrations.h"
#include "tongban/exchange/exchange_config.h"
#include "tongban/exchange/server.h"

namespace {

using Poco::Util::Application;
using Poco::Util::Option;
using Poco::Util::OptionSet;
using tongban::Status;

class ExchangeApp : public Poco::Util::ServerApplication {
 protected:
  void defineOptions(OptionSet& options) override {
    ServerApplication::defineOptions(options);
    options.addOption(
        Option("config", "c", "configuration file (INI)")
            .required(false)
            .repeatable(false)
            .argument("FILE")
            .callback(Poco::Util::OptionCallback<ExchangeApp>(this, &ExchangeApp::handleConfig)));
    options.addOption(
        Option("help", "h", "show this help")
            .required(false)
            .repeatable(false)
            .callback(Poco::Util::OptionCallback<ExchangeApp>(this, &ExchangeApp::handleHelp)));
  }

  void handleConfig(const std::string&, const std::string& value) { config_path_ = value; }

  void handleHelp(const std::string&, const std::string&) {
    Poco::Util::HelpFormatter help(options());
    help.setCommand(commandName());
    help.setUsage("serve|migrate [--config FILE]");
    help.setHeader("Tongban data-sharing exchange. Settings: docs/configuration.md.");
    help.format(std::cout);
    help_ = true;
    stopOptionsProcessing();
  }

  int main(const std::vector<std::string>& args) override {
    if (help_) return EXIT_OK;
    if (args.size() != 1 || (args[0] != "serve" && args[0] != "migrate")) {
      std::cerr << "usage: tongban-exchange serve|migrate [--config FILE]\n";
      return EXIT_USAGE;
    }
    tongban::Config raw;
    if (!config_path_.empty()) {
      auto loaded = tongban::Config::load(config_path_);
      if (!loaded) return fail(EXIT_CONFIG, loaded.status());
      raw = *loaded;
    }
    auto config = tongban::exchange::loadExchangeConfig(raw);
    if (!config) return fail(EXIT_CONFIG, config.status());
    if (args[0] == "serve") {
      if (Status s = tongban::exchange::checkServeConfig(*config); !s) return fail(EXIT_CONFIG, s);
    }
    if (Status s = tongban::configureLogging(config->log_level, config->log_path, true); !s) {
      return fail(EXIT_CONFIG, s);
    }
    auto& log = Poco::Logger::get("exchange");
    int rc = args[0] == "migrate" ? migrate(*config, log, true) : serve(*config, log);
    tongban::shutdownLogging();
    return rc;
  }

 private:
  static int fail(int code, const Status& s) {
    std::cerr << "tongban-exchange: " << s.toString() << "\n";
    return code;
  }

  // apply=false: only check, as database.url (serve's runtime role may read the record).
  // apply=true: as database.owner_url when set — the runtime role may not create tables.
  int migrate(const tongban::exchange::ExchangeConfig& config, Poco::Logger& log, bool apply) {
    try {
      const std::string& url = apply && !config.database_owner_url.empty()
                                   ? config.database_owner_url
                                   : config.database_url;
      pqxx::connection conn(tongban::db::withConnectTimeout(url, 5));
      if (!apply) {
        Status s = tongban::db::checkMigrationsCurrent(conn);
        return s ? EXIT_OK : fail(EXIT_UNAVAILABLE, s);
      }
      auto report = tongban::db::migrate(conn);
      if (!report) {
        return fail(report.status().code() == tongban::ErrorCode::kUnavailable ? EXIT_UNAVAILABLE
                                                                               : EXIT_SOFTWARE,
                    report.status());
      }
      for (const auto& name : report->applied) {
        tongban::logJson(log, Poco::Message::PRIO_NOTICE, "migration applied", {{"name", name}});
      }
      tongban::logJson(log, Poco::Message::PRIO_NOTICE, "migrations current",
                       {{"applied", static_cast<int64_t>(report->applied.size())},
                        {"already_applied", static_cast<int64_t>(report->already_applied)}});
      return EXIT_OK;
    } catch (const pqxx::broken_connection& e) {
      std::string why = e.what();
      while (!why.empty() && (why.back() == '\n' || why.back() == ' ')) why.pop_back();
      return fail(EXIT_UNAVAILABLE, Status::unavailable("database unreachable: " + why));
    } catch (const std::exception& e) {
      return fail(EXIT_SOFTWARE, Status::internal(e.what()));
    }
  }

  int serve(const tongban::exchange::ExchangeConfig& config, Poco::Logger& log) {
    // Migrations already current need no owner rights: check first (as the runtime role), and
    // migrate only when something is pending and migrate_on_start allows it.
    if (!config.migrate_on_start || !migrationsCurrent(config)) {
      if (int rc = migrate(config, log, config.migrate_on_start); rc != EXIT_OK) return rc;
    }
    auto server = tongban::exchange::ExchangeServer::start(config);
    if (!server) return fail(EXIT_UNAVAILABLE, server.status());
    tongban::logJson(log, Poco::Message::PRIO_NOTICE, "listening",
                     {{"host", config.host}, {"port", static_cast<int64_t>((*server)->port())}});
    waitForTerminationRequest();
    tongban::logJson(log, Poco::Message::PRIO_NOTICE, "shutting down",
                     {{"grace_s", static_cast<int64_t>(config.shutdown_grace_s)}});
    (*server)->stop();
    tongban::logJson(log, Poco::Message::PRIO_NOTICE, "stopped");
    return EXIT_OK;
  }

  static bool migrationsCurrent(const tongban::exchange::ExchangeConfig& config) {
    try {
      pqxx::connection conn(tongban::db::withConnectTimeout(config.database_url, 5));
      return static_cast<bool>(tongban::db::checkMigrationsCurrent(conn));
    } catch (const std::exception&) {
      return false;  // migrate() reports why
    }
  }

  std::string config_path_;
  bool help_ = false;
};

// Refuses any option other than --config/-c FILE and --help/-h before POCO parses the command
// line: POCO would accept unique prefixes ("--con") and ServerApplication's own --daemon, --pidfile
// and --umask (a daemon that forks away from systemd), and report an unknown option as a
// configuration error (78) instead of a usage error. Returns the exit code, or -1 to go on.
int checkOptions(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--config" || a == "-c") {
      if (i + 1 >= argc) {
        std::cerr << "tongban-exchange: " << a << " needs a value (a configuration file)\n";
        return Application::EXIT_USAGE;
      }
      ++i;
    } else if (a.rfind("--config=", 0) == 0 || a == "--help" || a == "-h") {
      continue;
    } else if (a.size() > 1 && a[0] == '-') {
      std::cerr << "tongban-exchange: unknown option '" << a
                << "'\nusage: tongban-exchange serve|migrate [--config FILE]\n";
      return Application::EXIT_USAGE;
    }
  }
  return -1;
}

}  // namespace

int main(int argc, char** argv) {
  if (int rc = checkOptions(argc, argv); rc >= 0) return rc;
  ExchangeApp app;
  return app.run(argc, argv);
}
