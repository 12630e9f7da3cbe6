#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Copy a running JVM's gHotSpotVM* tables into a self-contained memory image, the input format
of fuzz/fuzz_hs_vmstructs.c and tests/unit/test_hs_vmstructs.c:

    tests/data/hotspot/vmstructs_image.py PID fuzz/corpus/hs_vmstructs/jdkN.bin   (as root)

The image is the memory at address BASE: first one 8-byte word per symbol of
src/hotspot/hs_procs.c's list (a table's base pointer, then its stride and field offsets), then
the tables, their names, and the few static variables the parser reads (the JDK version), every
pointer rewritten to point into the image. Standard library only."""
import struct
import subprocess
import sys

BASE = 0x10000000
SYMS = ["gHotSpotVMStructs", "gHotSpotVMStructEntryArrayStride",
        "gHotSpotVMStructEntryTypeNameOffset", "gHotSpotVMStructEntryFieldNameOffset",
        "gHotSpotVMStructEntryTypeStringOffset", "gHotSpotVMStructEntryOffsetOffset",
        "gHotSpotVMStructEntryAddressOffset",
        "gHotSpotVMTypes", "gHotSpotVMTypeEntryArrayStride", "gHotSpotVMTypeEntryTypeNameOffset",
        "gHotSpotVMTypeEntrySizeOffset",
        "gHotSpotVMIntConstants", "gHotSpotVMIntConstantEntryArrayStride",
        "gHotSpotVMIntConstantEntryNameOffset", "gHotSpotVMIntConstantEntryValueOffset",
        "gHotSpotVMLongConstants", "gHotSpotVMLongConstantEntryArrayStride",
        "gHotSpotVMLongConstantEntryNameOffset", "gHotSpotVMLongConstantEntryValueOffset"]
VERSION = ("_vm_major_version", "_vm_minor_version", "_vm_security_version")


def main():
    pid, out = int(sys.argv[1]), sys.argv[2]
    lib = bias = None
    for line in open("/proc/%d/maps" % pid):
        f = line.split()
        if len(f) >= 6 and f[5].endswith("/libjvm.so") and int(f[2], 16) == 0:
            lib, bias = f[5], int(f[0].split("-")[0], 16)
            break
    syms = {}
    for line in subprocess.run(["nm", "-D", lib], capture_output=True, text=True).stdout.split("\n"):
        f = line.split()
        if len(f) == 3:
            syms[f[2].split("@")[0]] = int(f[0], 16) + bias
    mem = open("/proc/%d/mem" % pid, "rb", buffering=0)

    def read(addr, n):
        mem.seek(addr)
        return mem.read(n)

    def u64(addr):
        return struct.unpack("<Q", read(addr, 8))[0]

    def cstr(addr):
        data = read(addr, 256)
        return data[:data.index(b"\0") + 1]

    words = [u64(syms[s]) for s in SYMS]
    image = bytearray(8 * len(SYMS))
    strings = {}

    def place(data):
        off = len(image)
        image.extend(data + b"\0" * (-len(data) % 8))
        return BASE + off

    def string(addr):
        if not addr:
            return 0
        s = cstr(addr)
        if s not in strings:
            strings[s] = place(s)
        return strings[s]

    def table(index, ptr_fields, version=False):
        base, stride = words[index], words[index + 1]
        offs = [words[index + 2 + k] for k in range(ptr_fields)]
        entries = []
        while True:
            e = bytearray(read(base + len(entries) * stride, stride))
            entries.append(e)
            if struct.unpack_from("<Q", e, offs[0])[0] == 0:
                break
        at = place(b"\0" * (stride * len(entries)))
        for k, e in enumerate(entries):
            names = []
            for off in offs:
                p = struct.unpack_from("<Q", e, off)[0]
                names.append(cstr(p) if p else b"")
                struct.pack_into("<Q", e, off, string(p))
            if version and names[1].rstrip(b"\0").decode() in VERSION:
                aoff = words[index + 6]
                static = struct.unpack_from("<Q", e, aoff)[0]
                struct.pack_into("<Q", e, aoff, place(read(static, 8)))
            image[at - BASE + k * stride:at - BASE + (k + 1) * stride] = e
        words[index] = at

    table(0, 3, version=True)  # type name, field name, type string; statics: the version
    table(7, 1)
    table(11, 1)
    table(15, 1)
    struct.pack_into("<%dQ" % len(words), image, 0, *words)
    with open(out, "wb") as f:
        f.write(image)
    print("%s: %d bytes from %s" % (out, len(image), lib))


if __name__ == "__main__":
    main()
