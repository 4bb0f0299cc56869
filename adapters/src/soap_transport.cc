// SOAP 1.1 adapter transport (transports.h). The request envelope is written with POCO's
// XMLWriter (the key is escaped by the writer, never pasted into markup); the answer is parsed
// with POCO's DOM parser with external entities off, and any DOCTYPE is refused outright (SOAP
// forbids one, and it is how entity-expansion attacks arrive).
#include <sstream>

#include <Poco/AutoPtr.h>
#include <Poco/DOM/DOMParser.h>
#include <Poco/DOM/Document.h>
#include <Poco/DOM/Element.h>
#include <Poco/DOM/Node.h>
#include <Poco/DOM/NodeList.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/SAX/InputSource.h>
#include <Poco/SAX/SAXException.h>
#include <Poco/SAX/XMLReader.h>
#include <Poco/XML/XMLWriter.h>

#include "http_client.h"
#include "transports.h"

namespace tongban::adapters {

namespace {

constexpr const char* kSoapEnv = "http://schemas.xmlsoap.org/soap/envelope/";

// The first element under `node` (depth first) whose local name is `name`, or nullptr.
Poco::XML::Element* findElement(Poco::XML::Node* node, const std::string& name, int depth = 0) {
  if (depth > 32) return nullptr;
  for (Poco::XML::Node* c = node->firstChild(); c != nullptr; c = c->nextSibling()) {
    if (c->nodeType() != Poco::XML::Node::ELEMENT_NODE) continue;
    auto* e = static_cast<Poco::XML::Element*>(c);
    if (e->localName() == name) return e;
    if (auto* found = findElement(e, name, depth + 1)) return found;
  }
  return nullptr;
}

std::string childText(Poco::XML::Element* parent, const std::string& name) {
  Poco::XML::Element* e = findElement(parent, name);
  return e ? e->innerText() : std::string();
}

class SoapTransport : public Transport {
 public:
  SoapTransport(std::unique_ptr<HttpClient> http, std::string operation, std::string ns,
                std::string action, std::string key_element, std::string record_element)
      : http_(std::move(http)),
        operation_(std::move(operation)),
        ns_(std::move(ns)),
        action_(std::move(action)),
        key_element_(std::move(key_element)),
        record_element_(std::move(record_element)) {}

  Result<std::optional<UpstreamRecord>> fetch(const std::string& key) override {
    std::ostringstream envelope;
    try {
      Poco::XML::XMLWriter w(envelope, Poco::XML::XMLWriter::WRITE_XML_DECLARATION);
      w.startDocument();
      w.startPrefixMapping("soap", kSoapEnv);
      w.startElement(kSoapEnv, "Envelope", "soap:Envelope");
      w.startElement(kSoapEnv, "Body", "soap:Body");
      w.startPrefixMapping("", ns_);
      w.startElement(ns_, operation_, operation_);
      w.startElement(ns_, key_element_, key_element_);
      w.characters(key);
      w.endElement(ns_, key_element_, key_element_);
      w.endElement(ns_, operation_, operation_);
      w.endPrefixMapping("");
      w.endElement(kSoapEnv, "Body", "soap:Body");
      w.endElement(kSoapEnv, "Envelope", "soap:Envelope");
      w.endPrefixMapping("soap");
      w.endDocument();
    } catch (const Poco::Exception& e) {
      return Status::invalid("keys", "cannot put the key in a SOAP request: " + e.displayText());
    }
    Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_POST,
                                   http_->basePath().empty() ? "/" : http_->basePath(),
                                   Poco::Net::HTTPMessage::HTTP_1_1);
    request.setContentType("text/xml; charset=utf-8");
    request.set("SOAPAction", "\"" + action_ + "\"");
    auto reply = http_->send(request, envelope.str());
    if (!reply) return reply.status();
    if (reply->body.find("<!DOCTYPE") != std::string::npos ||
        reply->body.find("<!ENTITY") != std::string::npos) {
      return Status(ErrorCode::kBadGateway, "answered XML with a DOCTYPE, which SOAP forbids");
    }
    Poco::AutoPtr<Poco::XML::Document> doc;
    try {
      Poco::XML::DOMParser parser;
      parser.setFeature(Poco::XML::XMLReader::FEATURE_NAMESPACES, true);
      parser.setFeature(Poco::XML::XMLReader::FEATURE_EXTERNAL_GENERAL_ENTITIES, false);
      parser.setFeature(Poco::XML::XMLReader::FEATURE_EXTERNAL_PARAMETER_ENTITIES, false);
      parser.setFeature(Poco::XML::DOMParser::FEATURE_FILTER_WHITESPACE, true);
      doc = parser.parseString(reply->body);
    } catch (const Poco::Exception& e) {
      return Status(ErrorCode::kBadGateway, "answered HTTP " + std::to_string(reply->status) +
                                                " with malformed XML: " + e.displayText());
    }
    Poco::XML::Element* root = doc->documentElement();
    if (root == nullptr || root->localName() != "Envelope" || root->namespaceURI() != kSoapEnv) {
      return Status(ErrorCode::kBadGateway, "answered HTTP " + std::to_string(reply->status) +
                                                " with XML that is not a SOAP 1.1 envelope");
    }
    Poco::XML::Element* body = findElement(root, "Body");
    if (body == nullptr)
      return Status(ErrorCode::kBadGateway, "answered an envelope without a Body");
    if (Poco::XML::Element* fault = findElement(body, "Fault")) {
      std::string code = childText(fault, "faultcode");
      std::string text = childText(fault, "faultstring");
      if (code.size() > 200) code.resize(200);
      if (text.size() > 500) text.resize(500);
      return Status(ErrorCode::kBadGateway, "answered a SOAP fault (" + code + "): " + text);
    }
    if (reply->status != 200) {
      return Status(ErrorCode::kBadGateway, "answered HTTP " + std::to_string(reply->status));
    }
    Poco::XML::Element* record = findElement(body, record_element_);
    if (record == nullptr) return std::optional<UpstreamRecord>();
    UpstreamRecord out;
    for (Poco::XML::Node* c = record->firstChild(); c != nullptr; c = c->nextSibling()) {
      if (c->nodeType() != Poco::XML::Node::ELEMENT_NODE) continue;
      auto* e = static_cast<Poco::XML::Element*>(c);
      const bool nil =
          e->getAttributeNS("http://www.w3.org/2001/XMLSchema-instance", "nil") == "true";
      out[e->localName()] = nil ? std::nullopt : std::optional<std::string>(e->innerText());
    }
    return std::optional<UpstreamRecord>(std::move(out));
  }

 private:
  std::unique_ptr<HttpClient> http_;
  const std::string operation_, ns_, action_, key_element_, record_element_;
};

}  // namespace

Result<std::unique_ptr<Transport>> makeSoapTransport(const Settings& s,
                                                     const ConnectionSettings& c) {
  auto operation = s.str("operation", true);
  if (!operation) return operation.status();
  auto ns = s.str("namespace", true);
  if (!ns) return ns.status();
  auto action = s.str("soap_action", false);
  if (!action) return action.status();
  auto key_element = s.str("key_element", true);
  if (!key_element) return key_element.status();
  auto record_element = s.str("record_element", true);
  if (!record_element) return record_element.status();
  auto http = HttpClient::create(s, c);
  if (!http) return http.status();
  return std::unique_ptr<Transport>(std::make_unique<SoapTransport>(
      std::move(*http), *operation, *ns, *action, *key_element, *record_element));
}

}  // namespace tongban::adapters
