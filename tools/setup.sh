#!/usr/bin/env bash
# Install everything flamed needs to build and test, from Debian 12's archive (and npm for the
# browser test). Safe to run again: apt and npm skip what is already there.
set -euo pipefail

if [ "$(id -u)" -ne 0 ]; then
	echo "setup: run as root (apt-get needs it): sudo $0" >&2
	exit 1
fi

# build
pkgs=(build-essential cmake pkg-config clang llvm bpftool libbpf-dev libelf-dev libdw-dev
	libprotobuf-c-dev protobuf-c-compiler libzstd-dev zlib1g-dev libcurl4-openssl-dev libiberty-dev
	libdebuginfod-dev libjson-c-dev)
# tests: cmocka, go tool pprof (reference pprof reader), protoc, xmllint, clang-format,
# chromium + node for the flame graph browser test, util-linux for setpriv; the upload tests'
# protocol peers: python3-grpcio (a gRPC C-core server), python3-protobuf (decoding), openssl
# (a test CA), zstd (reading .pb.zst archives); binutils (objcopy/strip) and elfutils' debuginfod
# server (and curl, to wait for it) for the separate debug file tests; PHP and Ruby frames: the
# interpreters, PHP's engine headers (its offsets are regenerated from them) and OPcache (the
# JIT test), Ruby's config.h (its offsets are regenerated from its source, by apt-get source);
# a JDK for the Java tests (javac, jni.h)
# bench/run: perf is the baseline every figure is compared with
if [ "${1:-}" = "--bench" ]; then
	pkgs+=(linux-perf python3 libcmocka-dev)
fi
if [ "${1:-}" = "--test" ]; then
	pkgs+=(libcmocka-dev golang-go protobuf-compiler libxml2-utils clang-format chromium
		util-linux binutils elfutils debuginfod xz-utils python3 python3-grpcio python3-protobuf
		openssl zstd curl php8.2-cli php8.2-dev php8.2-opcache ruby3.1 ruby3.1-dev
		openjdk-17-jdk-headless)
	command -v node >/dev/null 2>&1 || pkgs+=(nodejs npm)
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null
echo "setup: installed ${#pkgs[@]} packages"
