#!/usr/bin/python3
"""Calls the exchange's verification Thrift service with the Python code `thrift --gen py`
generated from idl/verification.thrift and Debian's python3-thrift: proof that the IDL is usable
without our C++ client.

usage: thrift_client.py GEN_PY_DIR PORT KEY_ID SECRET MATTER SUBJECT...
Prints one line per answer, "<verdict> <reason>", then "as_of <certs_seq> <stale>".
Exit 0 on answers, 2 on a typed error (printed), 1 on anything else.
"""
import hashlib
import hmac
import secrets
import sys
import time

sys.path.insert(0, sys.argv[1])

from thrift.protocol import TBinaryProtocol  # noqa: E402
from thrift.transport import TSocket, TTransport  # noqa: E402
from thrift.TSerialization import serialize  # noqa: E402
from tongban_verification import Verification  # noqa: E402
from tongban_verification.ttypes import (  # noqa: E402
    Check, CheckBatch, SignedBatch, Verdict, Forbidden, InvalidRequest, Unauthenticated)


def authorization(key_id, secret, body):
    # docs/request-signing.md: nine lines; for Thrift method THRIFT, empty host, path
    # verifyBatch, empty query, no Idempotency-Key, body = the serialized CheckBatch.
    timestamp = str(int(time.time()))
    nonce = secrets.token_hex(16)
    lines = ["TB1-HMAC-SHA256", "THRIFT", "", "verifyBatch", "", timestamp, nonce, "",
             hashlib.sha256(body).hexdigest()]
    signature = hmac.new(secret.encode(), "\n".join(lines).encode(), hashlib.sha256).hexdigest()
    return ("TB1-HMAC-SHA256 Credential=%s, Timestamp=%s, Nonce=%s, Signature=%s"
            % (key_id, timestamp, nonce, signature))


def main():
    port, key_id, secret, matter = int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
    checks = [Check(kind="person_alive", subject=s) for s in sys.argv[6:]]
    body = serialize(CheckBatch(matter_code=matter, case_id="PY-1", checks=checks),
                     TBinaryProtocol.TBinaryProtocolFactory())
    socket = TSocket.TSocket("127.0.0.1", port)
    socket.setTimeout(10000)
    transport = TTransport.TFramedTransport(socket)
    client = Verification.Client(TBinaryProtocol.TBinaryProtocol(transport))
    transport.open()
    try:
        result = client.verifyBatch(SignedBatch(authorization=authorization(key_id, secret, body),
                                                batch=body))
    except (Forbidden, InvalidRequest, Unauthenticated) as e:
        print(type(e).__name__, getattr(e, "field", ""), e.message)
        return 2
    finally:
        transport.close()
    for a in result.answers:
        print(Verdict._VALUES_TO_NAMES[a.verdict], a.reason)
    print("as_of", result.as_of.certs_seq, result.as_of.stale)
    return 0


if __name__ == "__main__":
    sys.exit(main())
