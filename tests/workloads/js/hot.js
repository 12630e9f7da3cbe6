// SPDX-License-Identifier: MIT
// flamed's JavaScript workload: driverAbc calls hotLoopXyz (a numeric loop) over and over, and
// hotLoopXyz calls a class method, Grid.relax, for part of its time. The main thread's CPU time
// (/proc/thread-self/schedstat, nanoseconds) is measured around every call, so the test can
// compare flamed's shares with the script's own. Runs for SECONDS (argv[2], default 5); prints
//   share hotLoopXyz_self PCT   (hotLoopXyz, outside Grid.relax)
//   share Grid.relax PCT
//   cpu_ms MS                   (the main thread, the whole run)
"use strict";
const fs = require("fs");

function threadNs() {
	return Number(fs.readFileSync("/proc/thread-self/schedstat", "latin1").split(" ")[0]);
}

class Grid {
	constructor(n) {
		this.cells = new Float64Array(n);
	}

	relax(rounds) {
		const c = this.cells;
		let s = 0;
		for (let r = 0; r < rounds; r++) {
			for (let i = 1; i < c.length - 1; i++) {
				c[i] = (c[i - 1] + c[i + 1]) * 0.5 + (i & 7);
				s += c[i];
			}
		}
		return s;
	}
}

function hotLoopXyz(n, grid, spent) {
	let s = 0;
	for (let i = 0; i < n; i++)
		s += Math.sqrt(i) * 1.0001 + (i % 13);
	const t0 = threadNs();
	s += grid.relax(300);
	spent.relax += threadNs() - t0;
	return s;
}

function driverAbc(seconds, spent) {
	const grid = new Grid(2000);
	const end = Date.now() + seconds * 1000;
	let t = 0;
	while (Date.now() < end) {
		const t0 = threadNs();
		t += hotLoopXyz(2000000, grid, spent);
		spent.hot += threadNs() - t0;
	}
	return t;
}

const seconds = Number(process.argv[2] || 5);
const spent = { hot: 0, relax: 0 };
const start = threadNs();
const sink = driverAbc(seconds, spent);
const total = threadNs() - start;
console.log("share hotLoopXyz_self " + (100 * (spent.hot - spent.relax) / total).toFixed(2));
console.log("share Grid.relax " + (100 * spent.relax / total).toFixed(2));
console.log("cpu_ms " + (total / 1e6).toFixed(1));
console.log("pid " + process.pid + " sink " + (sink > 0));
