// Household registration (户籍) simulator: REST/JSON over POCO's HTTPServer.
//
//   GET /persons/{citizen_id}  → 200 {"idNumber": ..., "fullName": ..., "residence": {...}, ...}
//                              → 404 {"error": "not_found"}
// Faults (sim_common.h): an error is HTTP 500 {"error": "internal"}.
#include <map>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "http_sim.h"

namespace {

const char* kUsage =
    "usage: tongban-sim-household [switches]\n"
    "Serves GET /persons/{citizen_id} from a JSON file of persons ({\"persons\": [...]}).\n";

}  // namespace

int main(int argc, char** argv) {
  static tongban::sim::HttpSimState state;
  state.options.data_file = TONGBAN_SIM_DATA "/household.json";
  tongban::sim::parseArgs(argc, argv, kUsage, state.options, state.faults);
  rapidjson::Document doc;
  const std::string text = tongban::sim::readFile(state.options.data_file);
  if (doc.Parse(text.c_str()).HasParseError() || !doc.IsObject() || !doc.HasMember("persons") ||
      !doc["persons"].IsArray()) {
    std::cerr << state.options.data_file << ": expected {\"persons\": [...]}\n";
    return 65;
  }
  static std::map<std::string, std::string> persons;
  for (const auto& p : doc["persons"].GetArray()) {
    if (!p.IsObject() || !p.HasMember("idNumber") || !p["idNumber"].IsString()) continue;
    rapidjson::StringBuffer buf;
    rapidjson::Writer<rapidjson::StringBuffer> w(buf);
    p.Accept(w);
    persons[p["idNumber"].GetString()] = buf.GetString();
  }
  state.handler = [](const std::string& method, const std::string& path, const std::string&,
                     tongban::sim::Fault fault) -> tongban::sim::HttpAnswer {
    if (fault == tongban::sim::Fault::kError)
      return {500, "application/json", "{\"error\":\"internal\"}"};
    const std::string prefix = "/persons/";
    if (method != "GET" || path.rfind(prefix, 0) != 0) {
      return {404, "application/json", "{\"error\":\"no such route\"}"};
    }
    auto it = persons.find(path.substr(prefix.size()));
    if (it == persons.end()) return {404, "application/json", "{\"error\":\"not_found\"}"};
    return {200, "application/json; charset=utf-8", it->second};
  };
  tongban::sim::HttpSimApp app(state, "household-registration simulator (REST/JSON)");
  char* app_argv[] = {argv[0], nullptr};
  return app.run(1, app_argv);
}
