// SPDX-License-Identifier: MIT
// A JavaScript workload that keeps V8's garbage collector busy, for flamed's JavaScript frames:
// lists of fresh objects and closures, a full compacting collection every few rounds (run it
// with --expose-gc --compact-on-every-full-gc and a small young generation), so functions,
// bytecode and code move while the profile is taken. Runs for SECONDS (argv[2], default 5);
// prints "rounds N", "pid PID". The call graph is fixed:
//   driverGc -> churnDef -> makeNodeAbc, driverGc -> sumGhi, driverGc -> closureJkl
"use strict";

function makeNodeAbc(i, next) {
	return { i, next, data: [i, i + 1, i + 2, i + 3] };
}

function churnDef(n) {
	let head = null;
	for (let i = 0; i < n; i++)
		head = makeNodeAbc(i, i % 3 ? head : null);
	return head;
}

function sumGhi(list) {
	let s = 0;
	for (let o = list; o; o = o.next)
		s += o.data[o.i & 3];
	return s;
}

function closureJkl(k) {
	return () => k * 2 + 1;
}

function driverGc(seconds) {
	const end = Date.now() + seconds * 1000;
	let rounds = 0, kept = [], sink = 0;
	while (Date.now() < end) {
		sink += sumGhi(churnDef(20000));
		kept.push(closureJkl(rounds));
		if (++rounds % 20 === 0) {
			sink += kept.reduce((a, f) => a + f(), 0);
			kept = [];
			if (typeof gc === "function")
				gc();
		}
	}
	return [rounds, sink];
}

const [rounds, sink] = driverGc(Number(process.argv[2] || 5));
console.log("rounds " + rounds);
console.log("pid " + process.pid + " sink " + (sink !== 0));
