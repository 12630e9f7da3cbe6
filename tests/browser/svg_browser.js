// SPDX-License-Identifier: MIT
// Drive flamed's SVG flame graphs in headless Chromium. Usage: node svg_browser.js DIR
// [SCREENSHOT.png]; DIR holds what test_svg_browser.sh made with make_pprof.js and flamed report:
//   flame.svg + small.json  hover details, click to zoom, search with the matched share, reset;
//   deep.svg               a deep whole-host graph: the root in view on open at 1300x900, the
//                          graph as wide as the window (and after a resize; 1200 px as an
//                          <img>), the bars kept on screen, the icicle toggle and its URL
//                          fragment, zoom keeps the frame in view;
//   diff.svg + base.json + new.json  the differential graph: colours, hover, legend.
// The *.json files are what make_pprof.js printed (root-first stacks and counts).
// Prints one "ok:"/"FAIL:" line per check and a closing "N passed, N failed"; exit 1 on failure.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { chromium } = require('playwright-core');

const [dir, screenshot] = process.argv.slice(2);
const svgPath = path.join(dir, 'flame.svg');
const readJson = (name) => JSON.parse(fs.readFileSync(path.join(dir, name), 'utf8'));
const stacks = readJson('small.json');
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

		await deepGraph(page);
		await diffGraph(page);

		check('no network requests', external.length === 0, external.join(' '));
		check('no script errors', errors.length === 0, errors.join(' | '));
	} finally {
		await context.close();
		fs.rmSync(userDataDir, { recursive: true, force: true });
	}
}

// Geometry on screen (CSS px, relative to the viewport) of the first frame named name.
const onScreen = (page, name) => page.evaluate((n) => {
	const it = fg.items.find((i) => i.name === n);
	const b = it.r.getBoundingClientRect();
	return { top: b.top, bottom: b.bottom, left: b.left, right: b.right, w: b.width,
		shown: getComputedStyle(it.g).display !== 'none', label: it.t.textContent,
		textW: it.t.getComputedTextLength() };
}, name);
const inView = (b, vw, vh) => b.shown && b.top >= 0 && b.bottom <= vh && b.left >= 0 && b.right <= vw;
const settle = (page) => page.evaluate(() => new Promise((r) =>
	requestAnimationFrame(() => requestAnimationFrame(r))));
const loadGraph = async (page, file, hash = '') => {
	const t0 = Date.now();
	await page.goto('file://' + path.resolve(dir, file) + hash);
	await page.waitForFunction(() => typeof fg !== 'undefined' && fg.items.length > 0);
	await settle(page);
	return Date.now() - t0;
};

// A whole-host graph 1702 px tall, in a 1300x900 window.
async function deepGraph(page) {
	const W = 1300;
	const H = 900;
	await page.setViewportSize({ width: W, height: H });
	const ms = await loadGraph(page, 'deep.svg');
	const info = await page.evaluate(() => ({ H: fg.H, n: fg.items.length, maxDepth:
		Math.max(...fg.items.map((i) => i.depth)), svgW: document.documentElement
		.getBoundingClientRect().width, scrollY: window.pageYOffset }));
	console.log(`deep graph: ${info.n} frames, ${info.maxDepth + 1} levels, ${info.H} px tall, ` +
		`loaded in ${ms} ms`);
	check('deep graph is taller than the window', info.H > 1.5 * H && info.maxDepth >= 99,
		JSON.stringify(info));
	const root = await onScreen(page, 'all');
	check('root frame in the viewport on open', inView(root, W, H), JSON.stringify(root));
	// without its script (as an <img>) the file is a plain 1200 px wide flame graph
	fs.writeFileSync(path.join(dir, 'img.html'), '<!DOCTYPE html><img id="g" src="deep.svg">');
	await page.goto('file://' + path.resolve(dir, 'img.html'));
	const img = await page.evaluate(async () => {
		const g = document.getElementById('g');
		await g.decode();
		return { w: g.naturalWidth, h: g.naturalHeight };
	});
	check('as an <img>, the fixed 1200 px layout', img.w === 1200 && img.h === info.H,
		JSON.stringify(img));
	await loadGraph(page, 'deep.svg');
	for (const comm of ['python3', 'cc1', 'node'])
		check(`process frame ${comm} in the viewport on open`,
			inView(await onScreen(page, comm), W, H));
	check('graph as wide as the window', near(info.svgW, W, 0.5) && near(root.w, W - 2 * XPAD, 0.5),
		`svg ${info.svgW}, root ${root.w}`);
	const title = await page.evaluate(() => document.getElementById('title').getBoundingClientRect());
	check('title bar kept on screen while scrolled to the root', info.scrollY > 0 &&
		title.top >= 0 && title.bottom <= H, JSON.stringify({ y: info.scrollY, top: title.top }));
	await (await page.evaluateHandle(() => fg.items.find((i) => i.name === 'xz').r)).hover();
	const details = await page.evaluate(() => [document.getElementById('details').textContent,
		document.getElementById('details').getBoundingClientRect().bottom]);
	check('hover details shown in the viewport', /^Function: xz \(/.test(details[0]) &&
		details[1] <= H, JSON.stringify(details));

	// The window gets narrower: so does the graph, and the labels fit again.
	await page.setViewportSize({ width: 800, height: H });
	await settle(page);
	const svgW = await page.evaluate(() => document.documentElement.getBoundingClientRect().width);
	const root8 = await onScreen(page, 'all');
	check('after a resize to 800 px the graph is 800 px wide', near(svgW, 800, 0.5) &&
		near(root8.w, 800 - 2 * XPAD, 0.5) && near(root8.left, XPAD, 0.5),
		`svg ${svgW}, root ${JSON.stringify(root8)}`);
	const overflow = await page.evaluate(() => fg.items.filter((i) => i.t.textContent &&
		i.t.getComputedTextLength() > +i.r.getAttribute('width')).map((i) => i.name));
	check('labels re-fit to the narrower frames', overflow.length === 0, overflow.slice(0, 5).join());
	const search = await page.evaluate(() => document.getElementById('search').getBoundingClientRect());
	check('Search button follows the right edge', search.right <= 800 && search.right > 700,
		search.right);

	// Zoom keeps the clicked frame in view: a frame ~60 levels up.
	const deepName = 'method_3';
	await page.evaluate((n) => {
		const it = fg.items.filter((i) => i.name === n).sort((a, b) => b.w - a.w)[0];
		it.r.dispatchEvent(new MouseEvent('click', { bubbles: true }));
	}, deepName);
	await settle(page);
	const zoomed = await page.evaluate(() => {
		const b = fg.zoomed.r.getBoundingClientRect();
		return { top: b.top, bottom: b.bottom, w: b.width, depth: fg.zoomed.depth };
	});
	check('zoomed frame spans the window and is in view', near(zoomed.w, 800 - 2 * XPAD, 0.5) &&
		zoomed.top >= 0 && zoomed.bottom <= H, JSON.stringify(zoomed));

	// Icicle: the root at the top, remembered in the URL fragment.
	await page.keyboard.press('Escape');
	await page.click('#orient');
	await settle(page);
	const ice = await page.evaluate(() => ({ hash: location.hash, y: window.pageYOffset,
		label: document.getElementById('orient').textContent }));
	const iceRoot = await onScreen(page, 'all');
	const iceLeaf = await onScreen(page, 'bt_find_func');
	check('icicle toggle sets #icicle', ice.hash === '#icicle' && ice.label === 'Flame',
		JSON.stringify(ice));
	check('icicle: root at the top, in view', inView(iceRoot, 800, H) && iceRoot.top < 60 &&
		iceLeaf.top > iceRoot.top, JSON.stringify([iceRoot, iceLeaf]));
	await page.reload();
	await page.waitForFunction(() => typeof fg !== 'undefined' && fg.items.length > 0);
	await settle(page);
	const reRoot = await onScreen(page, 'all');
	check('icicle layout remembered across a reload', await page.evaluate(() => fg.icicle) &&
		inView(reRoot, 800, H) && reRoot.top < 60, JSON.stringify(reRoot));
	// zoom on a deep frame in the icicle layout: it is scrolled into view
	await page.evaluate((n) => {
		const it = fg.items.filter((i) => i.name === n).sort((a, b) => b.depth - a.depth)[0];
		it.r.dispatchEvent(new MouseEvent('click', { bubbles: true }));
	}, '_PyEval_EvalFrameDefault');
	await settle(page);
	const iz = await page.evaluate(() => {
		const b = fg.zoomed.r.getBoundingClientRect();
		return { top: b.top, bottom: b.bottom, depth: fg.zoomed.depth, y: window.pageYOffset };
	});
	check('icicle: zoom on a frame below the fold scrolls it into view', iz.depth > 60 &&
		iz.y > 0 && iz.top >= 0 && iz.bottom <= H, JSON.stringify(iz));
	await page.click('#orient');
	await settle(page);
	const back = await page.evaluate(() => ({ hash: location.hash, icicle: fg.icicle }));
	const bz = await page.evaluate(() => {
		const b = fg.zoomed.r.getBoundingClientRect();
		return { top: b.top, bottom: b.bottom };
	});
	check('back to flame: fragment cleared, zoomed frame still in view', back.hash === '' &&
		!back.icicle && bz.top >= 0 && bz.bottom <= H, JSON.stringify([back, bz]));
}

// The differential graph of make_pprof.js's base and new: slow_path does 3x the work.
async function diffGraph(page) {
	const base = readJson('base.json');
	const now = readJson('new.json');
	const sum = (st, prefix) => st.filter(([f]) => f === prefix || f.startsWith(prefix + ';'))
		.reduce((n, [, c]) => n + c, 0);
	const tb = sum(base, 'main');
	const tn = sum(now, 'main');
	await page.setViewportSize({ width: 1200, height: 600 });
	await loadGraph(page, 'diff.svg');
	const fill = (name) => page.evaluate((n) => fg.items.find((i) => i.name === n).fill, name);
	const rgb = async (name) => (await fill(name)).match(/\d+/g).map(Number);
	const change = (prefix) => sum(now, prefix) / tn - sum(base, prefix) / tb;
	check('slow_path grew: red', change('main;run;slow_path') > 0 &&
		(await rgb('slow_path'))[0] === 255 && (await rgb('slow_path'))[2] < 100, await fill('slow_path'));
	check('parse shrank in share: blue', change('main;run;parse') < 0 &&
		(await rgb('parse'))[2] > 225 && (await rgb('parse'))[0] < 225, await fill('parse'));
	const [r1, r2] = [await rgb('tokenize'), await rgb('parse')];
	check('smaller change, paler blue', r1[0] > r2[0], `${r1} vs ${r2}`);
	const g = await rgb('main');
	check('unchanged share: grey', g[0] === g[1] && g[1] === g[2], g.join());
	const w = await page.evaluate(() => fg.items.find((i) => i.name === 'slow_path').w);
	check('widths from NEW', near(w, sum(now, 'main;run;slow_path') / tn * FULL), w);
	await (await page.evaluateHandle(() => fg.items.find((i) => i.name === 'slow_path').r)).hover();
	const details = await page.evaluate(() => document.getElementById('details').textContent);
	const pct = (n, t) => (100 * n / t).toFixed(2);
	const want = `Function: slow_path (${sum(now, 'main;run;slow_path')} samples, ` +
		`${pct(sum(now, 'main;run;slow_path'), tn)}%; base ${sum(base, 'main;run;slow_path')} ` +
		`samples, ${pct(sum(base, 'main;run;slow_path'), tb)}%; +` +
		`${(100 * change('main;run;slow_path')).toFixed(2)} points)`;
	check('hover shows both values and the change', details === want, `${details} != ${want}`);
	const legend = await page.evaluate(() => {
		const l = document.getElementById('legend');
		return l ? { rects: l.getElementsByTagName('rect').length, text: l.textContent,
			box: l.getBoundingClientRect().width } : null;
	});
	check('legend shows the colour scale', legend && legend.rects >= 5 && /grew/.test(legend.text) &&
		legend.box > 100, JSON.stringify(legend));
	await page.click('#orient');
	await settle(page);
	const top = await onScreen(page, 'all');
	check('differential graph in the icicle layout', top.top < 80 && top.shown, JSON.stringify(top));
}

main().then(() => {
	console.log(`${passed} passed, ${failed} failed`);
	process.exit(failed ? 1 : 0);
}, (e) => {
	console.log(`FAIL: ${e.stack || e}`);
	console.log(`${passed} passed, ${failed + 1} failed`);
	process.exit(1);
});
