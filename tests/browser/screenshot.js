// SPDX-License-Identifier: MIT
// Picture of a flamed SVG as a browser shows it on open (how the README's pictures are taken).
// Usage: node screenshot.js GRAPH.svg OUT.png [WIDTH [HEIGHT [HOVER_FRAME]]]
// WIDTH x HEIGHT is the window (default 1200 x the graph's height, at most 900); HOVER_FRAME
// names a frame to point at (the widest of that name), so the details line shows its values.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { chromium } = require('playwright-core');

async function main() {
	const [svg, out, width, height, hover] = process.argv.slice(2);
	if (!svg || !out) {
		console.error('usage: node screenshot.js GRAPH.svg OUT.png [WIDTH [HEIGHT [HOVER_FRAME]]]');
		process.exit(2);
	}
	const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'flamed-chromium-'));
	const context = await chromium.launchPersistentContext(userDataDir, {
		executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
		headless: true,
		viewport: { width: +width || 1200, height: 400 },
		args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run',
			'--disable-background-networking', '--disable-component-update', '--disable-sync'],
	});
	try {
		const page = context.pages()[0] || (await context.newPage());
		await page.goto('file://' + path.resolve(svg));
		await page.waitForFunction(() => typeof fg !== 'undefined');
		const h = await page.evaluate(() => fg.H);
		// fullPage hangs on an SVG document: size the window instead
		await page.setViewportSize({ width: +width || 1200, height: +height || Math.min(h, 900) });
		await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => r())));
		await page.evaluate(() => fg_home());
		if (hover) {
			const r = await page.evaluateHandle((n) => fg.items.filter((i) => i.name === n)
				.sort((a, b) => b.w - a.w)[0].r, hover);
			await r.hover();
		}
		await page.screenshot({ path: out });
	} finally {
		await context.close();
		fs.rmSync(userDataDir, { recursive: true, force: true });
	}
}

main().catch((e) => {
	console.error(e.stack || String(e));
	process.exit(1);
});
