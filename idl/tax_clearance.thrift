// Tax clearance (完税证明 / 欠税查询) as a tax system serves it over Thrift: binary protocol,
// framed transport. The hub's "thrift" adapter kind is a client of this service
// (adapters/src/thrift_transport.cc); adapters/sim/tax_sim.cc plays the server.
namespace cpp tongban.idl.tax

// One taxpayer's clearance. Member names are the upstream field names an adapter maps.
struct ClearanceRecord {
  1: required string taxpayer_id,    // unified social credit code or citizen id
  2: required string taxpayer_name,
  3: required string clearance,      // "cleared", "arrears", "unknown"
  4: optional string arrears_amount, // decimal text, yuan
  5: optional string checked_on,     // YYYY-MM-DD
  6: optional string tax_office,
}

exception NoSuchTaxpayer {
  1: string message,
}

exception UpstreamFailure {
  1: i32 code,
  2: string message,
}

service TaxClearance {
  ClearanceRecord getClearance(1: string taxpayer_id)
      throws (1: NoSuchTaxpayer missing, 2: UpstreamFailure failure),
}
