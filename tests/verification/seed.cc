#include "verification/seed.h"

#include <cstdio>

#include "tongban/common/identifiers.h"

namespace tongban::verification::testing {

std::string creditCode(const std::string& region, uint32_t number) {
  char org[16];
  std::snprintf(org, sizeof org, "%08u", number);
  std::string code = "91" + region + org;
  code += ids::organizationCodeCheckChar(org);
  code += ids::creditCodeCheckChar(code);
  return code;
}

std::string citizenId(const std::string& region, const std::string& birth, uint32_t order) {
  char o[8];
  std::snprintf(o, sizeof o, "%03u", order);
  std::string id = region + birth + o;
  id += ids::citizenIdCheckChar(id);
  return id;
}

std::string certificateId(const std::string& type, const std::string& issuer,
                          const std::string& serial, int version) {
  char v[8];
  std::snprintf(v, sizeof v, "%03d", version);
  return "1.2.156.3005.2." + type + "." + issuer + "." + serial + "." + v + "." +
         ids::mod3736CheckChar(type + issuer + serial + v);
}

void Seeder::exec(const std::string& sql) {
  pqxx::work tx(conn_);
  tx.exec(sql);
  tx.commit();
}

void Seeder::continueAfterExisting() {
  pqxx::work tx(conn_);
  const auto r = tx.exec1(
      "SELECT (SELECT count(*) FROM certs.seals)::int, "
      "(SELECT coalesce(max(leaf_index) + 1, 0) FROM certs.log_leaves)::bigint, "
      "(SELECT coalesce(max(serial::bigint) + 1, 2026000001) FROM certs.certificates)::bigint");
  seals_ = r[0].as<int>();
  next_leaf_ = r[1].as<uint64_t>();
  next_serial_ = r[2].as<uint64_t>();
}

void Seeder::department(const std::string& code, const std::string& region) {
  pqxx::work tx(conn_);
  tx.exec_params(
      "INSERT INTO directory.departments (code, name, region_code, created_by) "
      "VALUES ($1, $2, $3, 'test')",
      code, "部门" + code, region);
  tx.commit();
}

std::string Seeder::seal(const std::string& owner, const std::string& status) {
  char n[8];
  std::snprintf(n, sizeof n, "%06d", ++seals_);
  const std::string id = "ES" + owner + n;
  pqxx::work tx(conn_);
  tx.exec_params(
      "INSERT INTO certs.seals (seal_id, owner_code, name, kind, picture_png, picture_width_mm, "
      "picture_height_mm, signer_certificate, key_id, algorithm, valid_from, valid_to, status, "
      "record, hub_signature, hub_algorithm, created_by) VALUES ($1, $2, '证照专用章', "
      "'certificate', decode(repeat('00', 40), 'hex'), 40, 40, "
      "'-----BEGIN CERTIFICATE-----', $1, 'ECDSA-P256-SHA256', now() - interval '1 year', "
      "now() + interval '10 years', $3, '\\x00', '\\x00', 'ECDSA-P256-SHA256', 'test')",
      id, owner, status);
  tx.commit();
  return id;
}

void Seeder::person(const std::string& id, const std::string& region, const std::string& status) {
  pqxx::work tx(conn_);
  const std::string birth = id.substr(6, 4) + "-" + id.substr(10, 2) + "-" + id.substr(12, 2);
  tx.exec_params(
      "INSERT INTO population.persons (citizen_id, name, sex, birth_date, region_code, address, "
      "status) VALUES ($1, '张三', $2, $3::date, $4, '地址', $5)",
      id, std::string(1, ids::citizenIdSex(id)), birth, region, status);
  tx.commit();
}

void Seeder::entity(const std::string& code, const std::string& rep, const std::string& status) {
  pqxx::work tx(conn_);
  tx.exec_params(
      "INSERT INTO legal_entity.entities (credit_code, name, entity_type, legal_rep_citizen_id, "
      "established_on, region_code, address, status, business_scope) VALUES ($1, '某某公司', "
      "'llc', $2, DATE '2010-01-01', $3, '地址', $4, '经营')",
      code, rep, code.substr(2, 6), status);
  tx.commit();
}

std::string Seeder::certificate(const std::string& type, const std::string& issuer,
                                const std::string& seal, const std::string& holder,
                                const std::string& valid_from, const std::string& valid_to,
                                const std::string& status) {
  const std::string serial = std::to_string(next_serial_++);
  const std::string id = certificateId(type, issuer, serial);
  const uint64_t leaf = next_leaf_++;
  pqxx::work tx(conn_);
  tx.exec_params(
      "INSERT INTO certs.log_leaves (leaf_index, leaf_hash, leaf_data) "
      "VALUES ($1, decode(repeat('00', 32), 'hex'), '\\x00')",
      leaf);
  tx.exec_params(
      "INSERT INTO certs.certificates (certificate_id, type_code, issuer_code, serial, version, "
      "number, holder_name, holder_code, holder_code_type, surface, payload, signature, algorithm, "
      "seal_id, issued_at, issue_date, valid_from, valid_to, status, status_changed_at, "
      "idempotency_key, request_digest, log_index) VALUES ($1, $2, $3, $4, 1, $4, '持证人', $5, "
      "$6, '{}', '\\x00', '\\x00', 'ECDSA-P256-SHA256', $7, now(), current_date, $8::date, "
      "NULLIF($9, '')::date, $10, now(), $1, decode(repeat('00', 32), 'hex'), $11)",
      id, type, issuer, serial, holder, holder.size() == 18 && holder[0] == '9' ? "001" : "111",
      seal, valid_from, valid_to, status, leaf);
  tx.exec_params(
      "INSERT INTO certs.changes (certificate_id, event, status, type_code, issuer_code, "
      "holder_code_type, holder_code, valid_from, valid_to, open_objections) "
      "SELECT certificate_id, 'issue', status, type_code, issuer_code, holder_code_type, "
      "holder_code, valid_from, valid_to, open_objections FROM certs.certificates "
      "WHERE certificate_id = $1",
      id);
  tx.commit();
  return id;
}

void Seeder::setStatus(const std::string& certificate_id, const std::string& status) {
  pqxx::work tx(conn_);
  tx.exec_params(
      "UPDATE certs.certificates SET status = $2, status_changed_at = now() "
      "WHERE certificate_id = $1",
      certificate_id, status);
  tx.exec_params(
      "INSERT INTO certs.changes (certificate_id, event, status, type_code, issuer_code, "
      "holder_code_type, holder_code, valid_from, valid_to, open_objections) "
      "SELECT certificate_id, 'revoke', status, type_code, issuer_code, holder_code_type, "
      "holder_code, valid_from, valid_to, open_objections FROM certs.certificates "
      "WHERE certificate_id = $1",
      certificate_id);
  tx.commit();
}

}  // namespace tongban::verification::testing
