// SPDX-License-Identifier: MIT
// JavaScript run from the event loop, for flamed's JavaScript frames: an async function resumed
// after an await (a microtask), a timer's callback and a promise reaction, each burning CPU in
// burnXyz. Each is measured around its burn with the main thread's CPU time
// (/proc/thread-self/schedstat). Runs for SECONDS (argv[2], default 5); prints
//   share asyncWorkAbc PCT, share timerCbDef PCT, share promiseCbGhi PCT   (of the main thread)
//   cpu_ms MS, pid PID
"use strict";
const fs = require("fs");

function threadNs() {
	return Number(fs.readFileSync("/proc/thread-self/schedstat", "latin1").split(" ")[0]);
}

function burnXyz(n) {
	let s = 0;
	for (let i = 0; i < n; i++)
		s += Math.sqrt(i) * Math.sin(i);
	return s;
}

const spent = { asyncWorkAbc: 0, timerCbDef: 0, promiseCbGhi: 0 };
let sink = 0;

async function asyncWorkAbc(n) {
	await null;
	const t0 = threadNs();
	sink += burnXyz(n);
	spent.asyncWorkAbc += threadNs() - t0;
}

function timerCbDef(n) {
	const t0 = threadNs();
	sink += burnXyz(n);
	spent.timerCbDef += threadNs() - t0;
}

function promiseCbGhi(n) {
	const t0 = threadNs();
	sink += burnXyz(n);
	spent.promiseCbGhi += threadNs() - t0;
}

const seconds = Number(process.argv[2] || 5);
const end = Date.now() + seconds * 1000;
const start = threadNs();

// one round: the three kinds of callback, each a few milliseconds of work, through the loop
function round() {
	if (Date.now() >= end)
		return finish();
	asyncWorkAbc(300000);
	Promise.resolve(200000).then(promiseCbGhi);
	setTimeout(timerCbDef, 0, 250000);
	setImmediate(round);
}

function finish() {
	const total = threadNs() - start;

	for (const name of Object.keys(spent))
		console.log("share " + name + " " + (100 * spent[name] / total).toFixed(2));
	console.log("cpu_ms " + (total / 1e6).toFixed(1));
	console.log("pid " + process.pid + " sink " + (sink !== 0));
}

round();
