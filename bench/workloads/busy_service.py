# SPDX-License-Identifier: MIT
"""A Python service for the busy-host figure: requests of mixed work (JSON, regular expressions,
compression, hashing, sorting) at about half a core's duty cycle, forever."""
import hashlib
import json
import random
import re
import time
import zlib

WORD = re.compile(r"[a-z]+[0-9]*")


def request(rng):
    doc = {"k%d" % i: [i, str(rng.random()), {"x": i * 3, "tags": ["a", "b", str(i)]}]
           for i in range(rng.randrange(200, 400))}
    text = json.dumps(doc, sort_keys=True)
    back = json.loads(text)
    words = WORD.findall(text)
    blob = zlib.compress(text.encode(), 6)
    digest = hashlib.sha256(blob).hexdigest()
    order = sorted(back.items(), key=lambda kv: (len(kv[1][1]), kv[0][::-1]))
    return len(words) + len(order) + len(digest)


def main():
    rng = random.Random(1)
    while True:
        t0 = time.monotonic()
        request(rng)
        time.sleep(max(0.005, time.monotonic() - t0))


if __name__ == "__main__":
    main()
