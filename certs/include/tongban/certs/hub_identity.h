// The hub's own keys as the certificate registries need them: the CA that issues seal
// certificates, the chain up to the root, and the signer of seal records and tree heads.
//
// Recommended layout (docs/transparency-log.md): an ECDSA P-256 root, optionally an ECDSA
// intermediate as the issuing CA, seal certificates of either algorithm. The hub signer's
// certificate is issued by the same CA, so one chain serves every signature in a bundle.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "tongban/certs/openssl_handles.h"
#include "tongban/certs/signer.h"

namespace tongban::certs {

struct HubIdentity {
  EvpPkeyPtr ca_key;       // private key of the issuing CA (PemKeyStore::loadPrivateKey)
  X509Ptr ca_certificate;  // its certificate
  // PEM certificates from the issuing CA up to and including the root, issuing CA first. Bundles
  // carry this list as `chain`; verifiers still trust only the root they were given.
  std::vector<std::string> chain_pem;
  // Signs seal records and signed tree heads; its certificate is issued by the CA above.
  std::shared_ptr<const Signer> hub_signer;
};

}  // namespace tongban::certs
