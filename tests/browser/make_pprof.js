// SPDX-License-Identifier: MIT
// Write a raw pprof profile with known counts (no dependencies: a hand-rolled protobuf encoder),
// for the browser test of flamed's SVG. Usage: node make_pprof.js OUT.pb [KIND], KIND one of
//   small  (default) five stacks of one program, with names that need escaping;
//   deep   a busy host, deterministic: a compiler, a Python and a Node program with stacks up to
//          100 frames deep under kernel frames, and xz;
//   base, new  the same program twice, where in "new" slow_path does 3x the work and the rest
//          of the program is unchanged (a differential graph's two inputs).
// Prints the stacks as JSON ([folded, count, comm] root first) so the test knows the shares.
'use strict';
const fs = require('fs');

// Root-first stacks; "k:" marks a kernel frame. The comm label defaults to app.
const SMALL = [
	['main;alpha;leaf1', 40],
	['main;alpha;leaf2', 20],
	['main;beta;k:sys_write', 18],
	['main;beta;format;escape<&>(char*)', 12],
	['main', 10],
];

// A deterministic PRNG (LCG), so every run writes the same file.
let seed = 12345;
const rand = (n) => {
	seed = (seed * 1103515245 + 12345) % 2147483648;
	return Math.floor((seed / 2147483648) * n);
};

function deep() {
	const out = [];
	const libc = '_start;__libc_start_main;__libc_start_call_main';
	const kernel = ['k:entry_SYSCALL_64_after_hwframe;k:do_syscall_64;k:__x64_sys_read;k:vfs_read',
		'k:asm_exc_page_fault;k:exc_page_fault;k:do_user_addr_fault;k:handle_mm_fault',
		'k:asm_sysvec_apic_timer_interrupt;k:sysvec_apic_timer_interrupt'];
	for (let i = 0; i < 400; i++) {
		// Python: the interpreter loop recursing once per Python call, up to ~100 frames
		const calls = 10 + rand(20);
		const py = [libc, 'main;Py_BytesMain;Py_RunMain;_PyRun_SimpleFileObject;run_mod'];
		for (let c = 0; c < calls; c++)
			py.push(`_PyEval_EvalFrameDefault;_PyFunction_Vectorcall;method_${c % 7}`);
		py.push(['list_sort_impl', 'dict_ass_sub', 'long_add', 'unicode_hash'][rand(4)]);
		if (rand(4) === 0) py.push(kernel[rand(3)]);
		out.push([py.join(';'), 1 + rand(6), 'python3']);
	}
	for (let i = 0; i < 300; i++) {
		const depth = 8 + rand(40);
		const cc = [libc, 'main;toplev::main;compile_file;c_parse_file;c_parser_translation_unit'];
		for (let d = 0; d < depth; d++) cc.push(`c_parser_${['expression', 'statement', 'block',
			'declaration'][(d + i) % 4]}`);
		cc.push(['ggc_internal_alloc', 'lookup_name', 'build_int_cst'][rand(3)]);
		out.push([cc.join(';'), 1 + rand(8), 'cc1']);
	}
	for (let i = 0; i < 200; i++) {
		const depth = 5 + rand(30);
		const js = [libc, 'main;node::Start;node::SpinEventLoop;uv_run;uv__io_poll',
			'v8::internal::Execution::Call;Builtins_JSEntry'];
		for (let d = 0; d < depth; d++) js.push(`~render${d % 5}`);
		js.push(['Builtins_StringAdd', 'v8::internal::Heap::Scavenge'][rand(2)]);
		out.push([js.join(';'), 1 + rand(5), 'node']);
	}
	for (let i = 0; i < 20; i++)
		out.push([`${libc};main;coder_run;lzma_code;lzma2_encode;lzma_lzma_encode;` +
			`lzma_mf_bt4_find;bt_find_func`, 20 + rand(20), 'xz']);
	return out;
}

// The same program before and after a change that makes slow_path do 3x the work.
function diffStacks(slow) {
	return [
		['main;run;parse;tokenize', 200],
		['main;run;parse', 100],
		['main;run;slow_path;hash_block', 100 * slow],
		['main;run;render;k:sys_write', 150],
		['main;run;render;format', 150],
		['main;idle_loop', 100],
	];
}

const KIND = process.argv[3] || 'small';
const STACKS = { small: SMALL, deep: deep(), base: diffStacks(1), new: diffStacks(3) }[KIND];
if (!STACKS) {
	console.error(`make_pprof.js: unknown kind '${KIND}'`);
	process.exit(2);
}

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
for (const [folded, count, comm] of STACKS) {
	const ids = folded.split(';').map((spec) => {
		// (a location per frame spec: identical names share one)
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
		msg(3, [int(1, str('comm')), int(2, str(comm || 'app'))])]));
}
for (const [name, id] of functions) out.push(msg(5, [int(1, id), int(2, str(name))]));
out.push(msg(11, [int(1, str('cpu')), int(2, str('nanoseconds'))]));
out.push(int(12, 10101010));
out.push(int(14, str('cpu')));
// the string table last: every index is known by now
for (const s of strings) out.push(bytes(6, [...Buffer.from(s, 'utf8')]));

fs.writeFileSync(process.argv[2], Buffer.from(out.flat()));
console.log(JSON.stringify(STACKS));
