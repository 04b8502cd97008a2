"""A tiny real job for the demo: count words in an S3 text object and write the top words to S3.

Run by the emulator's local mode as a command-runner step (`python3 wordcount.py SRC DST`), with
AWS_ENDPOINT_URL pointing at the emulator, so `make demo` shows real work and not only state changes.
Standard library only (S3 over HTTP with a SigV4 signature): the emulator runs local steps as an
unprivileged user with the system's python3, as an EMR node would, which has no boto3.
"""

from __future__ import annotations

import collections
import datetime as dt
import hashlib
import hmac
import os
import re
import sys
import urllib.parse
import urllib.request


def split_s3(uri: str) -> tuple[str, str]:
    if not uri.startswith("s3://"):
        raise SystemExit(f"expected an s3:// URI, got {uri!r}")
    bucket, _, key = uri[5:].partition("/")
    return bucket, key


def _sign(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def s3_request(method: str, bucket: str, key: str, body: bytes = b"") -> bytes:
    """One path-style S3 request to AWS_ENDPOINT_URL, signed with SigV4 from the environment's keys."""
    endpoint = os.environ["AWS_ENDPOINT_URL"].rstrip("/")
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
    access, secret = os.environ["AWS_ACCESS_KEY_ID"], os.environ["AWS_SECRET_ACCESS_KEY"]
    host = urllib.parse.urlsplit(endpoint).netloc
    path = "/" + urllib.parse.quote(f"{bucket}/{key}")
    now = dt.datetime.now(dt.UTC)
    amz_date, day = now.strftime("%Y%m%dT%H%M%SZ"), now.strftime("%Y%m%d")
    payload = hashlib.sha256(body).hexdigest()
    headers = {"host": host, "x-amz-content-sha256": payload, "x-amz-date": amz_date}
    if body:  # urllib's default for a body is a form content type, which servers may parse away
        headers["content-type"] = "application/octet-stream"
    if os.environ.get("AWS_SESSION_TOKEN"):
        headers["x-amz-security-token"] = os.environ["AWS_SESSION_TOKEN"]
    signed = ";".join(sorted(headers))
    canonical = "\n".join(
        [method, path, "", *(f"{k}:{headers[k]}" for k in sorted(headers)), "", signed, payload]
    )
    scope = f"{day}/{region}/s3/aws4_request"
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    signing_key = _sign(_sign(_sign(_sign(f"AWS4{secret}".encode(), day), region), "s3"), "aws4_request")
    signature = hmac.new(signing_key, to_sign.encode(), hashlib.sha256).hexdigest()
    headers["authorization"] = (
        f"AWS4-HMAC-SHA256 Credential={access}/{scope}, SignedHeaders={signed}, Signature={signature}"
    )
    request = urllib.request.Request(endpoint + path, data=body or None, method=method, headers=headers)
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.read()


def main(src: str, dst: str, top: int = 10) -> None:
    bucket, key = split_s3(src)
    text = s3_request("GET", bucket, key).decode()
    counts = collections.Counter(re.findall(r"[a-z']+", text.lower()))
    lines = [f"{word}\t{count}" for word, count in counts.most_common(top)]
    out_bucket, out_key = split_s3(dst)
    s3_request("PUT", out_bucket, out_key, ("\n".join(lines) + "\n").encode())
    print(f"counted {sum(counts.values())} words ({len(counts)} distinct) from {src}; top {top} -> {dst}")
    for line in lines:
        print(line)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
