// SPDX-License-Identifier: MIT
// Drive flamed's SVG flame graph in headless Chromium: hover details, click to zoom, search with
// the matched percentage, reset. Usage: node svg_browser.js FLAMEGRAPH.svg STACKS_JSON
// [SCREENSHOT.png]. STACKS_JSON is what make_pprof.js printed (root-first stacks and counts).
// Prints one "ok:"/"FAIL:" line per check and a closing "N passed, N failed"; exit 1 on failure.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { chromium } = require('playwright-core');

const [svgPath, stacksJson, screenshot] = process.argv.slice(2);
const stacks = JSON.parse(stacksJson);
const XPAD = 10;
const FULL = 1200 - 2 * XPAD;
let passed = 0;
let failed = 0;

function check(what, cond, detail) {
	if (cond) {
		passed++;
		console.log(`ok: ${what}`);
	} else {
		failed++;
		console.log(`FAIL: ${what}${detail === undefined ? '' : ` (${detail})`}`);
	}
}
const near = (a, b, eps = 0.02) => Math.abs(a - b) <= eps;

// Samples whose stack contains a frame matching re: the share search must report.
function expectedShare(re) {
	let hit = 0;
	let total = 0;
	for (const [folded, count] of stacks) {
		total += count;
		if (folded.split(';').some((f) => re.test(f.replace(/^k:/, '')))) hit += count;
	}
	return { hit, total };
}
const samplesUnder = (prefix) =>
	stacks.filter(([f]) => f === prefix || f.startsWith(prefix + ';')).reduce((n, [, c]) => n + c, 0);

async function main() {
	const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'flamed-chromium-'));
	const context = await chromium.launchPersistentContext(userDataDir, {
		executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
		headless: true,
		viewport: { width: 1200, height: 400 },
		args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
			'--disable-background-networking', '--disable-component-update', '--disable-sync'],
	});
	try {
		const page = context.pages()[0] || (await context.newPage());
		const external = [];
		const errors = [];
		page.on('request', (r) => { if (!r.url().startsWith('file:')) external.push(r.url()); });
		page.on('pageerror', (e) => errors.push(String(e)));
		await page.goto('file://' + path.resolve(svgPath));
		await page.waitForFunction(() => typeof fg !== 'undefined' && fg.items.length > 0);

		// Geometry of a frame found by name (the <title> up to " (").
		const frame = (name) => page.evaluate((n) => {
			const it = fg.items.find((i) => i.name === n);
			if (!it) return null;
			const box = it.r.getBoundingClientRect();
			return { x: +it.r.getAttribute('x'), w: +it.r.getAttribute('width'),
				shown: getComputedStyle(it.g).display !== 'none', cls: it.g.getAttribute('class'),
				fill: it.r.getAttribute('fill'), label: it.t.textContent, boxW: box.width,
				value: it.value };
		}, name);
		const text = (id) => page.evaluate((i) => document.getElementById(i).textContent, id);
		const visible = (id) => page.evaluate((i) =>
			getComputedStyle(document.getElementById(i)).display !== 'none', id);
		const total = stacks.reduce((n, [, c]) => n + c, 0);

		// Initial layout: widths proportional to samples.
		const alpha0 = await frame('alpha');
		check('alpha drawn with its share', alpha0 && near(alpha0.w, samplesUnder('main;alpha') / total * FULL),
			JSON.stringify(alpha0));
		check('Reset Zoom hidden before any zoom', !(await visible('unzoom')));

		// Hover: the details line names the function, samples and percentage.
		const alphaRect = await page.evaluateHandle(() => fg.items.find((i) => i.name === 'alpha').r);
		await alphaRect.hover();
		const details = await text('details');
		const share = (100 * samplesUnder('main;alpha') / total).toFixed(2);
		check('hover shows function details',
			details === `Function: alpha (${samplesUnder('main;alpha')} samples, ${share}%)`, details);

		if (screenshot) {
			// fullPage hangs on an SVG document: size the viewport to the image instead
			const height = await page.evaluate(() => +document.documentElement.getAttribute('height'));
			await page.setViewportSize({ width: 1200, height });
			await alphaRect.hover();
			await page.screenshot({ path: screenshot });
			console.log(`screenshot: ${screenshot}`);
		}

		// Click to zoom: alpha spans the full width, its children scale with it.
		await alphaRect.click();
		const alpha = await frame('alpha');
		check('zoomed frame spans the full width', near(alpha.x, XPAD) && near(alpha.w, FULL),
			JSON.stringify(alpha));
		check('zoomed frame fills the viewport on screen', near(alpha.boxW, FULL, 1), alpha.boxW);
		const leaf1 = await frame('leaf1');
		check('child rescaled to its share of the zoomed frame',
			near(leaf1.w, samplesUnder('main;alpha;leaf1') / samplesUnder('main;alpha') * FULL),
			JSON.stringify(leaf1));
		check('child label grows with the zoom', leaf1.label === 'leaf1', leaf1.label);
		check('sibling subtree hidden', !(await frame('beta')).shown && !(await frame('format')).shown);
		const main = await frame('main');
		check('ancestor full width and marked parent', near(main.w, FULL) && /parent/.test(main.cls),
			JSON.stringify(main));
		check('Reset Zoom shown while zoomed', await visible('unzoom'));

		// Search (the prompt answered with a regex): matched percentage counts nested hits once.
		const term = '^(alpha|leaf1)$';
		page.once('dialog', (d) => d.accept(term));
		await page.click('#search');
		const want = expectedShare(new RegExp(term));
		const matched = await text('matched');
		check('search shows the matched share', matched ===
			`Matched: ${(100 * want.hit / want.total).toFixed(1)}% (${want.hit} of ${want.total} samples)`,
			matched);
		check('matches highlighted', (await frame('leaf1')).fill === 'rgb(230,0,230)' &&
			(await frame('leaf2')).fill !== 'rgb(230,0,230)');

		// A term that is not a valid regex still searches, as text.
		page.once('dialog', (d) => d.accept('<&>(char*'));
		await page.click('#search'); // "Reset Search"
		check('reset search clears the share', (await text('matched')).trim() === '');
		await page.click('#search');
		const lit = stacks.filter(([f]) => f.includes('<&>(char*')).reduce((n, [, c]) => n + c, 0);
		check('text search on an escaped name', (await text('matched')) ===
			`Matched: ${(100 * lit / total).toFixed(1)}% (${lit} of ${total} samples)`,
			await text('matched'));

		// Reset zoom: back to the first layout.
		await page.click('#unzoom');
		const alpha1 = await frame('alpha');
		check('reset zoom restores widths', near(alpha1.w, alpha0.w) && near(alpha1.x, alpha0.x),
			JSON.stringify(alpha1));
		check('reset zoom shows hidden frames', (await frame('beta')).shown);
		check('Reset Zoom hidden again', !(await visible('unzoom')));

		// Escape resets zoom and search together.
		await (await page.evaluateHandle(() => fg.items.find((i) => i.name === 'beta').r)).click();
		check('zoom on beta', near((await frame('beta')).w, FULL));
		await page.keyboard.press('Escape');
		check('Escape resets the zoom', near((await frame('beta')).w,
			samplesUnder('main;beta') / total * FULL));
		check('Escape resets the search', (await text('matched')).trim() === '');

		check('no network requests', external.length === 0, external.join(' '));
		check('no script errors', errors.length === 0, errors.join(' | '));
	} finally {
		await context.close();
		fs.rmSync(userDataDir, { recursive: true, force: true });
	}
}

main().then(() => {
	console.log(`${passed} passed, ${failed} failed`);
	process.exit(failed ? 1 : 0);
}, (e) => {
	console.log(`FAIL: ${e.stack || e}`);
	console.log(`${passed} passed, ${failed + 1} failed`);
	process.exit(1);
});
