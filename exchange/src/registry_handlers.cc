#include "registry_handlers.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "tongban/common/identifiers.h"

namespace tongban::exchange {

namespace {

using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

void field(JsonWriter& w, const char* key, const pqxx::field& f) {
  w.Key(key);
  if (f.is_null()) {
    w.Null();
  } else {
    w.String(f.c_str(), static_cast<rapidjson::SizeType>(f.size()));
  }
}

void field(JsonWriter& w, const char* key, const std::string& v) {
  w.Key(key);
  w.String(v.c_str(), static_cast<rapidjson::SizeType>(v.size()));
}

Result<HttpResponse> getPerson(db::ConnectionPool& pool, HttpRequest& req) {
  auto id = ids::normalizeCitizenId(req.params[0], "citizen_id");
  if (!id) return id.status();
  return db::withConnection(pool, [&](pqxx::connection& c) -> Result<HttpResponse> {
    pqxx::nontransaction tx(c);
    pqxx::result r = tx.exec_prepared("registry_person", *id);
    if (r.empty()) return Status::notFound("no person with citizen id " + *id);
    const auto& row = r[0];
    rapidjson::StringBuffer buf;
    JsonWriter w(buf);
    w.StartObject();
    field(w, "citizen_id", row[0]);
    field(w, "name", row[1]);
    field(w, "sex", row[2]);
    field(w, "birth_date", row[3]);
    field(w, "ethnicity", row[4]);
    field(w, "region_code", row[5]);
    field(w, "region_name", ids::regionName(row[5].c_str()));
    field(w, "address", row[6]);
    field(w, "status", row[7]);
    field(w, "updated_at", row[8]);
    w.EndObject();
    return HttpResponse::json(std::string(buf.GetString(), buf.GetSize()));
  });
}

Result<HttpResponse> getEntity(db::ConnectionPool& pool, HttpRequest& req) {
  auto code = ids::normalizeCreditCode(req.params[0], "credit_code");
  if (!code) return code.status();
  return db::withConnection(pool, [&](pqxx::connection& c) -> Result<HttpResponse> {
    pqxx::nontransaction tx(c);
    pqxx::result r = tx.exec_prepared("registry_entity", *code);
    if (r.empty()) return Status::notFound("no legal entity with credit code " + *code);
    const auto& row = r[0];
    rapidjson::StringBuffer buf;
    JsonWriter w(buf);
    w.StartObject();
    field(w, "credit_code", row[0]);
    field(w, "name", row[1]);
    field(w, "entity_type", row[2]);
    w.Key("legal_representative");
    w.StartObject();
    field(w, "citizen_id", row[3]);
    w.EndObject();
    field(w, "registered_capital", row[4]);  // decimal string, CNY: exact, unlike a double
    w.Key("currency");
    w.String("CNY");
    field(w, "established_on", row[5]);
    field(w, "region_code", row[6]);
    field(w, "region_name", ids::regionName(row[6].c_str()));
    field(w, "address", row[7]);
    field(w, "status", row[8]);
    field(w, "business_scope", row[9]);
    field(w, "updated_at", row[10]);
    w.EndObject();
    return HttpResponse::json(std::string(buf.GetString(), buf.GetSize()));
  });
}

}  // namespace

void prepareRegistryStatements(pqxx::connection& conn) {
  conn.prepare("registry_person",
               "SELECT citizen_id, name, sex, birth_date::text, ethnicity, region_code, address, "
               "status, to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') "
               "FROM population.persons WHERE citizen_id = $1");
  conn.prepare("registry_entity",
               "SELECT credit_code, name, entity_type, legal_rep_citizen_id, "
               "registered_capital::text, established_on::text, region_code, address, status, "
               "business_scope, "
               "to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') "
               "FROM legal_entity.entities WHERE credit_code = $1");
}

void addRegistryRoutes(Router& router, db::ConnectionPool& pool) {
  router.add("GET", "/v1/registry/persons/{citizen_id}",
             [&pool](HttpRequest& req) { return getPerson(pool, req); });
  router.add("GET", "/v1/registry/entities/{credit_code}",
             [&pool](HttpRequest& req) { return getEntity(pool, req); });
}

}  // namespace tongban::exchange
