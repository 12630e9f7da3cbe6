"use strict";
class Grid {
	constructor(n) { this.n = n; this.cells = new Float64Array(n); }
	relax(rounds) {
		let s = 0;
		for (let r = 0; r < rounds; r++)
			for (let i = 1; i < this.n - 1; i++) {
				this.cells[i] = (this.cells[i - 1] + this.cells[i + 1]) * 0.5 + i;
				s += this.cells[i];
			}
		return s;
	}
}
function hotLoopXyz(n) {
	let s = 0;
	for (let i = 0; i < n; i++)
		s += Math.sqrt(i) * 1.0001;
	return s;
}
function driverAbc(seconds) {
	const g = new Grid(1000);
	const end = Date.now() + seconds * 1000;
	let t = 0;
	while (Date.now() < end) {
		t += hotLoopXyz(200000);
		t += g.relax(20);
	}
	return t;
}
console.log(driverAbc(Number(process.argv[2] || 4)));
