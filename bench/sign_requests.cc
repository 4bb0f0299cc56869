// Pre-signs requests for a load test: wrk replays each line once (bench/signed.lua), so the load
// generator spends no time on HMACs and every request carries a fresh nonce and a valid signature
// for the next few minutes.
//
//   sign_requests --apps APPS.jsonl --ids IDS.txt --count N --kind query|lookup|verify --matter M
//                 --host HOST:PORT > OUT
//
// APPS.jsonl: one {"key_id":...,"secret":...} per line (as `tongban-admin app add` prints);
// requests are spread over the applications round-robin. IDS.txt: one citizen id per line.
// Output: one request per line, "METHOD\tTARGET\tHOST\tAUTHORIZATION\tBODY"; HOST is the Host
// header to send (it is signed), as given by --host (the exchange's address as wrk reaches it).
#include <chrono>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include <rapidjson/document.h>

#include "tongban/exchange/request_signing.h"

int main(int argc, char** argv) {
  std::string apps_file, ids_file, kind = "query", matter = "11330100MB0000001X4000203", host;
  std::string resource = "POP-PERSON-BASIC";  // --kind query: the resource queried
  long count = 100000;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--apps")
      apps_file = argv[i + 1];
    else if (a == "--ids")
      ids_file = argv[i + 1];
    else if (a == "--count")
      count = std::stol(argv[i + 1]);
    else if (a == "--kind")
      kind = argv[i + 1];
    else if (a == "--matter")
      matter = argv[i + 1];
    else if (a == "--host")
      host = argv[i + 1];
    else if (a == "--resource")
      resource = argv[i + 1];
    else {
      std::cerr << "unknown option " << a << "\n";
      return 2;
    }
  }
  std::vector<tongban::exchange::Credentials> apps;
  std::ifstream af(apps_file);
  for (std::string line; std::getline(af, line);) {
    rapidjson::Document d;
    d.Parse(line.c_str());
    if (d.HasParseError() || !d.IsObject() || !d.HasMember("key_id")) continue;
    apps.push_back({d["key_id"].GetString(), d["secret"].GetString()});
  }
  std::vector<std::string> ids;
  std::ifstream idf(ids_file);
  for (std::string line; std::getline(idf, line);) {
    if (!line.empty()) ids.push_back(line);
  }
  if (apps.empty() || ids.empty() || host.empty()) {
    std::cerr << "usage: sign_requests --apps APPS.jsonl --ids IDS.txt --count N "
                 "--host HOST:PORT [--kind query|lookup] [--matter M] [--resource CODE]\n";
    return 2;
  }
  const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  std::string out;
  out.reserve(512 * 1024);
  for (long i = 0; i < count; ++i) {
    const auto& app = apps[static_cast<size_t>(i) % apps.size()];
    const std::string& id = ids[static_cast<size_t>(i) % ids.size()];
    std::string method, path, query, body;
    if (kind == "lookup") {
      method = "GET";
      path = "/v1/registry/persons/" + id;
      query = "matter_code=" + matter + "&case_id=BENCH-" + std::to_string(i);
    } else if (kind == "verify") {  // one person_alive check (bench/verification.sh)
      method = "POST";
      path = "/v1/verify";
      body = "{\"purpose\":{\"matter_code\":\"" + matter + "\",\"case_id\":\"BENCH-" +
             std::to_string(i) + "\"},\"check\":{\"kind\":\"person_alive\",\"subject\":\"" + id +
             "\"}}";
    } else {
      method = "POST";
      path = "/v1/query/" + resource;
      body = "{\"keys\":{\"citizen_id\":\"" + id +
             "\"},\"fields\":[\"name\",\"sex\",\"birth_date\",\"region_code\",\"status\"],"
             "\"purpose\":{\"matter_code\":\"" +
             matter + "\",\"case_id\":\"BENCH-" + std::to_string(i) + "\"}}";
    }
    std::string target = query.empty() ? path : path + "?" + query;
    tongban::exchange::SignedRequest request{method, host, path, query, "", body};
    out +=
        method + "\t" + target + "\t" + host + "\t" +
        tongban::exchange::authorizationHeader(app, request, now, tongban::exchange::newNonce()) +
        "\t" + body + "\n";
    if (out.size() > 256 * 1024) {
      std::cout << out;
      out.clear();
    }
  }
  std::cout << out;
  return 0;
}
