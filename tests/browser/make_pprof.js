// SPDX-License-Identifier: MIT
// Write a small raw pprof profile with known counts (no dependencies: a hand-rolled protobuf
// encoder), for the browser test of flamed's SVG. Usage: node make_pprof.js OUT.pb
// Prints the stacks as JSON so the test knows the expected shares.
'use strict';
const fs = require('fs');

// Root-first stacks; "k:" marks a kernel frame. Every sample carries comm=app.
const STACKS = [
	['main;alpha;leaf1', 40],
	['main;alpha;leaf2', 20],
	['main;beta;k:sys_write', 18],
	['main;beta;format;escape<&>(char*)', 12],
	['main', 10],
];

function varint(n) {
	const out = [];
	let v = BigInt(n);
	do {
		let b = Number(v & 0x7fn);
		v >>= 7n;
		if (v) b |= 0x80;
		out.push(b);
	} while (v);
	return out;
}
const key = (field, wire) => varint((field << 3) | wire);
const int = (field, n) => [...key(field, 0), ...varint(n)];
const bytes = (field, buf) => [...key(field, 2), ...varint(buf.length), ...buf];
const msg = (field, parts) => bytes(field, parts.flat());
const packed = (field, nums) => bytes(field, nums.map(varint).flat());

const strings = [''];
const str = (s) => {
	let i = strings.indexOf(s);
	if (i < 0) i = strings.push(s) - 1;
	return i;
};
const functions = new Map(); // name -> id
const locations = new Map(); // frame spec -> id
const out = [];

out.push(msg(1, [int(1, str('samples')), int(2, str('count'))]));
out.push(msg(1, [int(1, str('cpu')), int(2, str('nanoseconds'))]));
// mapping 1: the program, mapping 2: the kernel
out.push(msg(3, [int(1, 1), int(5, str('/usr/bin/app')), int(7, 1)]));
out.push(msg(3, [int(1, 2), int(5, str('[kernel.kallsyms]')), int(7, 1)]));
for (const [folded, count] of STACKS) {
	const ids = folded.split(';').map((spec) => {
		if (!locations.has(spec)) {
			const name = spec.replace(/^k:/, '');
			if (!functions.has(name)) functions.set(name, functions.size + 1);
			locations.set(spec, locations.size + 1);
			out.push(msg(4, [int(1, locations.get(spec)), int(2, spec.startsWith('k:') ? 2 : 1),
				int(3, 0x1000 + locations.size), msg(4, [int(1, functions.get(name))])]));
		}
		return locations.get(spec);
	});
	out.push(msg(2, [packed(1, ids.reverse()), packed(2, [count, count * 10101010]),
		msg(3, [int(1, str('comm')), int(2, str('app'))])]));
}
for (const [name, id] of functions) out.push(msg(5, [int(1, id), int(2, str(name))]));
out.push(msg(11, [int(1, str('cpu')), int(2, str('nanoseconds'))]));
out.push(int(12, 10101010));
out.push(int(14, str('cpu')));
// the string table last: every index is known by now
for (const s of strings) out.push(bytes(6, [...Buffer.from(s, 'utf8')]));

fs.writeFileSync(process.argv[2], Buffer.from(out.flat()));
console.log(JSON.stringify(STACKS));
