"""Verifies every DKIM-Signature of a message with dkimpy (an independent implementation), without DNS.

usage: dkimpy_verify.py MESSAGE_FILE RECORDS_JSON
RECORDS_JSON maps record names ("s1._domainkey.example.test") to their TXT text. Prints one JSON list with, for each
signature top first, {"selector", "domain", "algorithm", "ok", "error"}.
"""
import json
import sys

import dkim


def main() -> None:
    with open(sys.argv[1], "rb") as f:
        message = f.read()
    with open(sys.argv[2], "r", encoding="utf-8") as f:
        records = {name.lower().rstrip("."): text.encode("ascii") for name, text in json.load(f).items()}

    def dnsfunc(name, timeout=5):
        return records.get(name.decode("ascii").lower().rstrip("."))

    verifier = dkim.DKIM(message, minkey=1024)
    count = sum(1 for (name, _) in verifier.headers if name.lower() == b"dkim-signature")
    out = []
    for index in range(count):
        error = None
        try:
            ok = bool(verifier.verify(idx=index, dnsfunc=dnsfunc))
        except dkim.DKIMException as e:
            ok, error = False, str(e)
        sig = verifier.signature_fields or {}
        out.append({
            "selector": sig.get(b"s", b"").decode(),
            "domain": sig.get(b"d", b"").decode(),
            "algorithm": sig.get(b"a", b"").decode(),
            "ok": ok,
            "error": error,
        })
    print(json.dumps(out))


main()
