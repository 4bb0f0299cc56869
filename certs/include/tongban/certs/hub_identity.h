// The hub's own keys as the certificate registries need them: the CA that issues seal
// certificates, the chain up to the root, and the signer of seal records and tree heads.
//
// Layout (hub_pki.h, docs/certificates.md "Key roles"): an offline ECDSA P-256 root; a seal CA
// (intermediate, EKU seal) that issues seal certificates of either algorithm; log and status
// signers issued by the root with their own roles. The root's private key is never here.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "tongban/certs/openssl_handles.h"
#include "tongban/certs/signer.h"

namespace tongban::certs {

struct HubIdentity {
  EvpPkeyPtr ca_key;       // private key of the seal-issuing CA (PemKeyStore::loadPrivateKey)
  X509Ptr ca_certificate;  // its certificate (EKU seal)
  // PEM certificates from the issuing CA up to and including the root, issuing CA first. Bundles
  // carry this list as `chain`; verifiers still trust only the root they were given.
  std::vector<std::string> chain_pem;
  // Signs seal records and signed tree heads (role transparency log).
  std::shared_ptr<const Signer> hub_signer;
  // Signs the status statements in bundles (role status). Bundles cannot be made without it.
  std::shared_ptr<const Signer> status_signer;
  // Signs the Merkle roots of verification receipts (role verification receipt; docs/receipts.md).
  // Null for a PKI directory made before that role existed.
  std::shared_ptr<const Signer> verification_signer;
};

}  // namespace tongban::certs
