#include "tongban/exchange/nonce_store.h"

namespace tongban::exchange {

PgNonceStore::PgNonceStore(db::ConnectionPool& pool) : pool_(pool) {}

Result<bool> PgNonceStore::claim(const std::string& key_id, const std::string& nonce,
                                 int64_t expires_at, int64_t now) {
  return db::withConnection(pool_, [&](pqxx::connection& conn) -> Result<bool> {
    // One autocommit statement: the table is unlogged, so the commit waits for no WAL flush. An
    // existing row blocks the insert unless its window is over (then it is renewed).
    pqxx::nontransaction tx(conn);
    auto r = tx.exec_params(
        "INSERT INTO exchange.request_nonces AS n (key_id, nonce, expires_at) "
        "VALUES ($1, $2, $3) ON CONFLICT (key_id, nonce) DO UPDATE "
        "SET expires_at = EXCLUDED.expires_at WHERE n.expires_at < $4",
        key_id, nonce, expires_at, now);
    return r.affected_rows() == 1;
  });
}

Result<int64_t> PgNonceStore::purgeExpired(int64_t now) {
  return db::withConnection(pool_, [&](pqxx::connection& conn) -> Result<int64_t> {
    pqxx::nontransaction tx(conn);
    auto r = tx.exec_params("DELETE FROM exchange.request_nonces WHERE expires_at < $1", now);
    return static_cast<int64_t>(r.affected_rows());
  });
}

}  // namespace tongban::exchange
