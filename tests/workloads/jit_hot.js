// SPDX-License-Identifier: MIT
// A JIT workload: one hot JavaScript function, run under node --perf-basic-prof so that V8
// writes /tmp/perf-PID.map with a name for each piece of code it compiles.
"use strict";
const seconds = Number(process.argv[2] || 3);

function flamedHotLoop(n) {
	let acc = 0;
	for (let i = 0; i < n; i++)
		acc = (acc * 31 + i) % 1000003;
	return acc;
}

let sink = 0;
const end = Date.now() + seconds * 1000;
while (Date.now() < end)
	sink += flamedHotLoop(200000);
console.log("pid " + process.pid + " sink " + sink);
