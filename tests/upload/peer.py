#!/usr/bin/python3
"""Protocol peer for the upload tests, on loopback.

  --http PORT   HTTP/1.1 server (http.server): Connect unary push.v1.PusherService/Push,
                Pyroscope /ingest (multipart), gRPC-Web ProfileStoreService/WriteRaw,
                OTLP/HTTP POST /v1development/profiles (gzip protobuf).
  --grpc PORT   gRPC server (Debian python3-grpcio, C-core, h2c or TLS): Push, WriteRaw and
                the OTLP ProfilesService/Export.
  --tls CERT KEY  serve TLS on either port.

Requests are decoded with python3-protobuf from modules protoc generated (--pb DIR); each
accepted window's raw_profile is saved as OUT/NNNN.pb.gz for go tool pprof (an OTLP request as
OUT/NNNN.otlp.pb, after otlp_check.py found its dictionary valid), and one JSON line per
request (accepted or not) goes to OUT/requests.jsonl. --partial N MSG answers OTLP requests with
a partial success (N profiles rejected).  Failure injection: --fail-first N answers
the first N requests with --fail-status (503, 429 + --retry-after S, or a gRPC code); --reject
answers every request with a 4xx (Connect JSON, or grpc-status 3 for gRPC and gRPC-Web).
Run with Debian's /usr/bin/python3: the grpc module is Debian's.
"""
import argparse
import email.parser
import gzip
import hashlib
import json
import os
import ssl
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ap = argparse.ArgumentParser()
ap.add_argument("--http", type=int)
ap.add_argument("--grpc", type=int)
ap.add_argument("--tls", nargs=2)
ap.add_argument("--client-ca", help="gRPC over TLS: require a client certificate from this CA")
ap.add_argument("--pb", required=True)
ap.add_argument("--out", required=True)
ap.add_argument("--fail-first", type=int, default=0)
ap.add_argument("--fail-status", type=int, default=503)
ap.add_argument("--retry-after")
ap.add_argument("--reject", action="store_true")
ap.add_argument("--hang-first", type=int, default=0,
                help="hold the first N requests 3 s before answering (client timeouts)")
ap.add_argument("--expect-bearer", help="file holding the token the client must send")
ap.add_argument("--expect-basic", help="file holding the user:password the client must send")
ap.add_argument("--partial", nargs=2, metavar=("N", "MSG"))
ap.add_argument("--expect-header", action="append", default=[],
                help="NAME=VALUE every request must carry")
args = ap.parse_args()
sys.path.insert(0, args.pb)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pyroscope_push_pb2  # noqa: E402
import parca_profilestore_pb2  # noqa: E402
import otlp_check  # noqa: E402
otlp_pb = otlp_check.load_modules(args.pb)

lock = threading.Lock()
state = {"requests": 0, "accepted": 0}
REJECT_MESSAGE = "invalid profile: rejected by the test peer"


def expected_auth():
    if args.expect_bearer:
        return "Bearer " + open(args.expect_bearer).read().splitlines()[0].strip()
    if args.expect_basic:
        import base64
        cred = open(args.expect_basic).read().splitlines()[0].strip()
        return "Basic " + base64.b64encode(cred.encode()).decode()
    return None


def auth_summary(value):
    """What the log may say about the Authorization header: never the secret itself."""
    want = expected_auth()
    if value is None:
        return "absent"
    if want is None:
        return "present (not expected)"
    return "matches expected" if value == want else "WRONG"


def decode_otlp(body):
    """A gunzipped ExportProfilesServiceRequest: its string resource attributes (all resources),
    and the bytes to save; the dictionary rules checked by otlp_check.Checker."""
    req = otlp_pb.ExportProfilesServiceRequest()
    req.ParseFromString(body)
    errors = otlp_check.Checker(req).run()
    assert not errors, "; ".join(errors[:3])
    assert req.resource_profiles, "no resource"
    labels = {}
    for rp in req.resource_profiles:
        for kv in rp.resource.attributes:
            if kv.value.WhichOneof("value") == "string_value":
                labels[kv.key] = kv.value.string_value
    return labels, body


def otlp_answer():
    resp = otlp_pb.ExportProfilesServiceResponse()
    if args.partial:
        resp.partial_success.rejected_profiles = int(args.partial[0])
        resp.partial_success.error_message = args.partial[1]
    return resp.SerializeToString()


def missing_header(headers):
    for kv in args.expect_header:
        k, v = kv.split("=", 1)
        if headers.get(k.lower()) != v:
            return k
    return None


def check_pprof(raw):
    """gzip (RFC 1952) pprof: magic 1f 8b and it inflates."""
    if raw[:2] != b"\x1f\x8b":
        return "raw_profile is not gzip"
    gzip.decompress(raw)
    return None


def record(kind, path, headers, labels, raw, status, note=""):
    with lock:
        state["requests"] += 1
        entry = {
            "n": state["requests"], "t": round(time.time(), 3), "kind": kind, "path": path,
            "status": status, "labels": labels,
            "authorization": auth_summary(headers.get("authorization")),
            "x-scope-orgid": headers.get("x-scope-orgid"),
            "content-type": headers.get("content-type"), "te": headers.get("te"),
            "user-agent": headers.get("user-agent"),
            "raw_profile_bytes": len(raw) if raw is not None else None,
            "raw_profile_sha256": hashlib.sha256(raw).hexdigest()[:16] if raw else None,
        }
        if note:
            entry["note"] = note
        if status == "ok":
            state["accepted"] += 1
            entry["file"] = "%04d.%s" % (state["accepted"],
                                         "otlp.pb" if kind.startswith("otlp") else "pb.gz")
            with open(os.path.join(args.out, entry["file"]), "wb") as f:
                f.write(raw)
        with open(os.path.join(args.out, "requests.jsonl"), "a") as f:
            f.write(json.dumps(entry, sort_keys=True) + "\n")


def decide():
    """'ok', 'fail' (transient) or 'reject' for the next request."""
    with lock:
        n = state["requests"]
    if args.reject:
        return "reject"
    if n < args.fail_first:
        return "fail"
    if n < args.hang_first:
        return "hang"
    return "ok"


def decode_push(body):
    req = pyroscope_push_pb2.PushRequest()
    req.ParseFromString(body)
    assert len(req.series) == 1 and len(req.series[0].samples) == 1, "one series, one sample"
    labels = {lp.name: lp.value for lp in req.series[0].labels}
    return labels, req.series[0].samples[0].raw_profile


def decode_writeraw(body):
    req = parca_profilestore_pb2.WriteRawRequest()
    req.ParseFromString(body)
    assert len(req.series) == 1 and len(req.series[0].samples) == 1, "one series, one sample"
    labels = {lb.name: lb.value for lb in req.series[0].labels.labels}
    return labels, req.series[0].samples[0].raw_profile


def grpc_frame_payload(body):
    assert len(body) >= 5 and body[0] == 0, "uncompressed gRPC frame"
    n = int.from_bytes(body[1:5], "big")
    assert len(body) == 5 + n, "one frame, length %d of %d" % (n, len(body) - 5)
    return body[5:]


class Http(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def reply(self, code, ctype, body, extra=()):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        headers = {k.lower(): v for k, v in self.headers.items()}
        url = urllib.parse.urlparse(self.path)
        verdict = decide()
        if url.path.endswith("/push.v1.PusherService/Push"):
            self.connect(headers, body, verdict)
        elif url.path.endswith("/ingest"):
            self.ingest(headers, body, url, verdict)
        elif url.path.endswith("/parca.profilestore.v1alpha1.ProfileStoreService/WriteRaw"):
            self.grpc_web(headers, body, verdict)
        elif url.path.endswith("/v1development/profiles"):
            self.otlp(headers, body, verdict)
        else:
            record("unknown", self.path, headers, {}, None, "404")
            self.reply(404, "text/plain", b"not found")

    def fail_http(self, kind, headers, labels, raw):
        extra = [("Retry-After", args.retry_after)] if args.retry_after else []
        record(kind, self.path, headers, labels, raw, "fail %d" % args.fail_status)
        self.reply(args.fail_status, "application/json",
                   b'{"code":"unavailable","message":"test peer: try later"}', extra)

    def connect(self, headers, body, verdict):
        try:
            assert headers.get("content-type") == "application/proto", "content type"
            labels, raw = decode_push(body)
            err = check_pprof(raw)
            assert not err, err
        except Exception as e:  # the client's bug: a Connect invalid_argument
            record("connect", self.path, headers, {}, None, "bad", str(e))
            self.reply(400, "application/json", json.dumps(
                {"code": "invalid_argument", "message": str(e)}).encode())
            return
        if verdict == "hang":  # the client gives up first: not delivered
            record("connect", self.path, headers, labels, raw, "hang")
            time.sleep(3)
            return self.reply(503, "application/json", b"{}")
        if verdict == "fail":
            return self.fail_http("connect", headers, labels, raw)
        if verdict == "reject":
            record("connect", self.path, headers, labels, raw, "reject 400")
            self.reply(400, "application/json", json.dumps(
                {"code": "invalid_argument", "message": REJECT_MESSAGE}).encode())
            return
        record("connect", self.path, headers, labels, raw, "ok")
        self.reply(200, "application/proto", b"")

    def otlp(self, headers, body, verdict):
        try:
            assert headers.get("content-type") == "application/x-protobuf", "content type"
            assert headers.get("content-encoding") == "gzip", "content encoding"
            assert not missing_header(headers), "header %s" % missing_header(headers)
            labels, raw = decode_otlp(gzip.decompress(body))
        except Exception as e:  # the client's bug: 400, never retried
            record("otlp-http", self.path, headers, {}, None, "bad", str(e))
            self.reply(400, "text/plain", str(e).encode())
            return
        if verdict == "fail":
            return self.fail_http("otlp-http", headers, labels, raw)
        if verdict == "reject":
            record("otlp-http", self.path, headers, labels, raw, "reject 400")
            self.reply(400, "text/plain", REJECT_MESSAGE.encode())
            return
        record("otlp-http", self.path, headers, labels, raw, "ok")
        self.reply(200, "application/x-protobuf", otlp_answer())

    def ingest(self, headers, body, url, verdict):
        q = urllib.parse.parse_qs(url.query)
        try:
            ctype = headers.get("content-type", "")
            assert ctype.startswith("multipart/form-data"), "multipart body"
            assert "format" not in q, "format= would make the server read the body as pprof"
            msg = email.parser.BytesParser().parsebytes(
                b"Content-Type: " + ctype.encode() + b"\r\n\r\n" + body)
            parts = {p.get_param("name", header="content-disposition"): p
                     for p in msg.get_payload()}
            assert set(parts) == {"profile"}, "parts %s" % sorted(parts)
            part = parts["profile"]
            assert part.get_filename(), "profile must be a file part"
            raw = part.get_payload(decode=True)
            err = check_pprof(raw)
            assert not err, err
            labels = {"name": q["name"][0], "from": q["from"][0], "until": q["until"][0],
                      "spyName": q["spyName"][0]}
        except Exception as e:
            record("ingest", self.path, headers, {}, None, "bad", str(e))
            self.reply(400, "text/plain", str(e).encode())
            return
        if verdict == "fail":
            return self.fail_http("ingest", headers, labels, raw)
        if verdict == "reject":
            record("ingest", self.path, headers, labels, raw, "reject 400")
            self.reply(400, "text/plain", REJECT_MESSAGE.encode())
            return
        record("ingest", self.path, headers, labels, raw, "ok")
        self.reply(200, "text/plain", b"")

    def grpc_web(self, headers, body, verdict):
        def trailer(status, message=""):
            t = ("grpc-status:%d\r\ngrpc-message:%s\r\n" %
                 (status, urllib.parse.quote(message))).encode()
            return b"\x80" + len(t).to_bytes(4, "big") + t
        try:
            assert headers.get("content-type") == "application/grpc-web+proto", "content type"
            labels, raw = decode_writeraw(grpc_frame_payload(body))
            err = check_pprof(raw)
            assert not err, err
        except Exception as e:
            record("grpc-web", self.path, headers, {}, None, "bad", str(e))
            self.reply(200, "application/grpc-web+proto", trailer(3, str(e)))
            return
        if verdict == "fail":
            record("grpc-web", self.path, headers, labels, raw, "fail 14")
            self.reply(200, "application/grpc-web+proto", trailer(14, "test peer: try later"))
            return
        if verdict == "reject":
            record("grpc-web", self.path, headers, labels, raw, "reject 3")
            self.reply(200, "application/grpc-web+proto", trailer(3, REJECT_MESSAGE))
            return
        record("grpc-web", self.path, headers, labels, raw, "ok")
        self.reply(200, "application/grpc-web+proto", b"\x00\x00\x00\x00\x00" + trailer(0))


def serve_grpc(port):
    import grpc
    from concurrent import futures

    def make(kind, decode):
        def handler(body, ctx):
            headers = {k: v for k, v in ctx.invocation_metadata()}
            verdict = decide()
            try:
                labels, raw = decode(body)
                if kind == "otlp-grpc":
                    # grpc-encoding is the transport's (C-core inflates the message first)
                    assert not missing_header(headers), "header %s" % missing_header(headers)
                else:
                    err = check_pprof(raw)
                    assert not err, err
            except Exception as e:
                record(kind, ctx.peer(), headers, {}, None, "bad", str(e))
                ctx.abort(grpc.StatusCode.INVALID_ARGUMENT, str(e))
            if verdict == "fail":
                record(kind, ctx.peer(), headers, labels, raw, "fail 14")
                ctx.abort(grpc.StatusCode.UNAVAILABLE, "test peer: try later")
            if verdict == "reject":
                record(kind, ctx.peer(), headers, labels, raw, "reject 3")
                ctx.abort(grpc.StatusCode.INVALID_ARGUMENT, REJECT_MESSAGE)
            record(kind, "grpc", headers, labels, raw, "ok")
            return otlp_answer() if kind == "otlp-grpc" else b""
        return grpc.unary_unary_rpc_method_handler(handler)  # bytes in, bytes out

    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    server.add_generic_rpc_handlers((
        grpc.method_handlers_generic_handler(
            "parca.profilestore.v1alpha1.ProfileStoreService",
            {"WriteRaw": make("grpc", decode_writeraw)}),
        grpc.method_handlers_generic_handler(
            "push.v1.PusherService", {"Push": make("grpc-push", decode_push)}),
        grpc.method_handlers_generic_handler(
            "opentelemetry.proto.collector.profiles.v1development.ProfilesService",
            {"Export": make("otlp-grpc", decode_otlp)}),
    ))
    addr = "127.0.0.1:%d" % port
    if args.tls:
        cert, key = (open(p, "rb").read() for p in args.tls)
        client_ca = open(args.client_ca, "rb").read() if args.client_ca else None
        server.add_secure_port(addr, grpc.ssl_server_credentials(
            [(key, cert)], root_certificates=client_ca, require_client_auth=bool(client_ca)))
    else:
        server.add_insecure_port(addr)
    server.start()
    return server


os.makedirs(args.out, exist_ok=True)
if args.grpc:
    srv = serve_grpc(args.grpc)
if args.http:
    httpd = ThreadingHTTPServer(("127.0.0.1", args.http), Http)
    if args.tls:
        sslctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        sslctx.load_cert_chain(*args.tls)
        httpd.socket = sslctx.wrap_socket(httpd.socket, server_side=True)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
print("peer: ready", flush=True)
try:
    while True:
        time.sleep(3600)
except KeyboardInterrupt:
    pass
