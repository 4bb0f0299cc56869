// Adapter instances as the configuration file declares them:
//
//   [adapters]
//   instances = household, market
//
//   [adapter.household]
//   kind = rest
//   source = household.persons
//   ...
//
// Each instance's keys (docs/configuration.md, "Adapters") are read through tongban::Config, so
// TONGBAN_ADAPTER_HOUSEHOLD_ENDPOINT overrides adapter.household.endpoint like any other key.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "tongban/common/config.h"
#include "tongban/common/result.h"

namespace tongban::adapters {

struct AdapterInstance {
  std::string instance;  // "household": the upstream's name in errors, metrics and /readyz
  std::string kind;      // "rest", "soap", "thrift"
  std::string source;    // the name resources cite
  std::string owner;     // department code owning the source (catalog.source_owners); may be ""
  std::map<std::string, std::string> settings;  // every other key that is set (secrets resolved)
};

// The instances listed in adapters.instances. kInvalidArgument naming the key when a name is not
// [a-z0-9_]+, listed twice, or lacks kind or source. Settings are checked by the factories.
Result<std::vector<AdapterInstance>> readAdapterInstances(const Config& config);

// Every key an instance section may hold (besides kind, source, owner).
const std::vector<std::string>& adapterSettingKeys();

}  // namespace tongban::adapters
