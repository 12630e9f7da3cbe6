#!/usr/bin/python3
"""Independent reader of OTLP profiles requests, for flamed's tests.

Decodes an ExportProfilesServiceRequest with python3-protobuf modules that protoc generates from
the official .proto files (proto/opentelemetry/, unmodified upstream copies), checks what the
specification asks of the dictionary and the messages, and summarises the request:

  otlp_check.py [--pb DIR] [--json] [--expect JSON|@FILE] REQUEST...

Checks (each violation printed, exit 1):
  - every dictionary table has its zero value at index 0 (string_table[0] == "", Mapping{},
    Location{}, Function{}, KeyValueAndUnit{}, Stack{}, a Link of zero bytes);
  - no table holds two equal entries, and every entry but index 0 is referenced (no orphans);
  - every index is in range; attribute_indices of one message have unique keys; resource
    attribute keys are unique; samples carry one value per profile (one sample type each).
The summary (--json) gives the resources' attributes, the table sizes and, per profile, the
sample type, period, time and the total; --expect compares it with a JSON subset (lists compared
by their sorted JSON, dicts key by key). Run with Debian's /usr/bin/python3 (python3-protobuf).
"""
import argparse
import collections
import gzip
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
PROTO_ROOT = os.path.normpath(os.path.join(HERE, "..", "..", "proto"))
PROTOS = [
    "opentelemetry/proto/common/v1/common.proto",
    "opentelemetry/proto/resource/v1/resource.proto",
    "opentelemetry/proto/profiles/v1development/profiles.proto",
    "opentelemetry/proto/collector/profiles/v1development/profiles_service.proto",
]


def load_modules(pb_dir=None):
    """The generated request/response classes (protoc --python_out into pb_dir, or a temp dir)."""
    if not pb_dir:
        pb_dir = tempfile.mkdtemp(prefix="flamed-otlp-pb.")
    marker = os.path.join(pb_dir, "opentelemetry", "proto", "collector", "profiles",
                          "v1development", "profiles_service_pb2.py")
    os.makedirs(pb_dir, exist_ok=True)
    if not os.path.exists(marker):
        subprocess.run(["protoc", "--python_out=" + pb_dir, "-I", PROTO_ROOT] +
                       [os.path.join(PROTO_ROOT, p) for p in PROTOS], check=True)
    if pb_dir not in sys.path:
        sys.path.insert(0, pb_dir)
    from opentelemetry.proto.collector.profiles.v1development import profiles_service_pb2
    return profiles_service_pb2


def any_value(v):
    kind = v.WhichOneof("value")
    return None if kind is None else getattr(v, kind)


class Checker:
    def __init__(self, req):
        self.req = req
        self.d = req.dictionary
        self.errors = []

    def err(self, msg):
        self.errors.append(msg)

    def check_zero(self):
        d = self.d
        tables = {
            "string_table": d.string_table, "mapping_table": d.mapping_table,
            "location_table": d.location_table, "function_table": d.function_table,
            "link_table": d.link_table, "attribute_table": d.attribute_table,
            "stack_table": d.stack_table,
        }
        for name, t in tables.items():
            if not len(t):
                self.err("%s is empty: index 0 must be present" % name)
                continue
            zero = t[0]
            if name == "string_table":
                ok = zero == ""
            elif name == "link_table":
                ok = not any(zero.trace_id) and not any(zero.span_id)
            else:
                ok = zero.ByteSize() == 0
            if not ok:
                self.err("%s[0] is not the zero value: %r" % (name, zero))

    def check_duplicates(self):
        d = self.d
        for name in ("mapping_table", "location_table", "function_table", "attribute_table",
                     "stack_table", "link_table"):
            seen = {}
            for i, m in enumerate(getattr(d, name)):
                key = m.SerializeToString(deterministic=True)
                if key in seen:
                    self.err("%s[%d] duplicates [%d]" % (name, i, seen[key]))
                seen[key] = i
        seen = {}
        for i, s in enumerate(d.string_table):
            if s in seen:
                self.err("string_table[%d] %r duplicates [%d]" % (i, s, seen[s]))
            seen[s] = i

    def idx(self, table, i, what):
        n = len(getattr(self.d, table))
        if i < 0 or i >= n:
            self.err("%s: index %d out of range of %s (%d)" % (what, i, table, n))
            return False
        self.refs[table].add(i)
        return True

    def attrs(self, indices, what):
        keys = set()
        for a in indices:
            if not self.idx("attribute_table", a, what):
                continue
            kv = self.d.attribute_table[a]
            self.idx("string_table", kv.key_strindex, what + " attribute key")
            self.idx("string_table", kv.unit_strindex, what + " attribute unit")
            key = self.d.string_table[kv.key_strindex] if kv.key_strindex < len(
                self.d.string_table) else None
            if key in keys:
                self.err("%s: attribute key %r twice" % (what, key))
            keys.add(key)

    def check_references(self):
        d = self.d
        self.refs = collections.defaultdict(set)
        for r, rp in enumerate(self.req.resource_profiles):
            keys = [kv.key for kv in rp.resource.attributes]
            if len(keys) != len(set(keys)):
                self.err("resource %d: duplicate attribute keys %s" % (r, keys))
            for sp in rp.scope_profiles:
                for p in sp.profiles:
                    what = "resource %d profile" % r
                    for vt in (p.sample_type, p.period_type):
                        self.idx("string_table", vt.type_strindex, what)
                        self.idx("string_table", vt.unit_strindex, what)
                    self.attrs(p.attribute_indices, what)
                    for s in p.samples:
                        if len(s.values) != 1:
                            self.err("%s: a sample with %d values" % (what, len(s.values)))
                        self.idx("stack_table", s.stack_index, what + " sample")
                        self.idx("link_table", s.link_index, what + " sample")
                        self.attrs(s.attribute_indices, what + " sample")
        for i in sorted(self.refs["stack_table"]):
            for loc in d.stack_table[i].location_indices:
                self.idx("location_table", loc, "stack %d" % i)
        for i in sorted(self.refs["location_table"]):
            loc = d.location_table[i]
            self.idx("mapping_table", loc.mapping_index, "location %d" % i)
            self.attrs(loc.attribute_indices, "location %d" % i)
            for ln in loc.lines:
                self.idx("function_table", ln.function_index, "location %d line" % i)
        for i in sorted(self.refs["mapping_table"]):
            m = d.mapping_table[i]
            self.idx("string_table", m.filename_strindex, "mapping %d" % i)
            self.attrs(m.attribute_indices, "mapping %d" % i)
        for i in sorted(self.refs["function_table"]):
            f = d.function_table[i]
            for field in ("name_strindex", "system_name_strindex", "filename_strindex"):
                self.idx("string_table", getattr(f, field), "function %d" % i)
        for name in ("string_table", "mapping_table", "location_table", "function_table",
                     "link_table", "attribute_table", "stack_table"):
            n = len(getattr(d, name))
            orphans = [i for i in range(1, n) if i not in self.refs[name]]
            if orphans:
                self.err("%s: %d orphan(s), e.g. index %s" % (name, len(orphans), orphans[:5]))

    def run(self):
        self.check_zero()
        self.check_duplicates()
        self.check_references()
        return self.errors


def function_name(d, loc_index):
    """Names of a location's frames, innermost first ("" for an address-only location)."""
    loc = d.location_table[loc_index]
    return [d.string_table[d.function_table[ln.function_index].name_strindex]
            for ln in loc.lines]


def summarise(req):
    d = req.dictionary
    out = {"dictionary": {name: len(getattr(d, name)) for name in (
        "string_table", "mapping_table", "location_table", "function_table", "link_table",
        "attribute_table", "stack_table")}, "resources": []}
    for rp in req.resource_profiles:
        res = {"attributes": {kv.key: any_value(kv.value) for kv in rp.resource.attributes},
               "schema_url": rp.schema_url, "profiles": []}
        for sp in rp.scope_profiles:
            for p in sp.profiles:
                s = d.string_table
                prof = {
                    "scope": sp.scope.name,
                    "sample_type": [s[p.sample_type.type_strindex],
                                    s[p.sample_type.unit_strindex]],
                    "period_type": [s[p.period_type.type_strindex],
                                    s[p.period_type.unit_strindex]],
                    "period": p.period, "time_unix_nano": p.time_unix_nano,
                    "duration_nano": p.duration_nano, "samples": len(p.samples),
                    "total": sum(sum(x.values) for x in p.samples),
                    "stacks": [],
                }
                for x in p.samples:
                    frames = []
                    for loc in d.stack_table[x.stack_index].location_indices:
                        names = function_name(d, loc) or ["0x%x" % d.location_table[loc].address]
                        frames.extend(names)
                    attrs = {}
                    for a in x.attribute_indices:
                        kv = d.attribute_table[a]
                        attrs[s[kv.key_strindex]] = any_value(kv.value)
                    prof["stacks"].append({"frames": frames, "attributes": attrs,
                                           "value": sum(x.values)})
                res["profiles"].append(prof)
        out["resources"].append(res)
    return out


def matches(want, got, path="$"):
    """want is a subset of got: dicts key by key, lists as multisets of their JSON."""
    if isinstance(want, dict):
        if not isinstance(got, dict):
            return ["%s: want an object, got %r" % (path, got)]
        errs = []
        for k, v in want.items():
            if k not in got:
                errs.append("%s.%s missing" % (path, k))
            else:
                errs.extend(matches(v, got[k], "%s.%s" % (path, k)))
        return errs
    if isinstance(want, list) and want and isinstance(want[0], dict):
        # each wanted object must match one got object (as a subset), distinct ones
        left = list(got) if isinstance(got, list) else []
        errs = []
        for i, w in enumerate(want):
            hit = next((g for g in left if not matches(w, g)), None)
            if hit is None:
                errs.append("%s[%d]: no match for %s" % (path, i, json.dumps(w)))
            else:
                left.remove(hit)
        if isinstance(got, list) and len(got) != len(want):
            errs.append("%s: %d entries, want %d" % (path, len(got), len(want)))
        return errs
    return [] if want == got else ["%s: got %r, want %r" % (path, got, want)]


def decode(pb, data):
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    req = pb.ExportProfilesServiceRequest()
    req.ParseFromString(data)
    return req


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pb")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--expect")
    ap.add_argument("requests", nargs="+")
    args = ap.parse_args()
    pb = load_modules(args.pb)
    bad = False
    for path in args.requests:
        req = decode(pb, open(path, "rb").read())
        errors = Checker(req).run()
        for e in errors:
            print("%s: %s" % (path, e))
        summary = summarise(req)
        if args.json:
            print(json.dumps(summary, sort_keys=True))
        if args.expect:
            want = args.expect
            if want.startswith("@"):
                want = open(want[1:]).read()
            for e in matches(json.loads(want), summary):
                print("%s: %s" % (path, e))
                errors.append(e)
        bad = bad or bool(errors)
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
