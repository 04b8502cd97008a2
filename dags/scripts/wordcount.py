"""A tiny real job for the demo: count words in an S3 text object and write the top words to S3.

Run by the emulator's local mode as a command-runner step (`python3 wordcount.py SRC DST`), with
AWS_ENDPOINT_URL pointing at the emulator, so `make demo` shows real work and not only state changes.
"""

from __future__ import annotations

import collections
import re
import sys

import boto3


def split_s3(uri: str) -> tuple[str, str]:
    if not uri.startswith("s3://"):
        raise SystemExit(f"expected an s3:// URI, got {uri!r}")
    bucket, _, key = uri[5:].partition("/")
    return bucket, key


def main(src: str, dst: str, top: int = 10) -> None:
    s3 = boto3.client("s3")
    bucket, key = split_s3(src)
    text = s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode()
    counts = collections.Counter(re.findall(r"[a-z']+", text.lower()))
    lines = [f"{word}\t{count}" for word, count in counts.most_common(top)]
    out_bucket, out_key = split_s3(dst)
    s3.put_object(Bucket=out_bucket, Key=out_key, Body=("\n".join(lines) + "\n").encode())
    print(f"counted {sum(counts.values())} words ({len(counts)} distinct) from {src}; top {top} -> {dst}")
    for line in lines:
        print(line)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
