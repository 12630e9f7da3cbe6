// Real Connect, gRPC and gRPC-Web server (connect-node, the Connect project's own Node server) for
// the upload tests: push.v1.PusherService/Push and parca...ProfileStoreService/WriteRaw, typed
// from a descriptor set protoc made of flamed's proto/ files (no codegen). HTTP/1.1 on --http
// (Connect, gRPC-Web), cleartext HTTP/2 on --h2c (gRPC). Logs one JSON line per request to
// OUT/requests.jsonl and saves each accepted raw_profile as OUT/NNNN.pb.gz, like peer.py.
//   node connect_peer.js --desc FDS --out DIR --http PORT --h2c PORT [--reject] [--fail-first N]
"use strict";
const fs = require("fs");
const http = require("http");
const http2 = require("http2");
const path = require("path");
const { createFileRegistry, fromBinary } = require("@bufbuild/protobuf");
const { FileDescriptorSetSchema } = require("@bufbuild/protobuf/wkt");
const { ConnectError, Code } = require("@connectrpc/connect");
const { connectNodeAdapter } = require("@connectrpc/connect-node");

const args = { failFirst: 0, reject: false };
for (let i = 2; i < process.argv.length; i++) {
  const a = process.argv[i];
  if (a === "--reject") args.reject = true;
  else if (a === "--fail-first") args.failFirst = Number(process.argv[++i]);
  else args[a.replace(/^--/, "")] = process.argv[++i];
}
const REJECT_MESSAGE = "invalid profile: rejected by the test peer";
const reg = createFileRegistry(fromBinary(FileDescriptorSetSchema, fs.readFileSync(args.desc)));
let requests = 0;
let accepted = 0;

function record(ctx, labels, raw, status) {
  requests++;
  const h = ctx.requestHeader;
  const entry = {
    n: requests, t: Date.now() / 1000, kind: ctx.protocolName, path: ctx.method.name,
    status, labels,
    authorization: h.get("authorization") ? "present" : "absent",
    "x-scope-orgid": h.get("x-scope-orgid"), "content-type": h.get("content-type"),
    te: h.get("te"), "user-agent": h.get("user-agent"),
    raw_profile_bytes: raw ? raw.length : null,
  };
  if (status === "ok") {
    accepted++;
    entry.file = String(accepted).padStart(4, "0") + ".pb.gz";
    fs.writeFileSync(path.join(args.out, entry.file), raw);
  }
  fs.appendFileSync(path.join(args.out, "requests.jsonl"), JSON.stringify(entry) + "\n");
}

function handle(ctx, series, labels) {
  if (series.length !== 1 || series[0].samples.length !== 1)
    throw new ConnectError("want one series with one sample", Code.InvalidArgument);
  const raw = series[0].samples[0].rawProfile;
  if (raw[0] !== 0x1f || raw[1] !== 0x8b)
    throw new ConnectError("raw_profile is not gzip", Code.InvalidArgument);
  if (args.reject) {
    record(ctx, labels, raw, "reject");
    throw new ConnectError(REJECT_MESSAGE, Code.InvalidArgument);
  }
  if (requests < args.failFirst) {
    record(ctx, labels, raw, "fail");
    throw new ConnectError("test peer: try later", Code.Unavailable);
  }
  record(ctx, labels, raw, "ok");
  return {};
}

const pairs = (list) => Object.fromEntries(list.map((l) => [l.name, l.value]));
const routes = (router) => {
  router.service(reg.getService("push.v1.PusherService"), {
    push: (req, ctx) => handle(ctx, req.series, pairs(req.series[0]?.labels ?? [])),
  });
  router.service(reg.getService("parca.profilestore.v1alpha1.ProfileStoreService"), {
    writeRaw: (req, ctx) => handle(ctx, req.series, pairs(req.series[0]?.labels?.labels ?? [])),
  });
};
const handler = connectNodeAdapter({ routes });
fs.mkdirSync(args.out, { recursive: true });
http.createServer(handler).listen(Number(args.http), "127.0.0.1", () => {
  http2.createServer(handler).listen(Number(args.h2c), "127.0.0.1", () =>
    console.log("peer: ready"));
});
