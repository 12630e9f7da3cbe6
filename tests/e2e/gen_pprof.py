#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Write pprof files for the report memory tests, with a hand-rolled protobuf encoder (no
dependency beyond the standard library).

  gen_pprof.py bomb OUT.pb.gz [N]    N empty Sample messages (2 bytes each on the wire, 50M by
                                     default: ~100 KB of gzip that unpacks into gigabytes)
  gen_pprof.py stacks OUT.pb.gz [N]  a legitimate CPU profile with N distinct stacks (100000 by
                                     default), 8-40 frames deep over 5000 functions, pid/comm
                                     labels, two value columns
"""
import gzip
import random
import sys


def varint(n):
    out = bytearray()
    n &= (1 << 64) - 1
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def field_varint(num, n):
    return varint(num << 3) + varint(n)


def field_bytes(num, data):
    return varint(num << 3 | 2) + varint(len(data)) + data


def packed(num, values):
    return field_bytes(num, b"".join(varint(v) for v in values))


def bomb(n):
    # string_table [""] then n empty samples: valid wire format, invalid profile (no values)
    return field_bytes(6, b"") + field_bytes(2, b"") * n


def stacks(n):
    rnd = random.Random(1)
    strs = [""]
    index = {}

    def s(text):
        if text not in index:
            index[text] = len(strs)
            strs.append(text)
        return index[text]

    out = bytearray()
    out += field_bytes(1, field_varint(1, s("samples")) + field_varint(2, s("count")))
    out += field_bytes(1, field_varint(1, s("cpu")) + field_varint(2, s("nanoseconds")))
    out += field_bytes(3, field_varint(1, 1) + field_varint(2, 0x400000) +
                       field_varint(3, 0x800000) + field_varint(5, s("/usr/bin/app")))
    nr_funcs = 5000
    for f in range(1, nr_funcs + 1):
        out += field_bytes(5, field_varint(1, f) + field_varint(2, s("func_%d" % f)))
        line = field_bytes(4, field_varint(1, f) + field_varint(2, f % 900 + 1))
        out += field_bytes(4, field_varint(1, f) + field_varint(2, 1) +
                           field_varint(3, 0x400000 + 16 * f) + line)
    for i in range(n):
        depth = rnd.randint(8, 40)
        locs = [rnd.randint(1, nr_funcs) for _ in range(depth)]
        locs[0] = i % nr_funcs + 1
        labels = field_bytes(3, field_varint(1, s("pid")) + field_varint(2, s(str(1000 + i % 50))))
        labels += field_bytes(3, field_varint(1, s("comm")) + field_varint(2, s("app%d" % (i % 50))))
        count = rnd.randint(1, 20)
        out += field_bytes(2, packed(1, locs) + packed(2, [count, count * 10101010]) + labels)
    out += b"".join(field_bytes(6, t.encode()) for t in strs)
    out += field_bytes(11, field_varint(1, s("cpu")) + field_varint(2, s("nanoseconds")))
    out += field_varint(12, 10101010)
    return bytes(out)


def main():
    kind, path = sys.argv[1], sys.argv[2]
    n = int(sys.argv[3]) if len(sys.argv) > 3 else None
    raw = bomb(n or 50_000_000) if kind == "bomb" else stacks(n or 100_000)
    with open(path, "wb") as f:
        f.write(gzip.compress(raw, 9))


if __name__ == "__main__":
    main()
