// tongban-admin call METHOD PATH [BODY]: one signed request to the exchange, for administrators
// and for trying the API by hand. Credentials: --credentials FILE (the JSON printed by `app add`
// or `key rotate`), else TONGBAN_KEY_ID and TONGBAN_SECRET.
#include <fstream>
#include <iostream>
#include <sstream>

#include <rapidjson/document.h>

#include "cli_util.h"
#include "tongban/admin/commands.h"
#include "tongban/common/json.h"
#include "tongban/exchange/exchange_client.h"

namespace tongban::admin {

namespace {

const char kUsage[] =
    "usage: tongban-admin call METHOD PATH [BODY] [--url http://HOST:PORT]\n"
    "                          [--credentials FILE] [--body-file FILE] [--header 'Name: value']\n"
    "  Signs the request (docs/request-signing.md) and prints the response body; the status\n"
    "  line goes to stderr. Exit 0 for a 2xx answer, 1 otherwise, 2 for usage errors.\n"
    "  Credentials: --credentials FILE holding {\"key_id\":...,\"secret\":...} (what `app add`\n"
    "  prints), else TONGBAN_KEY_ID and TONGBAN_SECRET. URL: --url, else TONGBAN_URL, else\n"
    "  http://127.0.0.1:8080.\n";

Result<exchange::Credentials> credentials(const ParsedArgs& args) {
  exchange::Credentials c;
  if (args.has("--credentials")) {
    std::ifstream in(args.get("--credentials"));
    if (!in) return Status::invalid("--credentials", "cannot read " + args.get("--credentials"));
    std::stringstream text;
    text << in.rdbuf();
    rapidjson::Document d;
    if (!parseJsonObject(text.str(), d, "--credentials") || !d.HasMember("key_id") ||
        !d["key_id"].IsString() || !d.HasMember("secret") || !d["secret"].IsString()) {
      return Status::invalid("--credentials", "expected a JSON object with key_id and secret");
    }
    c.key_id = d["key_id"].GetString();
    c.secret = d["secret"].GetString();
    return c;
  }
  const char* id = std::getenv("TONGBAN_KEY_ID");
  const char* secret = std::getenv("TONGBAN_SECRET");
  if (!id || !secret || !*id || !*secret) {
    return Status::invalid("credentials",
                           "give --credentials FILE or set TONGBAN_KEY_ID and TONGBAN_SECRET");
  }
  c.key_id = id;
  c.secret = secret;
  return c;
}

}  // namespace

int runCall(const Args& a, std::ostream& out, std::ostream& err) {
  auto args = parseArgs(a, {"--url", "--credentials", "--body-file", "--header"}, {"--help"});
  if (!args || args->has("--help") || args->positional.size() < 2 || args->positional.size() > 3) {
    if (!args) err << "tongban-admin call: " << args.status().message() << "\n";
    (args && args->has("--help") ? out : err) << kUsage;
    return args && args->has("--help") ? 0 : 2;
  }
  std::string method = args->positional[0];
  for (char& ch : method) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  std::string path = args->positional[1];
  if (path.empty() || path[0] != '/') {
    err << "tongban-admin call: PATH must start with '/'\n";
    return 2;
  }
  std::string body = args->positional.size() == 3 ? args->positional[2] : "";
  if (args->has("--body-file")) {
    std::ifstream in(args->get("--body-file"));
    if (!in) {
      err << "tongban-admin call: cannot read " << args->get("--body-file") << "\n";
      return 2;
    }
    std::stringstream s;
    s << in.rdbuf();
    body = s.str();
  }
  auto creds = credentials(*args);
  if (!creds) {
    err << "tongban-admin call: " << creds.status().message() << "\n";
    return 2;
  }
  const char* env_url = std::getenv("TONGBAN_URL");
  std::string url = args->get("--url", env_url && *env_url ? env_url : "http://127.0.0.1:8080");
  if (url.rfind("http://", 0) != 0) {
    err << "tongban-admin call: --url must be http://HOST:PORT\n";
    return 2;
  }
  std::string hostport = url.substr(7);
  while (!hostport.empty() && hostport.back() == '/') hostport.pop_back();
  size_t colon = hostport.rfind(':');
  std::string host = colon == std::string::npos ? hostport : hostport.substr(0, colon);
  int port = 80;
  if (colon != std::string::npos) {
    std::string p = hostport.substr(colon + 1);
    if (p.empty() || p.size() > 5 || p.find_first_not_of("0123456789") != std::string::npos ||
        std::stoi(p) > 65535) {
      err << "tongban-admin call: bad port in --url\n";
      return 2;
    }
    port = std::stoi(p);
  }
  std::string header_name, header_value;
  if (args->has("--header")) {
    std::string h = args->get("--header");
    size_t colon = h.find(':');
    if (colon == std::string::npos || colon == 0) {
      err << "tongban-admin call: --header must be 'Name: value'\n";
      return 2;
    }
    header_name = h.substr(0, colon);
    header_value = h.substr(h.find_first_not_of(' ', colon + 1) == std::string::npos
                                ? h.size()
                                : h.find_first_not_of(' ', colon + 1));
  }
  exchange::ExchangeClient client(host, static_cast<uint16_t>(port), *creds);
  auto r = client.call(method, path, body, header_name, header_value);
  if (!r) {
    err << "tongban-admin call: " << r.status().message() << "\n";
    return 1;
  }
  err << "HTTP " << r->status << " " << r->content_type << "\n";
  out << r->body << "\n";
  return r->status >= 200 && r->status < 300 ? 0 : 1;
}

}  // namespace tongban::admin
