#!/usr/bin/python3
"""A kubelet's pod API on loopback, for the Kubernetes tests.

GET /pods answers a v1 PodList (podlist.py: the API's PodList shape) of the pods described in
--pods FILE, re-read at every request, so a test adds or removes a pod by rewriting the file. TLS
with a certificate the test made (its own CA), and only for a client that sends the bearer token
of --token-file: 401 without it or with another, as a kubelet with webhook authentication
answers; --status N answers every request with N instead (403: an account without RBAC),
--garbage with a body that is not JSON. Each request is one JSON line in --log.

  --pods FILE    JSON list: [{"namespace", "name", "uid", "labels", "containers": [{"name",
                 "id"}]}]
  --port N       0: any free port, written to --port-file once listening
"""
import argparse
import json
import os
import ssl
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import podlist  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("--port", type=int, default=0)
ap.add_argument("--port-file")
ap.add_argument("--cert", required=True)
ap.add_argument("--key", required=True)
ap.add_argument("--token-file", required=True)
ap.add_argument("--pods", required=True)
ap.add_argument("--node", default="node-test")
ap.add_argument("--log", required=True)
ap.add_argument("--status", type=int, default=0)
ap.add_argument("--garbage", action="store_true")
args = ap.parse_args()

lock = threading.Lock()


def log(entry):
    with lock, open(args.log, "a") as f:
        f.write(json.dumps(entry) + "\n")


class Kubelet(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def send(self, status, body, ctype="application/json"):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def status_body(self, code, reason, message):
        return json.dumps({"kind": "Status", "apiVersion": "v1", "metadata": {},
                           "status": "Failure", "message": message, "reason": reason,
                           "code": code}).encode()

    def do_GET(self):
        want = "Bearer " + open(args.token_file).read().splitlines()[0].strip()
        auth = self.headers.get("Authorization")
        entry = {"path": self.path, "auth": "ok" if auth == want else
                 ("absent" if auth is None else "wrong")}
        if self.path != "/pods":
            entry["status"] = 404
            self.send(404, b"404 page not found\n", "text/plain")
        elif auth != want:
            entry["status"] = 401
            self.send(401, b"Unauthorized\n", "text/plain")
        elif args.status:
            entry["status"] = args.status
            self.send(args.status, self.status_body(args.status, "Forbidden",
                      "nodes \"%s\" is forbidden: cannot get resource \"nodes\" subresource "
                      "\"pods\"" % args.node))
        elif args.garbage:
            entry["status"] = 200
            self.send(200, b"<html>not a pod list</html>", "text/html")
        else:
            with open(args.pods) as f:
                pods = json.load(f)
            entry["status"] = 200
            entry["pods"] = len(pods)
            self.send(200, json.dumps(podlist.pod_list(pods, args.node)).encode())
        log(entry)

    def log_message(self, fmt, *a):
        pass


srv = ThreadingHTTPServer(("127.0.0.1", args.port), Kubelet)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(args.cert, args.key)
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
port = srv.server_address[1]
if args.port_file:
    with open(args.port_file + ".tmp", "w") as f:
        f.write("%d\n" % port)
    os.rename(args.port_file + ".tmp", args.port_file)
print("fake-kubelet: ready on %d" % port, flush=True)
srv.serve_forever()
