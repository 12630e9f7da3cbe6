"use strict";
var fg = {items: [], zoomed: null, term: null, icicle: false, eps: 0.02};
function fg_init(evt) {
  var doc = evt.target.ownerDocument || document, svg = doc.documentElement;
  var frames = doc.getElementById('frames');
  var num = function (k) { return +frames.getAttribute('data-' + k); };
  fg.svg = svg; fg.W0 = +svg.getAttribute('width'); fg.W = fg.W0;
  fg.H = +svg.getAttribute('height'); fg.xpad = num('xpad'); fg.total = num('total');
  fg.unit = frames.getAttribute('data-unit'); fg.fontw = num('fontw');
  fg.fh = num('fh'); fg.top = num('top'); fg.bottom = num('bottom');
  fg.narrow = frames.getAttribute('data-narrow') != '0';
  ['details', 'unzoom', 'search', 'matched', 'orient', 'title', 'head', 'foot',
    'legend'].forEach(function (id) { fg[id] = doc.getElementById(id); });
  fg.right = [].map.call(doc.querySelectorAll('[data-right]'), function (el) {
    return {el: el, d: +el.getAttribute('data-right')};
  });
  fg.bars = [].slice.call(doc.querySelectorAll('.wide'));
  var gs = frames.getElementsByTagName('g');
  for (var i = 0; i < gs.length; i++) {
    var g = gs[i], r = g.getElementsByTagName('rect')[0];
    var t = g.getElementsByTagName('text')[0];
    var title = g.getElementsByTagName('title')[0].textContent;
    var m = /^([\s\S]*) \((\d+) [^(]*\)$/.exec(title);
    var y = +r.getAttribute('y');
    g.fg_index = i;
    fg.items.push({g: g, r: r, t: t, title: title, name: m ? m[1] : title,
      value: m ? +m[2] : 0, cls: g.getAttribute('class'), x: +r.getAttribute('x'),
      w: +r.getAttribute('width'), fill: r.getAttribute('fill'), label: t.textContent,
      depth: Math.round((fg.H - fg.bottom - y + 1) / fg.fh) - 1, shown: '',
      xs: r.getAttribute('x'), ws: r.getAttribute('width'), y: y});
    fg.items[i].agg = fg.items[i].cls == 'a';
  }
  frames.addEventListener('click', function (e) {
    var it = fg_item(e.target); if (it) fg_zoom(it);
  });
  frames.addEventListener('mouseover', function (e) {
    var it = fg_item(e.target);
    if (it) fg.details.textContent = (it.agg ? '' : 'Function: ') + it.title;
  });
  frames.addEventListener('mouseout', function () { fg.details.textContent = ' '; });
  fg.unzoom.addEventListener('click', fg_reset_zoom);
  fg.orient.addEventListener('click', function () { fg_orient(!fg.icicle, true); });
  fg.search.addEventListener('click', function () {
    if (fg.term === null) fg_search_prompt(); else fg_reset_search();
  });
  window.addEventListener('keydown', function (e) {
    if (e.keyCode == 114 || ((e.ctrlKey || e.metaKey) && e.keyCode == 70)) {
      e.preventDefault(); fg_search_prompt();
    } else if (e.keyCode == 27) { fg_reset_zoom(); fg_reset_search(); }
  });
  window.addEventListener('resize', function () {
    if (fg.queued) return;
    fg.queued = true;
    requestAnimationFrame(function () { fg.queued = false; fg_layout(false); });
  });
  window.addEventListener('scroll', fg_stick);
  window.addEventListener('hashchange', function () { fg_orient(fg_hash(), false); });
  if ('scrollRestoration' in history) history.scrollRestoration = 'manual';
  /* from here on the graph takes the window's width */
  svg.setAttribute('width', '100%');
  fg.icicle = fg_hash();
  fg.orient.textContent = fg.icicle ? 'Flame' : 'Icicle';
  fg_layout(fg.icicle);
  fg_home();
}
function fg_hash() { return location.hash == '#icicle'; }
function fg_item(el) {
  while (el && !(el.tagName == 'g' && el.fg_index !== undefined)) el = el.parentNode;
  return el ? fg.items[el.fg_index] : null;
}
/* The file is drawn for W0 px wide, root at the bottom: redraw for any other width. */
function fg_layout(force) {
  var W = fg.svg.getBoundingClientRect().width || fg.W0;
  W = Math.max(W, 2 * fg.xpad + 100);
  if (W != fg.W || force) {
    fg.W = W;
    fg.svg.setAttribute('viewBox', '0 0 ' + W + ' ' + fg.H);
    fg.right.forEach(function (r) { r.el.setAttribute('x', W - r.d); });
    fg.bars.forEach(function (b) { b.setAttribute('width', W); });
    fg.title.setAttribute('x', W / 2);
    if (fg.legend)
      fg.legend.setAttribute('transform', 'translate(' + (W - fg.W0) / 2 + ',0)');
    fg_draw();
  }
  fg_stick();
}
function fg_label(name, w) {
  var fit = Math.floor((w - 6) / fg.fontw);
  if (fit < 3) return '';
  return name.length <= fit ? name : name.substring(0, fit - 2) + '..';
}
function fg_y(it) {
  return fg.icicle ? fg.top + it.depth * fg.fh + 1 :
    fg.H - fg.bottom - (it.depth + 1) * fg.fh + 1;
}
/* attributes are written only when they change: big graphs have many frames */
function fg_place(it, x, w) {
  var y = fg_y(it), s = x.toFixed(2), label;
  if (s !== it.xs) {
    it.xs = s; it.r.setAttribute('x', s); it.t.setAttribute('x', (x + 3).toFixed(2));
  }
  s = w.toFixed(2);
  if (s !== it.ws) {
    it.ws = s; it.r.setAttribute('width', s); label = fg_label(it.name, w);
    if (label !== it.label) { it.t.textContent = label; it.label = label; }
  }
  if (y !== it.y) { it.y = y; it.r.setAttribute('y', y); it.t.setAttribute('y', y + 10.5); }
}
function fg_show(it, cls) {
  if (cls === it.shown) return;
  it.shown = cls;
  it.g.setAttribute('class', it.cls + (cls ? ' ' + cls : ''));
}
/* Place every frame for the window's width, the zoom and the orientation. */
function fg_draw() {
  var z = fg.zoomed, full = fg.W - 2 * fg.xpad, eps = fg.eps;
  var zx = z ? z.x : fg.xpad, ratio = full / (z ? z.w : fg.W0 - 2 * fg.xpad);
  fg.items.forEach(function (it) {
    var cls = '';
    if (z && it.depth <= z.depth) {
      if (it.x <= z.x + eps && it.x + it.w >= z.x + z.w - eps) {
        fg_place(it, fg.xpad, full); if (it !== z) cls = 'parent';
      } else {
        cls = 'hide';
      }
    } else if (!z || (it.x >= z.x - eps && it.x + it.w <= z.x + z.w + eps)) {
      fg_place(it, fg.xpad + (it.x - zx) * ratio, it.w * ratio);
    } else {
      cls = 'hide';
    }
    fg_show(it, cls);
  });
}
/* The title bar and the details line stay on screen while a tall graph scrolls. */
function fg_stick() {
  var top = window.pageYOffset || 0, vh = window.innerHeight || fg.H;
  var h = Math.max(0, Math.min(top, fg.H - fg.top)), f = Math.min(0, top + vh - fg.H);
  fg.head.setAttribute('transform', 'translate(0,' + h + ')');
  fg.head.setAttribute('class', h > 0 ? 'stuck' : '');
  fg.foot.setAttribute('transform', 'translate(0,' + f + ')');
  fg.foot.setAttribute('class', f < 0 ? 'stuck' : '');
}
/* Scroll it between the bars if it is not: just above the details line in a flame graph
   (its callees above it), just under the title bar in an icicle graph. */
function fg_reveal(it) {
  var y = fg_y(it), top = window.pageYOffset || 0, vh = window.innerHeight || fg.H;
  if (y >= top + fg.top && y + fg.fh <= top + vh - fg.bottom) return;
  window.scrollTo(0, fg.icicle ? y - fg.top - fg.fh : y + 2 * fg.fh + fg.bottom - vh);
  fg_stick();
}
/* The root (or the zoomed frame) in view. */
function fg_home() {
  if (fg.zoomed) fg_reveal(fg.zoomed); else window.scrollTo(0, fg.icicle ? 0 : fg.H);
  fg_stick();
}
function fg_orient(icicle, save) {
  if (icicle === fg.icicle) return;
  fg.icicle = icicle;
  fg.orient.textContent = icicle ? 'Flame' : 'Icicle';
  if (save) {
    var url = location.href.split('#')[0] + (icicle ? '#icicle' : '');
    try { history.replaceState(null, '', url); } catch (e) { location.replace(url); }
  }
  fg_draw(); fg_home();
}
function fg_zoom(z) {
  fg.zoomed = z;
  fg.unzoom.setAttribute('class', '');
  fg_draw(); fg_reveal(z);
}
function fg_reset_zoom() {
  fg.zoomed = null;
  fg.unzoom.setAttribute('class', 'hide');
  fg_draw();
}
function fg_search_prompt() {
  var term = prompt('Search for (regular expression or text):', fg.term || '');
  if (term === null) return;
  if (term === '') fg_reset_search(); else fg_search(term);
}
function fg_search(term) {
  var re, hits = [], end = -Infinity, sum = 0;
  try { re = new RegExp(term); } catch (e) {
    re = new RegExp(term.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  }
  fg_reset_search();
  fg.items.forEach(function (it) {
    if (!it.agg && re.test(it.name)) {
      it.r.setAttribute('fill', 'rgb(230,0,230)'); hits.push(it);
    }
  });
  /* count each matched subtree once: outermost match first at each x. Frames too narrow
     to draw are not searchable, so with any of them the share is a lower bound. */
  hits.sort(function (a, b) { return a.x - b.x || a.depth - b.depth; });
  hits.forEach(function (it) {
    if (it.x >= end - fg.eps) { sum += it.value; end = it.x + it.w; }
  });
  fg.term = term;
  fg.search.setAttribute('class', 'show'); fg.search.textContent = 'Reset Search';
  fg.matched.textContent = 'Matched: ' + (fg.narrow ? '\u2265' : '') +
    (fg.total ? 100 * sum / fg.total : 0).toFixed(1) + '% (' + sum + ' of ' + fg.total +
    ' ' + fg.unit + ')';
  return sum;
}
function fg_reset_search() {
  fg.term = null;
  fg.items.forEach(function (it) { it.r.setAttribute('fill', it.fill); });
  fg.search.setAttribute('class', ''); fg.search.textContent = 'Search';
  fg.matched.textContent = ' ';
}
