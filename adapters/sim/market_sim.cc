// Market regulation (市场监管) registry simulator: SOAP 1.1 over POCO's HTTPServer.
//
//   POST /  SOAPAction "urn:tongban:sim:market#GetEntity"
//     <soap:Envelope><soap:Body><GetEntity xmlns="urn:tongban:sim:market">
//       <CreditCode>…</CreditCode></GetEntity></soap:Body></soap:Envelope>
//   → <GetEntityResponse><Entity><CreditCode>…</CreditCode><EntityName>…</EntityName>…</Entity>
//     </GetEntityResponse> (no <Entity> when there is none)
// Faults (sim_common.h): an error is HTTP 500 with a soap:Fault (soap:Server).
#include <map>
#include <sstream>

#include <Poco/AutoPtr.h>
#include <Poco/DOM/DOMParser.h>
#include <Poco/DOM/Document.h>
#include <Poco/DOM/Element.h>
#include <Poco/DOM/NodeList.h>
#include <Poco/SAX/XMLReader.h>
#include <Poco/XML/XMLWriter.h>
#include <rapidjson/document.h>

#include "http_sim.h"

namespace {

constexpr const char* kSoapEnv = "http://schemas.xmlsoap.org/soap/envelope/";
constexpr const char* kNs = "urn:tongban:sim:market";
const char* kUsage =
    "usage: tongban-sim-market [switches]\n"
    "Serves the SOAP operation GetEntity(CreditCode) from a JSON file ({\"entities\": [...]}).\n";

using Fields = std::vector<std::pair<std::string, std::string>>;

std::string envelope(const std::function<void(Poco::XML::XMLWriter&)>& body) {
  std::ostringstream out;
  Poco::XML::XMLWriter w(out, Poco::XML::XMLWriter::WRITE_XML_DECLARATION);
  w.startDocument();
  w.startPrefixMapping("soap", kSoapEnv);
  w.startElement(kSoapEnv, "Envelope", "soap:Envelope");
  w.startElement(kSoapEnv, "Body", "soap:Body");
  body(w);
  w.endElement(kSoapEnv, "Body", "soap:Body");
  w.endElement(kSoapEnv, "Envelope", "soap:Envelope");
  w.endPrefixMapping("soap");
  w.endDocument();
  return out.str();
}

std::string fault(const std::string& code, const std::string& text) {
  return envelope([&](Poco::XML::XMLWriter& w) {
    w.startElement(kSoapEnv, "Fault", "soap:Fault");
    w.startElement("", "faultcode", "faultcode");
    w.characters(code);
    w.endElement("", "faultcode", "faultcode");
    w.startElement("", "faultstring", "faultstring");
    w.characters(text);
    w.endElement("", "faultstring", "faultstring");
    w.endElement(kSoapEnv, "Fault", "soap:Fault");
  });
}

void element(Poco::XML::XMLWriter& w, const std::string& name, const std::string& text) {
  w.startElement(kNs, name, name);
  w.characters(text);
  w.endElement(kNs, name, name);
}

}  // namespace

int main(int argc, char** argv) {
  static tongban::sim::HttpSimState state;
  state.options.data_file = TONGBAN_SIM_DATA "/market.json";
  tongban::sim::parseArgs(argc, argv, kUsage, state.options, state.faults);
  rapidjson::Document doc;
  const std::string text = tongban::sim::readFile(state.options.data_file);
  if (doc.Parse(text.c_str()).HasParseError() || !doc.IsObject() || !doc.HasMember("entities") ||
      !doc["entities"].IsArray()) {
    std::cerr << state.options.data_file << ": expected {\"entities\": [...]}\n";
    return 65;
  }
  static std::map<std::string, Fields> entities;
  for (const auto& e : doc["entities"].GetArray()) {
    if (!e.IsObject() || !e.HasMember("CreditCode") || !e["CreditCode"].IsString()) continue;
    Fields f;
    for (auto m = e.MemberBegin(); m != e.MemberEnd(); ++m) {
      if (m->value.IsString()) f.emplace_back(m->name.GetString(), m->value.GetString());
    }
    entities[e["CreditCode"].GetString()] = std::move(f);
  }
  state.garbage = "<html><body>upstream proxy error</body>";
  state.handler = [](const std::string& method, const std::string&, const std::string& body,
                     tongban::sim::Fault f) -> tongban::sim::HttpAnswer {
    const char* xml = "text/xml; charset=utf-8";
    if (f == tongban::sim::Fault::kError) {
      return {500, xml,
              fault("soap:Server", "市场主体库暂不可用 (registry temporarily unavailable)")};
    }
    if (method != "POST") return {405, "text/plain", "POST a SOAP envelope\n"};
    std::string code;
    try {
      Poco::XML::DOMParser parser;
      parser.setFeature(Poco::XML::XMLReader::FEATURE_NAMESPACES, true);
      parser.setFeature(Poco::XML::XMLReader::FEATURE_EXTERNAL_GENERAL_ENTITIES, false);
      if (body.find("<!DOCTYPE") != std::string::npos) throw Poco::Exception("DOCTYPE refused");
      Poco::AutoPtr<Poco::XML::Document> d = parser.parseString(body);
      Poco::AutoPtr<Poco::XML::NodeList> codes = d->getElementsByTagNameNS(kNs, "CreditCode");
      if (codes->length() != 1) throw Poco::Exception("one CreditCode expected");
      code = codes->item(0)->innerText();
    } catch (const Poco::Exception& e) {
      return {500, xml, fault("soap:Client", "bad request: " + e.displayText())};
    }
    auto it = entities.find(code);
    return {200, xml, envelope([&](Poco::XML::XMLWriter& w) {
              w.startPrefixMapping("", kNs);
              w.startElement(kNs, "GetEntityResponse", "GetEntityResponse");
              if (it != entities.end()) {
                w.startElement(kNs, "Entity", "Entity");
                for (const auto& [k, v] : it->second) element(w, k, v);
                w.endElement(kNs, "Entity", "Entity");
              }
              w.endElement(kNs, "GetEntityResponse", "GetEntityResponse");
              w.endPrefixMapping("");
            })};
  };
  tongban::sim::HttpSimApp app(state, "market-regulation simulator (SOAP/XML)");
  char* app_argv[] = {argv[0], nullptr};
  return app.run(1, app_argv);
}
