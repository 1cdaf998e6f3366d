#!/usr/bin/python3
"""Reads a delivery status notification (RFC 3464 multipart/report) on stdin with Python's standard `email`
package, an implementation that shares no code with @cartero/mime, and prints what it found as JSON:

  {"content_type", "report_type", "parts": [content types, in order], "defects": [every defect found],
   "message": {per-message fields}, "recipients": [{per-recipient fields}], "returned": {"type", "subject"}}

Field names are lower-cased. Exit status 0 whatever the input; a message that is not a report gives empty fields.
"""
import json
import sys
from email import message_from_bytes, policy


def fields(block):
    return {k.lower(): str(v) for k, v in block.items()}


def main():
    msg = message_from_bytes(sys.stdin.buffer.read(), policy=policy.compat32)
    out = {
        "content_type": msg.get_content_type(),
        "report_type": msg.get_param("report-type"),
        "parts": [],
        "defects": [],
        "message": {},
        "recipients": [],
        "returned": None,
    }
    for part in msg.walk():
        out["defects"].extend(type(d).__name__ for d in part.defects)
    if not msg.is_multipart():
        print(json.dumps(out))
        return
    for part in msg.get_payload():
        ctype = part.get_content_type()
        out["parts"].append(ctype)
        if ctype == "message/delivery-status":
            blocks = part.get_payload()
            if blocks:
                out["message"] = fields(blocks[0])
                out["recipients"] = [fields(b) for b in blocks[1:]]
        elif ctype == "message/rfc822":
            inner = part.get_payload()[0]
            out["returned"] = {"type": ctype, "subject": inner.get("Subject"), "has_body": bool(inner.get_payload())}
        elif ctype == "text/rfc822-headers":
            headers = message_from_bytes(part.get_payload(decode=True) or b"", policy=policy.compat32)
            out["returned"] = {"type": ctype, "subject": headers.get("Subject"), "has_body": False}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
