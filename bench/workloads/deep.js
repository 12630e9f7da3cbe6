// SPDX-License-Identifier: MIT
// deep.js: the Node.js counterpart of deep.c for the BPF cost figure: PROCS processes (forked)
// each recurse DEPTH JavaScript frames through descend() and spin in a leaf, for SECONDS.
//   node --no-turbo-inlining deep.js DEPTH PROCS SECONDS
// (no inlining: every level of the recursion stays a frame, as in deep.c)
"use strict";
const { fork } = require("child_process");

function leaf(n) {
	let total = 0;
	for (let i = 0; i < n; i++)
		total += i & 7;
	return total;
}

function descend(d, end) {
	if (d > 1)
		return descend(d - 1, end) + 1; // work after the call: no tail call
	let s = 0;
	while (Date.now() < end)
		s += leaf(20000);
	return s & 1;
}

const [depth, procs, secs] = process.argv.slice(2).map(Number);
if (!process.env.DEEP_JS_CHILD)
	for (let i = 1; i < procs; i++)
		fork(__filename, process.argv.slice(2), {
			env: { ...process.env, DEEP_JS_CHILD: "1" },
			execArgv: process.execArgv,
		});
descend(depth, Date.now() + secs * 1000);
