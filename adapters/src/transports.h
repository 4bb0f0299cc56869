// The protocol clients behind the adapter kinds (adapter_source.h). Each is a Transport that
// keeps a small pool of open connections for reuse and maps what goes wrong on the wire to
// kGatewayTimeout / kBadGateway (messages say what happened, not who: the AdapterSource adds the
// upstream's name).
#pragma once

#include <memory>

#include "settings.h"
#include "tongban/adapters/adapter_source.h"

namespace tongban::adapters {

// REST/JSON: GET endpoint + path (with {key} replaced by the percent-encoded key); 200 with a
// JSON object is the record (at `record_path`, dot-separated, when set), 404 is "none".
// Settings: path, record_path, plus ConnectionSettings.
Result<std::unique_ptr<Transport>> makeRestTransport(const Settings& s,
                                                     const ConnectionSettings& c);

// SOAP 1.1: POST an envelope whose body is <operation xmlns=namespace><key_element>key</...>;
// the response's `record_element` (first match by local name) holds one child element per
// field; none means "no record"; a soap:Fault is kBadGateway naming faultcode and faultstring.
// Settings: operation, namespace, soap_action, key_element, record_element.
Result<std::unique_ptr<Transport>> makeSoapTransport(const Settings& s,
                                                     const ConnectionSettings& c);

// Thrift, binary protocol over framed transport, service TaxClearance (idl/tax_clearance.thrift):
// getClearance(taxpayer_id) → ClearanceRecord, whose members become upstream fields by name.
// Settings: service (only "tax_clearance").
Result<std::unique_ptr<Transport>> makeThriftTransport(const Settings& s,
                                                       const ConnectionSettings& c);

}  // namespace tongban::adapters
