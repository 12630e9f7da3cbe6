#!/bin/bash
# SPDX-License-Identifier: MIT
# flamed's SVG flame graphs in headless Chromium (Debian `chromium`, driven by the npm package
# playwright-core from tests/browser): hover details, click to zoom, search with the matched
# percentage, reset; on a deep whole-host graph the root in view on open, the window's width,
# the icicle layout; a differential graph's colours, hover and legend. The SVGs come from
# `flamed report` on pprofs written by tests/browser/make_pprof.js; the script they carry must be
# src/profile/svg_viewer.js byte for byte, so what runs here is that file. SCREENSHOT=path.png
# also saves a picture of the small graph.
# Setup (CI): apt-get install -y chromium nodejs npm && (cd tests/browser && npm ci)
set -u

FLAMED=${FLAMED:?FLAMED must point at the flamed binary}
SRC=${FLAMED_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
BROWSER_DIR="$SRC/tests/browser"
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}

if [ ! -x "$CHROMIUM" ]; then
	echo "SKIP: $CHROMIUM not installed (apt-get install chromium)"
	exit 77
fi
if ! command -v node >/dev/null 2>&1; then
	echo "SKIP: node not installed (apt-get install nodejs npm)"
	exit 77
fi
if [ ! -d "$BROWSER_DIR/node_modules/playwright-core" ]; then
	echo "SKIP: playwright-core missing (cd tests/browser && npm ci)"
	exit 77
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

node "$BROWSER_DIR/make_pprof.js" "$tmp/small.pb" >"$tmp/small.json" &&
	node "$BROWSER_DIR/make_pprof.js" "$tmp/deep.pb" deep >"$tmp/deep.json" &&
	node "$BROWSER_DIR/make_pprof.js" "$tmp/base.pb" base >"$tmp/base.json" &&
	node "$BROWSER_DIR/make_pprof.js" "$tmp/new.pb" new >"$tmp/new.json" ||
	{ echo "FAIL: make_pprof.js"; exit 1; }
if ! "$FLAMED" report "$tmp/small.pb" -o "$tmp/flame.svg" --title "flamed browser test" ||
	! "$FLAMED" report "$tmp/deep.pb" -o "$tmp/deep.svg" ||
	! "$FLAMED" report "$tmp/base.pb" "$tmp/new.pb" --diff -o "$tmp/diff.svg"; then
	echo "FAIL: flamed report"
	exit 1
fi
# the viewer in the SVG is the JavaScript file, byte for byte (CDATA between the script tags)
node -e '
const fs = require("fs");
const svg = fs.readFileSync(process.argv[1], "utf8");
const m = /<script type="text\/ecmascript"><!\[CDATA\[\n([\s\S]*?)\]\]><\/script>/.exec(svg);
process.exit(m && m[1] === fs.readFileSync(process.argv[2], "utf8") ? 0 : 1);
' "$tmp/flame.svg" "$SRC/src/profile/svg_viewer.js" ||
	{ echo "FAIL: the SVG's script is not src/profile/svg_viewer.js"; exit 1; }
export CHROMIUM
exec node "$BROWSER_DIR/svg_browser.js" "$tmp" ${SCREENSHOT:+"$SCREENSHOT"}
