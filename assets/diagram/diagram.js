// The studio's diagram: a Graphviz SVG drawn by the server, with zoom, pan, search, full
// screen, click to select, and marks on the nodes that a design change touched.
//
// A Streamlit Components v2 module: Streamlit calls the default export with the data of each
// run, in the same shadow root for as long as the element stays on the page, so the DOM built
// here is kept and only the drawing is swapped. The view (scale and centre, anchored on the
// node nearest the centre) is kept per diagram key in this module, which lives as long as the
// browser tab, and in sessionStorage, so it survives reruns, page visits and reloads; after a
// change of level it is put back on the same node where that node is still drawn.
//
// Nodes are found by their SVG ids, which the renderer writes as "n:" + the analysis key
// (a block, layer or stage) and "c:" + a block's key for an opened block's box.

const VIEWS = new Map(); // diagram key -> {s, cx, cy, anchor: {id, dx, dy}, token}
const STORE = "inception-studio.diagram.";
const MIN_SCALE = 0.03;
const MAX_SCALE = 6;

function loadView(key) {
  if (VIEWS.has(key)) return VIEWS.get(key);
  try {
    const text = window.sessionStorage.getItem(STORE + key);
    if (text) {
      const v = JSON.parse(text);
      if (v && Number.isFinite(v.s) && Number.isFinite(v.cx) && Number.isFinite(v.cy)) {
        VIEWS.set(key, v);
        return v;
      }
    }
  } catch (e) { /* no storage (private window): the view lives as long as the tab */ }
  return null;
}

function saveView(key, v) {
  VIEWS.set(key, v);
  try { window.sessionStorage.setItem(STORE + key, JSON.stringify(v)); } catch (e) { /* see loadView */ }
}

// --- colours: the diagram takes the page's background; text keeps a contrast of 4.5:1 ------

function parseColor(text) {
  if (!text) return null;
  text = text.trim().toLowerCase();
  if (text === "black") return [0, 0, 0];
  if (text === "white") return [255, 255, 255];
  let m = /^#([0-9a-f]{6})$/.exec(text);
  if (m) return [0, 2, 4].map((i) => parseInt(m[1].slice(i, i + 2), 16));
  m = /^#([0-9a-f]{3})$/.exec(text);
  if (m) return [0, 1, 2].map((i) => parseInt(m[1][i] + m[1][i], 16));
  m = /^rgba?\(([^)]+)\)$/.exec(text);
  if (m) {
    const parts = m[1].split(/[ ,/]+/).filter(Boolean).map(Number);
    if (parts.length >= 3 && (parts.length < 4 || parts[3] > 0)) return parts.slice(0, 3);
  }
  return null;
}

function luminance(rgb) {
  const lin = (c) => { const s = c / 255; return s <= 0.04045 ? s / 12.92 : Math.pow((s + 0.055) / 1.055, 2.4); };
  return 0.2126 * lin(rgb[0]) + 0.7152 * lin(rgb[1]) + 0.0722 * lin(rgb[2]);
}

function contrast(a, b) {
  const x = luminance(a), y = luminance(b);
  return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05);
}

// --- the instance ------------------------------------------------------------------------------

function el(tag, cls, attrs) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  return e;
}

class Diagram {
  constructor(root) {
    this.host = root; // the shadow root Streamlit gives us
    this.key = null;
    this.svgText = null;
    this.s = 1; this.tx = 0; this.ty = 0;
    this.nodes = []; // {id, key, el, x, y, w, h} in drawing units
    this.byId = new Map();
    this.words = {};
    this.pan = false;
    this.full = false;
    this.selected = null;
    this.build();
  }

  build() {
    this.el = el("div", "sd", { "data-testid": "diagram" });
    this.bar = el("div", "sd-bar");
    this.search = el("input", "sd-search", { type: "search", "aria-label": "Find a node", list: "sd-names", autocomplete: "off", spellcheck: "false" });
    this.names = el("datalist", "", { id: "sd-names" });
    this.msg = el("span", "sd-msg", { role: "status", "aria-live": "polite" });
    this.zoomText = el("span", "sd-zoom");
    this.buttons = {};
    for (const [act, text] of [["out", "−"], ["in", "+"], ["readable", "1:1"], ["fit", "Fit all"], ["pan", "Pan"], ["full", "Full screen"]]) {
      const b = el("button", "sd-btn", { type: "button", "data-act": act });
      b.textContent = text;
      this.buttons[act] = b;
    }
    this.buttons.pan.setAttribute("aria-pressed", "false");
    this.bar.append(this.search, this.names, this.msg, this.zoomText, ...Object.values(this.buttons));
    this.view = el("div", "sd-view", { tabindex: "0", role: "img" });
    this.stage = el("div", "sd-stage");
    this.marks = el("div", "sd-marks");
    this.view.append(this.stage);
    this.legend = el("div", "sd-legend");
    this.el.append(this.bar, this.view, this.legend);
    this.host.appendChild(this.el);

    this.listen(this.bar, "click", (e) => {
      const b = e.target.closest("button[data-act]");
      if (b) this.act(b.dataset.act);
    });
    this.listen(this.search, "keydown", (e) => {
      if (e.key === "Enter") { e.preventDefault(); this.find(this.search.value); }
      if (e.key === "Escape") { this.search.value = ""; this.msg.textContent = ""; }
    });
    this.listen(this.search, "change", () => this.find(this.search.value));
    this.listen(this.view, "wheel", (e) => this.onWheel(e), { passive: false });
    this.listen(this.view, "pointerdown", (e) => this.onDown(e));
    this.listen(this.view, "pointermove", (e) => this.onMove(e));
    this.listen(this.view, "pointerup", (e) => this.onUp(e));
    this.listen(this.view, "pointercancel", (e) => this.onCancel(e));
    this.listen(this.view, "touchstart", (e) => this.onTouch(e), { passive: false });
    this.listen(this.view, "touchmove", (e) => this.onTouch(e), { passive: false });
    this.listen(this.view, "touchend", (e) => this.onTouch(e), { passive: false });
    this.listen(this.view, "keydown", (e) => this.onKey(e));
    this.listen(this.view, "dblclick", (e) => { e.preventDefault(); this.act("fit"); });
    this.listen(window, "resize", () => this.resize());
    // a diagram drawn while hidden (a closed tab) is measured when it is first shown
    this.observer = new ResizeObserver(() => {
      if (this.view.clientWidth === 0) return;
      if (this.pending) { const d = this.pending; this.pending = null; this.draw(d); this.setSelected(this.selected); this.setMarked(this.markedKeys || []); return; }
      if (this.view.clientWidth !== this.vw) this.resize();
    });
    this.observer.observe(this.view);
    this.listen(document, "keydown", (e) => { if (this.full && e.key === "Escape") this.act("full"); });
  }

  listen(target, type, fn, opts) {
    target.addEventListener(type, fn, opts);
    (this.listeners = this.listeners || []).push([target, type, fn, opts]);
  }

  destroy() {
    for (const [t, type, fn, opts] of this.listeners || []) t.removeEventListener(type, fn, opts);
    this.listeners = [];
    this.observer?.disconnect();
    this.el.remove();
    this.dead = true;
  }

  // -- data from Python, on every run

  update(data) {
    this.setTrigger = data.__setTrigger;
    this.selectable = data.selectable !== false;
    this.words = data.words || {};
    this.applyWords();
    const key = String(data.key || "diagram");
    const svgChanged = data.svg !== this.svgText;
    const keyChanged = key !== this.key;
    this.key = key;
    this.el.dataset.key = key;
    this.el.dataset.theme = data.theme || "";
    this.maxHeight = Number(data.height) || 640;
    this.minPx = Number(data.min_px) || 9;
    this.view.setAttribute("aria-label", data.alt || "");
    this.renderLegend(data.legend || []);
    if (svgChanged || keyChanged) {
      this.svgText = data.svg;
      this.draw(data);
    }
    this.setSelected(data.selected || null);
    this.setMarked(data.marked || []);
    this.flashChanged(data);
    this.el.dataset.rev = String(data.rev || "");
  }

  applyWords() {
    const w = this.words;
    const set = (act, label, title) => {
      const b = this.buttons[act];
      if (label) b.textContent = label;
      if (title) { b.title = title; b.setAttribute("aria-label", title); }
    };
    set("out", null, w.zoom_out); set("in", null, w.zoom_in);
    set("readable", null, w.readable); set("fit", w.fit, w.fit_title);
    set("pan", w.pan, w.pan_title); set("full", this.full ? w.exit_full : w.full, w.full_title);
    if (w.search) { this.search.placeholder = w.search; this.search.setAttribute("aria-label", w.search); }
    if (w.hint) this.view.title = w.hint;
  }

  renderLegend(items) {
    const text = JSON.stringify(items);
    if (text === this.legendText) return;
    this.legendText = text;
    this.legend.replaceChildren(...items.map(([label, color]) => {
      const chip = el("span", "sd-chip");
      const sw = el("i");
      sw.style.background = color; // a colour the renderer chose, set as a property: never markup
      chip.append(sw, document.createTextNode(label));
      return chip;
    }));
  }

  // -- the drawing

  draw(data) {
    const old = loadView(this.key);
    // the server's SVG (ours, from Graphviz, every name escaped), without its XML prolog
    const text = String(data.svg || "");
    const start = text.indexOf("<svg");
    this.stage.innerHTML = start >= 0 ? text.slice(start) : "";
    this.stage.appendChild(this.marks);
    const svg = this.stage.querySelector("svg");
    this.svg = svg;
    if (!svg) { this.nodes = []; return; }
    if (this.view.clientWidth === 0) { this.pending = data; this.nodes = []; this.byId = new Map(); return; }
    const vb = (svg.getAttribute("viewBox") || "").split(/[ ,]+/).map(Number);
    this.W = vb[2] || svg.width.baseVal.value || 100;
    this.H = vb[3] || svg.height.baseVal.value || 100;
    // one drawing unit (a point) = one CSS pixel at scale 1: the scale is the text's size in px / pt
    svg.setAttribute("width", String(this.W));
    svg.setAttribute("height", String(this.H));
    const sizes = [...svg.querySelectorAll("text[font-size]")].map((t) => parseFloat(t.getAttribute("font-size"))).filter((x) => x > 0);
    this.minFont = sizes.length ? Math.min(...sizes) : 10;
    this.themeColors(svg);
    this.resize(false);
    this.index();
    this.names.replaceChildren(...[...new Set(this.nodes.map((n) => n.key))].slice(0, 2000).map((k) => {
      const o = el("option"); o.value = k; return o;
    }));
    let placed = false;
    if (old && old.anchor) {
      const n = this.byId.get(old.anchor.id);
      if (n) {
        this.s = this.clampScale(old.s);
        this.centreOn(n.x + n.w / 2 + old.anchor.dx, n.y + n.h / 2 + old.anchor.dy);
        placed = true;
      }
    }
    if (!placed && old && old.svgKey === this.svgKey()) {
      this.s = this.clampScale(old.s);
      this.centreOn(old.cx, old.cy);
      placed = true;
    }
    if (!placed) this.initialView(data.focus || []);
    this.token = old ? old.token : undefined;
    this.apply();
  }

  svgKey() { return `${this.key}|${this.W}x${this.H}`; }

  themeColors(svg) {
    // the page's background behind the drawing: Graphviz's own background polygon goes
    const bgPoly = svg.querySelector("g.graph > polygon");
    if (bgPoly) bgPoly.style.fill = "var(--st-background-color, " + (bgPoly.getAttribute("fill") || "#fff") + ")";
    const bg = parseColor(getComputedStyle(this.view).backgroundColor);
    const ink = parseColor(getComputedStyle(this.el).color);
    if (!bg || !ink) return;
    // text drawn on the page (titles, stage labels, legend words), not inside a node: kept
    // where it reads at 4.5:1 on this background, else in the theme's text colour
    for (const t of svg.querySelectorAll("text")) {
      if (t.closest("g.node")) continue;
      const fill = parseColor(t.getAttribute("fill") || "black");
      if (fill && contrast(fill, bg) < 4.5) t.style.fill = "var(--st-text-color)";
    }
  }

  index() {
    const s = this.s;
    this.nodes = [];
    this.byId = new Map();
    const stageBox = this.stage.getBoundingClientRect();
    for (const g of this.svg.querySelectorAll('g.node[id^="n:"], g.cluster[id^="c:"]')) {
      const r = g.getBoundingClientRect();
      const title = g.querySelector("a");
      const tip = title ? (title.getAttribute("xlink:title") || title.getAttributeNS("http://www.w3.org/1999/xlink", "title") || "") : "";
      const n = {
        id: g.id, key: g.id.slice(2), el: g, cluster: g.id.startsWith("c:"), tip,
        names: new Set(tip.split(/[\s,:()]+/).filter(Boolean)),  // the words of its tooltip: a folded run lists every name
        x: (r.left - stageBox.left) / s, y: (r.top - stageBox.top) / s, w: r.width / s, h: r.height / s,
      };
      this.nodes.push(n);
      this.byId.set(g.id, n);
    }
  }

  // the node a key names: the opened block's box, the node itself, the folded run that holds
  // it (its tooltip lists every name), or the drawn parent (a layer of a closed block)
  resolve(key) {
    if (key == null) return null;
    key = String(key);
    const direct = this.byId.get("c:" + key) || this.byId.get("n:" + key);
    if (direct) return direct;
    for (const n of this.nodes) {
      if (n.names.has(key)) return n;
    }
    const dot = key.lastIndexOf(".");
    return dot > 0 ? this.resolve(key.slice(0, dot)) : null;
  }

  search_(q) {
    q = q.trim();
    if (!q) return null;
    const low = q.toLowerCase();
    const exact = this.resolve(q);
    if (exact) return exact;
    const tests = [
      (n) => n.key.toLowerCase() === low,
      (n) => n.key.toLowerCase().endsWith("." + low),
      (n) => n.key.toLowerCase().startsWith(low),
      (n) => n.key.toLowerCase().includes(low),
      (n) => n.tip.toLowerCase().split(/[\s,:()]+/).includes(low),
      (n) => n.el.textContent.toLowerCase().includes(low),
    ];
    for (const t of tests) {
      const hit = this.nodes.filter((n) => !n.cluster).find(t) || this.nodes.find(t);
      if (hit) return hit;
    }
    return null;
  }

  find(q) {
    const n = this.search_(q);
    const w = this.words;
    if (!n) {
      this.msg.textContent = q.trim() ? (w.not_found || "Not found: {q}").replace("{q}", q.trim()) : "";
      this.el.dataset.found = "";
      return;
    }
    this.msg.textContent = "";
    this.s = Math.max(this.s, this.readable());
    this.centreOn(n.x + n.w / 2, n.y + n.h / 2);
    this.apply();
    this.mark(n, "sd-flash", 2600);
    this.el.dataset.found = n.key;
  }

  // -- marks: selection (kept), differences (kept), a change (brief)

  markBox(n, cls) {
    const m = el("div", "sd-mark " + cls);
    const pad = 4;
    m.style.left = `${n.x - pad}px`; m.style.top = `${n.y - pad}px`;
    m.style.width = `${n.w + 2 * pad}px`; m.style.height = `${n.h + 2 * pad}px`;
    m.dataset.key = n.key;
    this.marks.appendChild(m);
    return m;
  }

  mark(n, cls, ms) {
    const m = this.markBox(n, cls);
    if (ms) setTimeout(() => m.remove(), ms);
    return m;
  }

  setSelected(key) {
    this.selected = key;
    for (const m of this.marks.querySelectorAll(".sd-selected")) m.remove();
    const n = this.resolve(key);
    if (n) this.markBox(n, "sd-selected");
    this.el.dataset.selected = key || "";
  }

  setMarked(keys) {
    this.markedKeys = keys;
    for (const m of this.marks.querySelectorAll(".sd-diff")) m.remove();
    const seen = new Set();
    for (const k of keys) {
      const n = this.resolve(k);
      if (n && !seen.has(n.id)) { seen.add(n.id); this.markBox(n, "sd-diff"); }
    }
    this.el.dataset.marked = String(seen.size);
  }

  flashChanged(data) {
    const token = data.change_token;
    if (token == null || token === this.token) return;
    this.token = token;
    const found = [];
    for (const k of data.changed || []) {
      const n = this.resolve(k);
      if (n && !found.includes(n)) found.push(n);
    }
    this.el.dataset.changed = found.map((n) => n.key).join(" ");
    if (found.length) {
      for (const n of found) this.mark(n, "sd-flash", 2600);
      const n = found[0];
      if (!this.inView(n)) {
        this.centreOn(n.x + n.w / 2, n.y + n.h / 2);
        this.apply();
      }
    }
    this.store();
  }

  inView(n) {
    const x0 = n.x * this.s + this.tx, y0 = n.y * this.s + this.ty;
    const x1 = x0 + n.w * this.s, y1 = y0 + n.h * this.s;
    return x0 >= 0 && y0 >= 0 && x1 <= this.vw && y1 <= this.vh;
  }

  // -- the view

  resize(reapply = true) {
    const small = window.innerWidth < 640;
    const natural = (this.H || 300) * this.readable() + 16;
    const room = window.innerHeight * (small ? 0.62 : 0.8);
    const h = this.full ? window.innerHeight - this.bar.offsetHeight - this.legend.offsetHeight : Math.max(240, Math.min(this.maxHeight || 640, natural, room));
    this.view.style.height = `${Math.round(h)}px`;
    const cx = this.vw ? (this.vw / 2 - this.tx) / this.s : null;
    const cy = this.vh ? (this.vh / 2 - this.ty) / this.s : null;
    this.vw = this.view.clientWidth || 600;
    this.vh = this.view.clientHeight || h;
    if (reapply && cx != null && this.svg) { this.centreOn(cx, cy); this.apply(); }
  }

  readable() { return this.minPx / (this.minFont || 10); }
  fitScale() { return Math.min(this.vw / this.W, this.vh / this.H) * 0.97; }
  clampScale(s) { return Math.min(MAX_SCALE, Math.max(Math.min(MIN_SCALE, this.fitScale()), s)); }

  centreOn(x, y) {
    this.tx = this.vw / 2 - x * this.s;
    this.ty = this.vh / 2 - y * this.s;
  }

  initialView(focus) {
    const fit = this.fitScale();
    const readable = this.readable();
    if (fit >= readable) { // all of it, readable: as large as fits, up to 1.25× the readable size
      this.s = Math.min(fit, readable * 1.25);
      this.centreOn(this.W / 2, this.H / 2);
      return;
    }
    this.s = readable;
    const boxes = focus.map((k) => this.resolve(k)).filter(Boolean);
    if (!boxes.length) { // no focus: the middle of the drawing across, its top in view
      this.tx = (this.vw - this.W * this.s) / 2;
      this.ty = Math.min(8, (this.vh - this.H * this.s) / 2);
      return;
    }
    const x0 = Math.min(...boxes.map((n) => n.x)), y0 = Math.min(...boxes.map((n) => n.y));
    const x1 = Math.max(...boxes.map((n) => n.x + n.w)), y1 = Math.max(...boxes.map((n) => n.y + n.h));
    // the focus in the middle; if it is larger than the view, its top left corner in view
    const cx = x1 - x0 > this.vw / this.s ? x0 + this.vw / this.s / 2 - 12 : (x0 + x1) / 2;
    const cy = y1 - y0 > this.vh / this.s ? y0 + this.vh / this.s / 2 - 12 : (y0 + y1) / 2;
    this.centreOn(cx, cy);
    // no empty margin where the drawing could fill the view
    const fill = (t, view, size) => (size > view ? Math.min(0, Math.max(view - size, t)) : (view - size) / 2);
    this.tx = fill(this.tx, this.vw, this.W * this.s);
    this.ty = fill(this.ty, this.vh, this.H * this.s);
  }

  apply(save = true) {
    // keep some of the drawing on screen
    const m = 40;
    this.tx = Math.min(this.vw - m, Math.max(m - this.W * this.s, this.tx));
    this.ty = Math.min(this.vh - m, Math.max(m - this.H * this.s, this.ty));
    this.stage.style.transform = `translate(${this.tx}px, ${this.ty}px) scale(${this.s})`;
    this.zoomText.textContent = `${Math.round(this.s * 100)}%`;
    this.el.dataset.scale = this.s.toFixed(4);
    if (save) this.store();
  }

  store() {
    if (!this.key || !this.svg) return;
    const cx = (this.vw / 2 - this.tx) / this.s, cy = (this.vh / 2 - this.ty) / this.s;
    let best = null, bestD = Infinity;
    for (const n of this.nodes) {
      if (n.cluster) continue;
      const d = Math.hypot(n.x + n.w / 2 - cx, n.y + n.h / 2 - cy);
      if (d < bestD) { bestD = d; best = n; }
    }
    const anchor = best ? { id: best.id, dx: cx - (best.x + best.w / 2), dy: cy - (best.y + best.h / 2) } : null;
    saveView(this.key, { s: this.s, cx, cy, anchor, token: this.token, svgKey: this.svgKey() });
  }

  zoomAt(factor, px, py, save = true) {
    const s = this.clampScale(this.s * factor);
    const ux = (px - this.tx) / this.s, uy = (py - this.ty) / this.s;
    this.s = s;
    this.tx = px - ux * s;
    this.ty = py - uy * s;
    this.apply(save);
  }

  act(what) {
    const c = [this.vw / 2, this.vh / 2];
    if (what === "in") this.zoomAt(1.25, ...c);
    else if (what === "out") this.zoomAt(0.8, ...c);
    else if (what === "readable") { const ux = (c[0] - this.tx) / this.s, uy = (c[1] - this.ty) / this.s; this.s = this.readable(); this.centreOn(ux, uy); this.apply(); }
    else if (what === "fit") { this.s = this.clampScale(this.fitScale()); this.centreOn(this.W / 2, this.H / 2); this.apply(); }
    else if (what === "pan") {
      this.pan = !this.pan;
      this.view.classList.toggle("sd-pan", this.pan);
      this.buttons.pan.setAttribute("aria-pressed", String(this.pan));
    } else if (what === "full") {
      this.full = !this.full;
      this.el.classList.toggle("sd-full", this.full);
      this.applyWords();
      this.resize();
    }
  }

  onKey(e) {
    const step = 60;
    const keys = {
      "+": () => this.act("in"), "=": () => this.act("in"), "-": () => this.act("out"), "0": () => this.act("fit"), "1": () => this.act("readable"),
      ArrowLeft: () => { this.tx += step; this.apply(); }, ArrowRight: () => { this.tx -= step; this.apply(); },
      ArrowUp: () => { this.ty += step; this.apply(); }, ArrowDown: () => { this.ty -= step; this.apply(); },
    };
    if (keys[e.key]) { e.preventDefault(); keys[e.key](); }
  }

  onWheel(e) {
    e.preventDefault();
    const r = this.view.getBoundingClientRect();
    const dy = e.deltaMode === 1 ? e.deltaY * 16 : e.deltaY;
    this.zoomAt(Math.exp(-dy * 0.0015), e.clientX - r.left, e.clientY - r.top);
  }

  // mouse and pen drag to pan; a finger only in pan mode (else it scrolls the page)
  onDown(e) {
    if (e.button !== 0 && e.pointerType === "mouse") return;
    // the node under the pointer now: once the view captures the pointer, events name the view
    const path = e.composedPath ? e.composedPath() : [];
    this.down = { id: e.pointerId, x: e.clientX, y: e.clientY, tx: this.tx, ty: this.ty, moved: false, touch: e.pointerType === "touch", path, target: e.target };
    if (!this.down.touch || this.pan) {
      this.view.setPointerCapture?.(e.pointerId);
    }
  }

  onMove(e) {
    const d = this.down;
    if (!d || d.id !== e.pointerId) return;
    const dx = e.clientX - d.x, dy = e.clientY - d.y;
    if (Math.hypot(dx, dy) > 4) d.moved = true;
    if (d.touch && !this.pan) return;
    if (d.moved) {
      this.view.classList.add("sd-drag");
      this.tx = d.tx + dx; this.ty = d.ty + dy;
      this.apply(false);
    }
  }

  onUp(e) {
    const d = this.down;
    this.down = null;
    this.view.classList.remove("sd-drag");
    if (!d || d.id !== e.pointerId) return;
    if (d.moved) { this.store(); return; }
    this.click(d);
  }

  onCancel() { // the browser took the gesture (a finger scrolling the page)
    this.down = null;
    this.view.classList.remove("sd-drag");
  }

  click(d) {
    const sel = 'g.node[id^="n:"], g.cluster[id^="c:"]';
    let g = d.path.find((x) => x instanceof Element && x.matches(sel));
    if (!g && d.target && d.target.closest) g = d.target.closest(sel);
    if (!g) return;
    const key = g.id.slice(2);
    this.setSelected(key);
    if (this.setTrigger && this.selectable) this.setTrigger("select", key);
  }

  // two fingers pan and pinch; one finger is the page's unless pan mode is on
  onTouch(e) {
    const t = e.touches;
    if (t.length === 2) {
      e.preventDefault();
      const r = this.view.getBoundingClientRect();
      const mx = (t[0].clientX + t[1].clientX) / 2 - r.left, my = (t[0].clientY + t[1].clientY) / 2 - r.top;
      const dist = Math.hypot(t[0].clientX - t[1].clientX, t[0].clientY - t[1].clientY);
      if (this.pinch && e.type === "touchmove") {
        this.tx += mx - this.pinch.mx; this.ty += my - this.pinch.my;
        this.apply(false);
        if (this.pinch.dist > 0) this.zoomAt(dist / this.pinch.dist, mx, my, false);  // saved when the pinch ends
      }
      this.pinch = { mx, my, dist };
      this.down = null;
    } else if (this.pinch) {
      this.pinch = null;
      this.store();
    }
  }
}

export default function (component) {
  const { data, parentElement, setTriggerValue } = component;
  let inst = parentElement.__studioDiagram;
  if (!inst || inst.dead) {
    inst = new Diagram(parentElement);
    parentElement.__studioDiagram = inst;
  }
  const gen = (inst.gen = (inst.gen || 0) + 1);
  inst.update({ ...(data || {}), __setTrigger: setTriggerValue });
  return () => {
    // Streamlit keeps only the latest run's clean-up, and may call an earlier run's late (a
    // run that was overtaken while its module loaded): tear down only when no later run came
    // and the element has really left the page
    setTimeout(() => {
      const host = parentElement.host || parentElement;
      if (inst.gen === gen && !(host && host.isConnected)) inst.destroy();
    }, 0);
  };
}
