// anneal viz: the page's logic (a classic script, no build step). The compiler runs in the page
// (anneal.js, `createAnneal`): `explore` gives one program as JSON (tensor graph with provenance,
// kernels with AST, opts and sources, the pass timeline); graphs are laid out by dagre (dagre.min.js)
// in a Web Worker and drawn as SVG; kernels run on WebGPU through anneal_webgpu.js and are checked
// against the module's reference evaluator; the MLP trains live on a Fashion-MNIST subset.
//
// Test hooks (window.annealViz): ready (a Promise), show(program, {train, view, code, device,
// hideMovement}) (resolves with state() once drawn), state(), runKernels({reference}),
// checkReference(), train(steps, {model, batch, reset}), selectFirst(op), programs(), colors, tolerance. Views:
// "graph" (tensor graph), "kernel-graph", "timeline", "kernels", "train". Drawn nodes carry
// data-node-id, kernels data-kernel, both data-phase; kernels data-seam.
"use strict";

(() => {
  const COLORS = { forward: "#21b3a0", backward: "#e8643c", optimizer: "#9a7bff", seam: "#f2c14e", none: "#586474" };
  const MOVEMENT = new Set(["RESHAPE", "PERMUTE", "EXPAND", "PAD", "SHRINK", "FLIP"]);
  const SOURCES = new Set(["BUFFER", "CONST", "PARAM", "DEFINE_VAR", "BIND", "ARANGE", "DEVICE", "UNIQUE"]);
  const CONSTANT_OPS = new Set(["CONST", "ARANGE", "DEFINE_VAR"]);
  const KERNEL_HUBS = new Set(["RANGE", "PARAM", "SPECIAL", "BUFFER", "DEFINE_REG", "DEFINE_LOCAL"]);
  // Colors of kernel-level graphs (ASTs, the timeline's lowered graphs), by what a node does.
  const CATEGORY = {
    memory: ["#4a86d8", new Set(["BUFFER", "PARAM", "INDEX", "LOAD", "STORE", "DEFINE_LOCAL", "DEFINE_REG", "AFTER"])],
    loop: ["#c45b9b", new Set(["RANGE", "END", "SPECIAL", "IF", "ENDIF", "BARRIER", "GROUP"])],
    reduce: ["#3c9d68", new Set(["REDUCE", "WMMA", "MULACC"])],
    constant: ["#3b4554", new Set(["CONST", "ARANGE", "DEFINE_VAR", "BIND"])],
    movement: ["#6a5c92", MOVEMENT],
    root: ["#8a96a6", new Set(["SINK", "LINEAR"])],
  };
  const ALU_COLOR = "#5d7187";
  const categoryLegend = () => h("span", { class: "catlegend" }, ...[...Object.entries(CATEGORY).map(([name, [color]]) => [name, color]), ["arithmetic", ALU_COLOR]]
    .map(([name, color]) => h("span", {}, h("i", { style: { background: color } }), name)));
  const CLASSES = ["T-shirt", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Boot"];
  // Graphs with more visible nodes than this are laid out with movement ops hidden unless asked.
  const AUTO_HIDE_MOVEMENT = 1500;
  // Graphs of a pass (timeline) or a kernel's AST bigger than this are laid out only when asked.
  const ASK_BEFORE_LAYOUT = 1200;
  // WebGPU (float32) against the reference evaluator (float64): |got - want| / max(1, |want|).
  const TOLERANCE = 1e-3;
  // Element operations the reference evaluator is asked for without a click (about ten seconds).
  const REFERENCE_BUDGET = 8e6;
  const EXAMPLES = {
    "two-layer MLP": `// The small Tensor API: T.rand(shape), T.randn(shape), T.full(shape, v), T.seed(n);
// methods add sub mul div (a tensor or a number), matmul relu exp softmax(axis)
// sum([axes]) max([axes]) reshape(shape) permute(order) shape(). Return the outputs.
const x = T.randn([16, 64]);
const w1 = T.randn([64, 32]).mul(0.1), w2 = T.randn([32, 10]).mul(0.1);
const h = x.matmul(w1).relu();
return [h.matmul(w2).softmax(1)];`,
    "attention scores": `// softmax(q k^T / sqrt(d)) v for 4 heads
const q = T.randn([4, 32, 16]), k = T.randn([4, 32, 16]), v = T.randn([4, 32, 16]);
const scores = q.matmul(k.permute([0, 2, 1])).mul(0.25);
return [scores.softmax(2).matmul(v)];`,
    "log-sum-exp": `// a numerically stable log-sum-exp's pieces, two outputs (sum and max drop the axes they reduce)
const x = T.rand([8, 100]);
const m = x.max([1]);
const e = x.sub(m.reshape([8, 1])).exp();
return [m, e.sum([1])];`,
  };

  const $ = (sel, root = document) => root.querySelector(sel);
  const $$ = (sel, root = document) => [...root.querySelectorAll(sel)];
  const SVGNS = "http://www.w3.org/2000/svg";
  const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
  function h(tag, attrs = {}, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) {
      if (v === undefined || v === null || v === false) continue;
      if (k === "class") e.className = v;
      else if (k === "html") e.innerHTML = v;
      else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
      else if (k === "style" && typeof v === "object") Object.assign(e.style, v);
      else e.setAttribute(k, v === true ? "" : v);
    }
    for (const c of children.flat()) if (c !== undefined && c !== null && c !== false) e.append(c instanceof Node ? c : String(c));
    return e;
  }
  function s(tag, attrs = {}) {
    const e = document.createElementNS(SVGNS, tag);
    for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== null) e.setAttribute(k, v);
    return e;
  }
  const fmtMs = (ms) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : ms >= 10 ? `${ms.toFixed(0)} ms` : `${ms.toFixed(2)} ms`);
  const fmtShape = (shape) => (shape ? (shape.length ? shape.join("×") : "scalar") : "");
  const fmtNum = (n) => (Math.abs(n) >= 1e6 ? `${(n / 1e6).toFixed(1)}M` : Math.abs(n) >= 1e4 ? `${(n / 1e3).toFixed(0)}k` : String(n));
  const DTYPE_SHORT = { float32: "f32", float16: "f16", bfloat16: "bf16", float64: "f64", int32: "i32", int64: "i64", uint32: "u32", int8: "i8", uint8: "u8", int16: "i16", uint16: "u16", bool: "bool", void: "" };
  const nextFrame = () => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
  const isLight = (hex) => {
    const n = parseInt(hex.slice(1), 16);
    return (0.299 * (n >> 16) + 0.587 * ((n >> 8) & 255) + 0.114 * (n & 255)) < 110;
  };

  // ---------------------------------------------------------------------------------------------
  // Layout: dagre in a Web Worker (a big graph takes seconds and the page stays responsive); the
  // same function runs on the page when a worker cannot start.

  function dagreLayout(dagre, spec) {
    // dagre's rankers recurse once per node of the longest path, and a worker's stack holds only a
    // few hundred levels: big graphs take this iterative longest-path ranking (every node as close
    // above its first consumer as the edges allow, which suits dataflow graphs).
    function iterativeLongestPath(g) {
      const left = new Map(), rank = new Map(), ready = [];
      for (const v of g.nodes()) {
        left.set(v, (g.outEdges(v) ?? []).length);
        if (!left.get(v)) { rank.set(v, 0); ready.push(v); }
      }
      while (ready.length) {
        const w = ready.pop();
        for (const e of g.inEdges(w) ?? []) {
          rank.set(e.v, Math.min(rank.get(e.v) ?? Infinity, rank.get(w) - g.edge(e).minlen));
          left.set(e.v, left.get(e.v) - 1);
          if (!left.get(e.v)) ready.push(e.v);
        }
      }
      for (const v of g.nodes()) g.node(v).rank = rank.get(v) ?? 0;
    }
    const opts = { ...spec.opts };
    if (opts.ranker === "iterative") opts.ranker = iterativeLongestPath;
    const g = new dagre.graphlib.Graph();
    g.setGraph(opts);
    g.setDefaultEdgeLabel(() => ({}));
    for (const [k, w, hh] of spec.nodes) g.setNode(k, { width: w, height: hh });
    for (const [a, b, lw] of spec.edges) g.setEdge(a, b, lw ? { width: lw, height: 12, labelpos: "c" } : {});
    const t = performance.now();
    dagre.layout(g);
    const pos = spec.nodes.map(([k]) => { const n = g.node(k); return [n.x, n.y]; });
    const pts = spec.edges.map(([a, b]) => { const e = g.edge(a, b); return e ? e.points.map((p) => [p.x, p.y]) : null; });
    const gl = g.graph();
    return { pos, pts, width: gl.width, height: gl.height, ms: performance.now() - t };
  }
  // The worker loads dagre 3.1.3 with its one other deep recursion (the initial order's depth-first
  // walk over successors) made iterative: the same visiting order, no stack limit. Another dagre
  // (the text not found) loads as it is.
  const INIT_ORDER_DFS = "function a(d){if(t[d])return;t[d]=!0;let c=e.node(d);s[c.rank].push(d);let f=e.successors(d);f&&[...f].sort((g,m)=>u(g,m)).forEach(a)}";
  const INIT_ORDER_ITERATIVE = "function a(d0){let st=[d0];while(st.length){let d=st.pop();if(t[d])continue;t[d]=!0;let c=e.node(d);s[c.rank].push(d);let f=e.successors(d);if(f){let q=[...f].sort((g,m)=>u(g,m));for(let i=q.length-1;i>=0;i--)st.push(q[i])}}}";
  const WORKER_SOURCE = `${dagreLayout.toString()}
let loading = null;
async function load(url) {
  const text = await (await fetch(url)).text();
  self.dagre = new Function(text.replace(${JSON.stringify(INIT_ORDER_DFS)}, ${JSON.stringify(INIT_ORDER_ITERATIVE)}) + "\nreturn dagre;")();
}
self.onmessage = async (e) => {
  try {
    await (loading ??= load(e.data.dagreUrl));
    self.postMessage({ ok: true, result: dagreLayout(self.dagre, e.data.spec) });
  } catch (err) { self.postMessage({ ok: false, error: String(err && err.stack || err) }); }
};`;
  const workerUrl = URL.createObjectURL(new Blob([WORKER_SOURCE], { type: "text/javascript" }));
  const dagreUrl = new URL("dagre.min.js", location.href).href;
  const jobs = new Set();  // running layouts: {worker, owner, reject}
  let workersWork = true;

  function layout(spec, owner) {
    // dagre's network simplex ranks compactly but slowly; big graphs take tight-tree ranks.
    // Network simplex ranks compactly but slowly (and recursively): small graphs only.
    spec.opts = { rankdir: "TB", nodesep: 14, ranksep: 34, edgesep: 8, marginx: 24, marginy: 24, acyclicer: "greedy",
      ranker: spec.nodes.length > 300 ? "iterative" : "network-simplex", ...(spec.opts ?? {}) };
    if (!workersWork) return Promise.resolve(dagreLayout(window.dagre, spec));
    return new Promise((resolve, reject) => {
      let worker;
      try {
        worker = new Worker(workerUrl);
      } catch {
        workersWork = false;
        return resolve(dagreLayout(window.dagre, spec));
      }
      const job = { worker, owner, reject };
      jobs.add(job);
      const done = () => { jobs.delete(job); worker.terminate(); };
      worker.onmessage = (e) => {
        done();
        if (e.data.ok) resolve(e.data.result);
        else reject(new Error(`layout: ${e.data.error}`));
      };
      worker.onerror = (e) => {
        e.preventDefault();
        done();
        workersWork = false;  // e.g. importScripts refused: lay out here from now on
        resolve(dagreLayout(window.dagre, spec));
      };
      worker.postMessage({ dagreUrl, spec });
    });
  }
  class Cancelled extends Error {}
  // Stops the layouts of other programs (a big one left behind would hold a core for a minute).
  function cancelLayouts(keepOwner) {
    for (const j of [...jobs]) {
      if (j.owner === keepOwner) continue;
      j.worker.terminate();
      jobs.delete(j);
      j.reject(new Cancelled("superseded"));
    }
  }

  // ---------------------------------------------------------------------------------------------
  // A graph pane: an SVG with zoom (wheel), pan (drag), fit (double-click), nodes and edges.

  function basisPath(pts) {
    if (pts.length < 3) return `M${pts.map((p) => p.map((v) => v.toFixed(1)).join(",")).join("L")}`;
    let d = "", x0 = NaN, y0 = NaN, x1 = NaN, y1 = NaN, state = 0;
    const f = (v) => v.toFixed(1);
    const curve = (x, y) => { d += `C${f((2 * x0 + x1) / 3)},${f((2 * y0 + y1) / 3)},${f((x0 + 2 * x1) / 3)},${f((y0 + 2 * y1) / 3)},${f((x0 + 4 * x1 + x) / 6)},${f((y0 + 4 * y1 + y) / 6)}`; };
    for (const [x, y] of pts) {
      if (state === 0) { state = 1; d += `M${f(x)},${f(y)}`; }
      else if (state === 1) state = 2;
      else { if (state === 2) { state = 3; d += `L${f((5 * x0 + x1) / 6)},${f((5 * y0 + y1) / 6)}`; } curve(x, y); }
      x0 = x1; x1 = x; y0 = y1; y1 = y;
    }
    if (state === 3) curve(x1, y1);
    d += `L${f(x1)},${f(y1)}`;
    return d;
  }

  let paneIds = 0;
  class GraphPane {
    constructor(host, { onNode, onBackground } = {}) {
      this.host = host;
      this.onNode = onNode;
      this.onBackground = onBackground;
      this.id = ++paneIds;
      this.svg = s("svg", { class: "gsvg" });
      const defs = s("defs");
      const marker = s("marker", { id: `arrow${this.id}`, viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" });
      marker.append(s("path", { d: "M0,0L10,5L0,10z", fill: "#5b6b80" }));
      defs.append(marker);
      this.defs = defs;
      this.root = s("g");
      this.edgeLayer = s("g");
      this.nodeLayer = s("g");
      this.root.append(this.edgeLayer, this.nodeLayer);
      this.svg.append(defs, this.root);
      this.msg = h("div", { class: "pane-msg" });
      host.append(this.svg, this.msg, h("div", { class: "minihelp" }, "wheel: zoom · drag: pan · double-click: fit"));
      this.t = { k: 1, x: 0, y: 0 };
      this.drawnKey = null;
      this.nodeEls = new Map();
      this.bindInput();
    }

    message(text, spin = false) {
      this.msg.replaceChildren(...(text ? [spin ? h("div", { class: "spinner" }) : "", h("div", {}, text)] : []));
    }

    clear() {
      this.message("");
      this.edgeLayer.replaceChildren();
      this.nodeLayer.replaceChildren();
      this.nodeEls = new Map();
      this.drawnKey = null;
      this.layoutSize = null;
    }

    bindInput() {
      const svg = this.svg;
      svg.addEventListener("wheel", (e) => {
        e.preventDefault();
        const r = svg.getBoundingClientRect();
        const cx = e.clientX - r.left, cy = e.clientY - r.top;
        const k = Math.min(4, Math.max(0.02, this.t.k * Math.exp(-e.deltaY * (e.deltaMode ? 0.05 : 0.0018))));
        this.t.x = cx - ((cx - this.t.x) * k) / this.t.k;
        this.t.y = cy - ((cy - this.t.y) * k) / this.t.k;
        this.t.k = k;
        this.apply();
      }, { passive: false });
      let drag = null;
      svg.addEventListener("pointerdown", (e) => {
        if (e.button !== 0) return;
        drag = { x: e.clientX, y: e.clientY, tx: this.t.x, ty: this.t.y, moved: false, id: e.pointerId };
      });
      svg.addEventListener("pointermove", (e) => {
        if (!drag) return;
        const dx = e.clientX - drag.x, dy = e.clientY - drag.y;
        if (!drag.moved && Math.hypot(dx, dy) < 4) return;
        if (!drag.moved) { drag.moved = true; svg.setPointerCapture(drag.id); svg.classList.add("dragging"); }
        this.t.x = drag.tx + dx;
        this.t.y = drag.ty + dy;
        this.apply();
      });
      const end = (e) => {
        if (!drag) return;
        const wasDrag = drag.moved;
        drag = null;
        svg.classList.remove("dragging");
        if (wasDrag || e.type !== "pointerup") return;
        const node = e.target.closest?.(".node");
        if (node && this.onNode) this.onNode(node.dataset.key, node, e);
        else if (!node && this.onBackground) this.onBackground(e);
      };
      svg.addEventListener("pointerup", end);
      svg.addEventListener("pointercancel", end);
      svg.addEventListener("dblclick", (e) => { if (!e.target.closest(".node")) this.fit(); });
    }

    apply() {
      this.root.setAttribute("transform", `translate(${this.t.x.toFixed(1)},${this.t.y.toFixed(1)}) scale(${this.t.k.toFixed(4)})`);
      this.svg.classList.toggle("far", this.t.k < 0.3);
    }

    fit() {
      if (!this.layoutSize) return;
      const r = this.host.getBoundingClientRect();
      const w = Math.max(100, r.width), hh = Math.max(100, r.height);
      const k = Math.min(1.4, Math.max(0.02, Math.min(w / this.layoutSize.width, hh / this.layoutSize.height) * 0.96));
      this.t = { k, x: (w - this.layoutSize.width * k) / 2, y: Math.max(8, (hh - this.layoutSize.height * k) / 2) };
      // A small graph stays readable (centered, its sides may be cut); a tall one starts at its top
      // rather than as a thin line.
      if (k < 0.7 && this.nodeEls.size <= 160) {
        this.t.k = 0.7;
        this.t.x = (w - this.layoutSize.width * this.t.k) / 2;
        this.t.y = Math.max(8, (hh - this.layoutSize.height * this.t.k) / 2);
      } else if (this.layoutSize.height * k < hh * 0.3 || (k < 0.25 && this.layoutSize.height > this.layoutSize.width * 3)) {
        this.t.k = Math.min(1, Math.max(k, 0.45));
        this.t.x = (w - this.layoutSize.width * this.t.k) / 2;
        this.t.y = 12;
      }
      this.apply();
    }

    // Centers node `key` (at a readable zoom).
    focus(key) {
      const el = this.nodeEls.get(String(key));
      if (!el) return;
      const r = this.host.getBoundingClientRect();
      const k = Math.max(this.t.k, 0.8);
      this.t = { k, x: r.width / 2 - el._x * k, y: r.height / 2 - el._y * k };
      this.apply();
    }

    // model: {nodes: [{key, label, sub, fill, title, cls, data: {...}}], edges: [{from, to, cls, label}]}
    async draw(model, drawKey, owner, cache) {
      if (this.drawnKey === drawKey) return this.lastInfo;
      this.clear();
      const charW = 6.7;
      const sizes = model.nodes.map((n) => {
        const w = Math.max(46, Math.ceil(Math.max(n.label.length, (n.sub ?? "").length * 0.87) * charW) + 18);
        return [String(n.key), w, n.sub ? 34 : 24];
      });
      const seen = new Set();
      const edges = [], detached = [];
      for (const e of model.edges) {
        const k = `${e.from}\u0000${e.to}`;
        if (seen.has(k) || e.from === e.to) continue;
        seen.add(k);
        (e.detached ? detached : edges).push(e);
      }
      let lay = cache?.get(drawKey);
      if (!lay) {
        this.message(`laying out ${model.nodes.length} nodes and ${edges.length} edges (dagre)…`, true);
        await nextFrame();
        const t0 = performance.now();
        const tick = setInterval(() => this.message(`laying out ${model.nodes.length} nodes and ${edges.length} edges (dagre)… ${((performance.now() - t0) / 1000).toFixed(0)} s`, true), 1000);
        try {
          lay = await layout({ nodes: sizes, edges: edges.map((e) => [String(e.from), String(e.to), 0]) }, owner);
        } finally {
          clearInterval(tick);
        }
        cache?.set(drawKey, lay);
      }
      this.message("");
      // Edges first (under the nodes).
      const frag = document.createDocumentFragment();
      edges.forEach((e, i) => {
        const pts = lay.pts[i];
        if (!pts) return;
        const p = s("path", { d: basisPath(pts), class: `edge${e.cls ? " " + e.cls : ""}`, "marker-end": `url(#arrow${this.id})` });
        p.dataset.from = e.from;
        p.dataset.to = e.to;
        frag.append(p);
        if (e.label) {
          const mid = pts[Math.floor(pts.length / 2)];
          const t = s("text", { x: mid[0] + 4, y: mid[1] - 3, class: "elabel" });
          t.textContent = e.label;
          frag.append(t);
        }
      });
      const index = new Map(model.nodes.map((n, i) => [String(n.key), i]));
      for (const e of detached) {
        const a = index.get(String(e.from)), b = index.get(String(e.to));
        if (a === undefined || b === undefined) continue;
        const [x1, y1] = lay.pos[a], [x2, y2] = lay.pos[b];
        const p = s("path", { d: `M${x1.toFixed(1)},${(y1 + sizes[a][2] / 2).toFixed(1)}L${x2.toFixed(1)},${(y2 - sizes[b][2] / 2).toFixed(1)}`, class: `edge ${e.cls}` });
        p.dataset.from = e.from;
        p.dataset.to = e.to;
        frag.append(p);
      }
      this.edgeLayer.append(frag);
      const nodes = document.createDocumentFragment();
      model.nodes.forEach((n, i) => {
        const [x, y] = lay.pos[i];
        const [, w, hh] = sizes[i];
        const g = s("g", { class: `node${n.cls ? " " + n.cls : ""}${isLight(n.fill.startsWith("#") ? n.fill : "#000000") ? " light" : ""}`, transform: `translate(${(x - w / 2).toFixed(1)},${(y - hh / 2).toFixed(1)})` });
        g.dataset.key = n.key;
        for (const [k, v] of Object.entries(n.data ?? {})) g.setAttribute(`data-${k}`, v);
        g._x = x;
        g._y = y;
        const rect = s("rect", { width: w, height: hh, rx: n.round ?? 6, fill: n.fill });
        const title = s("title");
        title.textContent = n.title ?? n.label;
        const t1 = s("text", { x: w / 2, y: n.sub ? 14 : 16, "text-anchor": "middle" });
        t1.textContent = n.label;
        g.append(title, rect, t1);
        if (n.sub) {
          const t2 = s("text", { x: w / 2, y: 27, "text-anchor": "middle", class: "sub" });
          t2.textContent = n.sub;
          g.append(t2);
        }
        nodes.append(g);
        this.nodeEls.set(String(n.key), g);
      });
      this.nodeLayer.append(nodes);
      this.layoutSize = { width: lay.width, height: lay.height };
      this.drawnKey = drawKey;
      this.lastInfo = { layoutMs: lay.ms, nodes: model.nodes.length, edges: edges.length + detached.length };
      this.fit();
      return this.lastInfo;
    }

    // Selects `key` and highlights `related` keys (dimming the rest); null clears.
    highlight(key, related = []) {
      for (const el of this.nodeLayer.querySelectorAll(".sel, .hl")) el.classList.remove("sel", "hl");
      for (const el of this.edgeLayer.querySelectorAll(".hl")) el.classList.remove("hl");
      const keys = new Set(related.map(String));
      if (key !== null && key !== undefined) keys.add(String(key));
      this.svg.classList.toggle("dimmed", keys.size > 1);
      if (key !== null && key !== undefined) this.nodeEls.get(String(key))?.classList.add("sel");
      for (const k of keys) this.nodeEls.get(k)?.classList.add("hl");
      const sel = key === null || key === undefined ? null : String(key);
      for (const p of this.edgeLayer.querySelectorAll("path"))
        if (p.dataset.from === sel || p.dataset.to === sel || (keys.size > 1 && keys.has(p.dataset.from) && keys.has(p.dataset.to))) p.classList.add("hl");
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Graph models.

  const phaseColor = (p) => COLORS[p] ?? COLORS.none;

  function shortArg(n) {
    const a = n.arg ?? "";
    if (n.op === "CONST") return a.length > 14 ? a.slice(0, 13) + "…" : a;
    if (n.op === "REDUCE") { const m = /^\(?(\w+)/.exec(a); return m ? m[1] : ""; }
    return "";
  }

  // The tensor graph of an explore JSON: every node once (hash-consed), colored by its phase.
  // With hideMovement, movement ops are left out and their consumers linked to what they view.
  function tensorModel(data, hideMovement) {
    const nodes = data.graph.nodes;
    const provenance = nodes.some((n) => n.phase);
    const byId = new Map(nodes.map((n) => [n.id, n]));
    const hidden = (n) => hideMovement && MOVEMENT.has(n.op);
    const memo = new Map();
    const visibleOf = (id) => {
      const n = byId.get(id);
      if (!hidden(n)) return [id];
      let v = memo.get(id);
      if (!v) { v = [...new Set(n.srcs.flatMap(visibleOf))]; memo.set(id, v); }
      return v;
    };
    const outputs = new Set((data.graph.nodes.at(-1)?.op === "SINK" ? data.graph.nodes.at(-1).srcs : []).flatMap(visibleOf));
    const model = { nodes: [], edges: [], hidden: 0 };
    for (const n of nodes) {
      if (hidden(n)) { model.hidden++; continue; }
      // Programs without autodiff have no provenance: everything they compute is forward.
      const phase = n.phase ?? (!provenance && !SOURCES.has(n.op) && n.op !== "SINK" ? "forward" : "none");
      const arg = shortArg(n);
      model.nodes.push({
        key: n.id, label: arg ? `${n.op} ${arg}` : n.op,
        sub: n.op === "SINK" ? `${n.srcs.length} outputs` : `${fmtShape(n.shape)} ${DTYPE_SHORT[n.dtype] ?? n.dtype}`.trim(),
        fill: phaseColor(phase), cls: outputs.has(n.id) ? "out" : "",
        title: `#${n.id} ${n.op} ${n.dtype} [${(n.shape ?? []).join(", ")}]\narg: ${n.arg}\nphase: ${n.phase ?? "none"}${n.kernel !== undefined ? `\nkernel ${n.kernel}: ${data.kernels[n.kernel]?.name}` : ""}`,
        data: { "node-id": n.id, phase, op: n.op },
      });
      for (const src of n.srcs) {
        const through = hidden(byId.get(src));
        for (const v of visibleOf(src)) model.edges.push({ from: v, to: n.id, cls: through ? "through" : "" });
      }
    }
    detachHubs(model, (id) => constLike(byId, id));
    return model;
  }

  // Whether node `id` is a constant, or a view of constants only (hash-consing shares one such node
  // among every use of the same value).
  function constLike(byId, id, memo = constLike.memo ??= new WeakMap()) {
    const n = byId.get(id);
    if (!n) return false;
    let known = memo.get(n);
    if (known === undefined) {
      known = CONSTANT_OPS.has(n.op) || (MOVEMENT.has(n.op) && n.srcs.length > 0 && n.srcs.every((s) => constLike(byId, s, memo)));
      memo.set(n, known);
    }
    return known;
  }
  // A constant used all over a graph (0 by every relu, 1 by every gradient) would stretch edges over
  // every rank, and dagre's time grows with the length of its edges: such a node is laid out beside
  // its first user only, and its other edges are drawn afterwards as faint straight lines.
  function detachHubs(model, isConstant) {
    const uses = new Map();
    for (const e of model.edges) uses.set(e.from, (uses.get(e.from) ?? 0) + 1);
    const first = new Set();
    for (const e of model.edges) {
      if ((uses.get(e.from) ?? 0) < 3 || !isConstant(e.from)) continue;
      if (!first.has(e.from)) { first.add(e.from); continue; }
      e.detached = true;
      e.cls = `${e.cls ?? ""} detached`.trim();
    }
  }

  function kernelPhase(k, provenance) {
    if (k.seam) return "seam";
    const ph = k.phases ?? [];
    if (!ph.length) return provenance ? "none" : "forward";
    return ph.join("+");
  }
  function kernelFill(pane, k, provenance) {
    const p = kernelPhase(k, provenance);
    if (COLORS[p]) return COLORS[p];
    // Several phases but not the forward/backward seam (say backward + optimizer): a split fill.
    const id = `grad-${p.replace(/\+/g, "-")}-${pane.id}`;
    if (!pane.defs.querySelector(`#${id}`)) {
      const g = s("linearGradient", { id, x1: 0, x2: 1, y1: 0, y2: 0 });
      const parts = p.split("+");
      parts.forEach((ph, i) => {
        g.append(s("stop", { offset: `${(i / parts.length) * 100}%`, "stop-color": phaseColor(ph) }));
        g.append(s("stop", { offset: `${((i + 1) / parts.length) * 100}%`, "stop-color": phaseColor(ph) }));
      });
      pane.defs.append(g);
    }
    return `url(#${id})`;
  }

  // The kernel graph: kernels as nodes in launch order, buffers as edges (from the kernel that last
  // wrote a buffer to each kernel reading it); program inputs are small buffer nodes.
  function kernelModel(data, pane) {
    const provenance = data.graph.nodes.some((n) => n.phase);
    const outputs = new Set(data.outputs.map((o) => o.buffer));
    const writer = new Map();
    const model = { nodes: [], edges: [] };
    const inputsSeen = new Set();
    data.kernels.forEach((k, i) => {
      const phase = kernelPhase(k, provenance);
      const g = k.launch?.global ?? [];
      model.nodes.push({
        key: `k${i}`, label: k.name, sub: `${(k.global_size ?? []).join("×") || "1"} · ${k.fused?.length ?? 0} nodes · ${k.inputs.length} in`,
        fill: kernelFill(pane, k, provenance), cls: outputs.has(k.outputs[0].buffer) ? "out" : "", round: 8,
        title: `kernel ${i}: ${k.name}\nphases: ${(k.phases ?? []).join(", ") || "—"}${k.seam ? " (seam)" : ""}\nlaunch ${g.join("×")} × ${(k.launch?.local ?? []).join("×")}\nopts: ${(k.opts ?? []).join(", ") || "none"}`,
        data: { kernel: i, phase, seam: k.seam ? 1 : 0 },
      });
      for (const b of k.inputs) {
        const w = writer.get(b.buffer);
        if (w !== undefined) model.edges.push({ from: `k${w}`, to: `k${i}`, label: `b${b.buffer}` });
        else {
          if (!inputsSeen.has(b.buffer)) {
            inputsSeen.add(b.buffer);
            model.nodes.push({ key: `b${b.buffer}`, label: `b${b.buffer}`,
              fill: "#232c38", cls: "buffer", round: 12, title: `input buffer ${b.buffer}: ${b.size} × ${b.dtype}${b.node !== undefined ? `\ngraph node #${b.node}` : ""}`,
              data: { buffer: b.buffer } });
          }
          model.edges.push({ from: `b${b.buffer}`, to: `k${i}` });
        }
      }
      writer.set(k.outputs[0].buffer, i);
    });
    return model;
  }

  function categoryOf(op) {
    for (const [name, [color, ops]] of Object.entries(CATEGORY)) if (ops.has(op)) return [name, color];
    return ["alu", ALU_COLOR];
  }
  // A kernel AST or a pass's graph: colored by what each node does.
  function plainModel(nodes) {
    const model = { nodes: [], edges: [] };
    for (const n of nodes) {
      const [cat, color] = categoryOf(n.op);
      let arg = n.arg ?? "";
      if (arg.length > 22) arg = arg.slice(0, 21) + "…";
      model.nodes.push({
        key: n.id, label: arg && n.op !== "SINK" ? `${n.op} ${arg}` : n.op,
        sub: n.shape ? `${fmtShape(n.shape)} ${DTYPE_SHORT[n.dtype] ?? ""}` : DTYPE_SHORT[n.dtype] ?? n.dtype,
        fill: color, title: `#${n.id} ${n.op} ${n.dtype}\narg: ${n.arg}`, data: { "ast-node": n.id, category: cat },
      });
      for (const src of n.srcs) model.edges.push({ from: src, to: n.id });
    }
    // Constants, loop variables and buffer arguments are shared by every use in a kernel graph.
    const byId = new Map(nodes.map((n) => [n.id, n]));
    detachHubs(model, (id) => constLike(byId, id) || KERNEL_HUBS.has(byId.get(id)?.op));
    return model;
  }

  // ---------------------------------------------------------------------------------------------
  // Syntax coloring of WGSL / C / CUDA (enough for reading).

  const KEYWORDS = new Set(("fn let var const return if else for while loop break continue struct switch case default " +
    "override alias enable static inline void extern unsigned signed restrict __global__ __device__ __shared__ " +
    "__restrict__ __launch_bounds__ typedef sizeof #include #define #pragma").split(" "));
  const TYPES = /^(f32|f16|i32|u32|bool|vec[234][fhiu]?|mat\dx\d\w*|array|atomic|ptr|float|double|int|char|half|short|long|size_t|u?int\d+_t|__half|__nv_bfloat16|float[234]|uint[234]?|int[234])$/;
  function highlight(code) {
    const re = /(\/\/[^\n]*|\/\*[\s\S]*?\*\/)|(@\w+)|(#\w+)|(\b\d+(?:\.\d*)?(?:[eE][+-]?\d+)?[fuhlLU]*\b|\b0x[0-9a-fA-F]+\b)|([A-Za-z_]\w*)(\s*\()?|([^\w\s@#/]+|\/|\s+)/g;
    let out = "", m;
    while ((m = re.exec(code))) {
      if (m[1]) out += `<span class="tok-com">${esc(m[1])}</span>`;
      else if (m[2]) out += `<span class="tok-attr">${esc(m[2])}</span>`;
      else if (m[3]) out += `<span class="tok-kw">${esc(m[3])}</span>`;
      else if (m[4]) out += `<span class="tok-num">${esc(m[4])}</span>`;
      else if (m[5]) {
        const w = m[5];
        const cls = KEYWORDS.has(w) ? "tok-kw" : TYPES.test(w) ? "tok-ty" : m[6] ? "tok-fn" : "";
        out += (cls ? `<span class="${cls}">${esc(w)}</span>` : esc(w)) + (m[6] ? esc(m[6]) : "");
      } else out += esc(m[0]);
    }
    return out;
  }

  // ---------------------------------------------------------------------------------------------
  // Application state.

  const S = {
    m: null,
    list: { programs: [], classifiers: [] },
    entries: new Map(),  // key -> {key, name, train, code, data, layouts: Map, run}
    explained: new Map(),  // op -> the module's explain(op)
    current: null,
    device: "WEBGPU",    // the target programs are explored for
    latest: null,        // the entry the module explored last (its buffers and reference)
    view: "graph",
    graphMode: "tensor",
    hideMovement: null,  // null: automatic (hidden on big graphs)
    selectedKernel: 0,
    selectedStep: null,
    gpu: null,
    train: null,
    customCount: 0,
    timings: {},
  };
  let panes;

  function setStatus(text, error = false) {
    const el = $("#status-text");
    el.textContent = text;
    el.classList.toggle("error", error);
  }

  // One program for one target device ("WEBGPU": WGSL the page runs; "CPU": the native build's C).
  function entryFor(program, train, code, device = S.device) {
    if (code !== undefined) {
      const key = `code:${code}@${device}`;
      if (!S.entries.has(key)) S.entries.set(key, { key, name: "your program", train: false, code, device, layouts: new Map(), custom: ++S.customCount });
      return S.entries.get(key);
    }
    const key = `${program}${train ? ":train" : ""}@${device}`;
    if (!S.entries.has(key)) S.entries.set(key, { key, name: program, train: !!train, device, layouts: new Map() });
    return S.entries.get(key);
  }

  // The small Tensor API for code typed in the page: wraps the module's tensors (numbers become
  // full tensors of the other operand's shape) and frees every handle after exploring.
  function exploreCode(code, device) {
    const m = S.m;
    const made = [];
    class T {
      constructor(handle) { this.h = handle; made.push(handle); }
      static lift(o, like) {
        if (o instanceof T) return o.h;
        if (typeof o === "number") return new T(m.full(like.h.shape(), o)).h;
        throw new Error(`expected a tensor or a number, got ${typeof o}`);
      }
      add(o) { return new T(this.h.add(T.lift(o, this))); }
      sub(o) { return new T(this.h.sub(T.lift(o, this))); }
      mul(o) { return new T(this.h.mul(T.lift(o, this))); }
      div(o) { return new T(this.h.div(T.lift(o, this))); }
      matmul(o) { return new T(this.h.matmul(T.lift(o, this))); }
      relu() { return new T(this.h.relu()); }
      exp() { return new T(this.h.exp()); }
      softmax(axis = -1) { return new T(this.h.softmax(axis < 0 ? this.shape().length + axis : axis)); }
      sum(axes) { return new T(this.h.sum(axes ?? this.shape().map((_, i) => i))); }
      max(axes) { return new T(this.h.max(axes ?? this.shape().map((_, i) => i))); }
      reshape(shape) { return new T(this.h.reshape(shape)); }
      permute(order) { return new T(this.h.permute(order)); }
      shape() { return [...this.h.shape()]; }
    }
    const api = {
      rand: (shape) => new T(m.rand(shape)), randn: (shape) => new T(m.randn(shape)),
      full: (shape, v) => new T(m.full(shape, v)), seed: (n) => m.manualSeed(n),
    };
    try {
      m.manualSeed(0);  // the same program, the same inputs, each time it is built
      let out = new Function("T", `"use strict";\n${code}`)(api);
      if (out instanceof T) out = [out];
      if (!Array.isArray(out) || !out.length || !out.every((t) => t instanceof T)) throw new Error("the program must return a tensor or an array of tensors");
      return m.exploreTensors(out.map((t) => t.h), device);
    } finally {
      for (const handle of made) handle.delete();
    }
  }

  // Explores `entry` in the module (it becomes the latest: its buffers and reference values).
  function explore(entry) {
    const t = performance.now();
    const text = entry.code !== undefined ? exploreCode(entry.code, entry.device) : S.m.explore(entry.name, entry.train, entry.device);
    const data = JSON.parse(text);
    if (data.error) throw new Error(data.error);
    S.latest = entry;
    entry.fresh = data;  // the JSON whose buffer ids the module holds now
    S.timings.explore = performance.now() - t;
    return data;
  }

  async function select(entry) {
    if (S.current === entry && entry.data) return;
    cancelLayouts(entry.key);
    if (!entry.data) {
      setStatus(`building ${entry.name}${entry.train ? " (training step)" : ""}…`);
      await nextFrame();
      try {
        entry.data = explore(entry);
      } catch (e) {
        setStatus(`${entry.name}: ${e.message ?? e}`, true);
        throw e;
      }
      entry.exploreMs = S.timings.explore;
    }
    S.current = entry;
    // What is drawn is always the current program's (the layouts stay cached for a return).
    panes.tensor.clear();
    panes.kernel.clear();
    $("#run-panel").hidden = true;
    $("#kernel-list").replaceChildren();
    $("#timeline-list").replaceChildren();
    S.selectedKernel = defaultKernel(entry.data);
    S.selectedStep = null;
    renderHeader();
    for (const li of $$(".plist li")) li.classList.toggle("on", `${li.dataset.key}@${entry.device}` === entry.key);
    $("#target").value = entry.device;
    programSummary();
    setStatus(`${entry.name}: ${entry.data.graph.nodes.length} nodes, ${entry.data.kernels.length} kernels · built in ${fmtMs(entry.exploreMs)}`);
    if (entry.code === undefined) history.replaceState(null, "", `#program=${encodeURIComponent(entry.name)}${entry.train ? "&train=1" : ""}`);
  }

  // A training step opens on its first seam kernel; other programs on their first kernel.
  function defaultKernel(data) {
    const seam = data.kernels.findIndex((k) => k.seam);
    return seam >= 0 ? seam : 0;
  }

  function renderHeader() {
    const d = S.current.data;
    $("#program-name").textContent = `${S.current.name}${S.current.train ? " · training step" : ""}`;
    $("#program-desc").textContent = d.description ?? "";
    const seam = d.seam_kernels ?? d.kernels.filter((k) => k.seam).length;
    $("#badges").replaceChildren(
      h("span", { class: "badge" }, h("b", {}, d.graph.nodes.length), " nodes"),
      h("span", { class: "badge" }, h("b", {}, d.kernels.length), " kernels"),
      S.current.train ? h("span", { class: "badge gold" }, h("b", {}, seam), " seam") : "",
    );
    const runs = S.current.device === "WEBGPU";
    $("#run").disabled = !runs;
    $("#run").title = runs ? "Run every kernel on WebGPU and check the values against the reference evaluator"
      : "These are the CPU target's kernels (C, run by the native build): choose the WebGPU target to run in the page";
  }

  // ---------------------------------------------------------------------------------------------
  // Graph view.

  function hideMovementFor(data) {
    if (S.hideMovement !== null) return S.hideMovement;
    return data.graph.nodes.length > AUTO_HIDE_MOVEMENT;
  }

  async function drawGraphs() {
    const entry = S.current, data = entry.data;
    const hide = hideMovementFor(data);
    $("#hide-movement").checked = hide;
    const tmodel = tensorModel(data, hide);
    const kmodel = kernelModel(data, panes.kernel);
    const [ti, ki] = await Promise.all([
      panes.tensor.draw(tmodel, `${entry.key}|t|${hide}`, entry.key, entry.layouts),
      panes.kernel.draw(kmodel, `${entry.key}|k`, entry.key, entry.layouts),
    ]);
    S.hidden = tmodel.hidden;
    S.timings.layout = { tensor: ti.layoutMs, kernel: ki.layoutMs };
    $("#graph-info").textContent = S.graphMode === "tensor"
      ? `${tmodel.nodes.length} nodes${tmodel.hidden ? ` (${tmodel.hidden} movement ops hidden)` : ""} · ${ti.edges} edges · layout ${fmtMs(ti.layoutMs)}`
      : `${data.kernels.length} kernels · ${ki.edges} buffer edges · layout ${fmtMs(ki.layoutMs)}`;
  }

  function setGraphMode(mode) {
    S.graphMode = mode;
    for (const b of $$("#graph-mode button")) b.classList.toggle("on", b.dataset.mode === mode);
    $("#tensor-graph").classList.toggle("on", mode === "tensor");
    $("#kernel-graph").classList.toggle("on", mode === "kernel");
    const pane = mode === "tensor" ? panes.tensor : panes.kernel;
    requestAnimationFrame(() => pane.fit());
  }

  // The details panel with nothing selected: the program in numbers.
  function programSummary() {
    const entry = S.current, d = entry.data;
    const provenance = d.graph.nodes.some((n) => n.phase);
    const count = (items, key) => items.reduce((a, x) => ((a[key(x)] = (a[key(x)] ?? 0) + 1), a), {});
    const nodePhases = count(d.graph.nodes, (n) => n.phase ?? (provenance ? "none" : SOURCES.has(n.op) || n.op === "SINK" ? "none" : "forward"));
    const kernelPhases = count(d.kernels, (k) => kernelPhase(k, provenance));
    const bars = (counts, total) => Object.entries(counts).sort((a, b) => b[1] - a[1]).map(([p, n]) =>
      h("div", { class: "rule" }, h("span", { class: "nm" }, p), h("span", { class: "b" }, h("i", { style: { width: `${(100 * n) / total}%`, background: COLORS[p] ?? COLORS.none } })), h("span", { class: "n" }, n)));
    const ops = Object.entries(count(d.graph.nodes, (n) => n.op)).sort((a, b) => b[1] - a[1]);
    const compileMs = (d.timeline ?? []).filter((t) => !t.depth).reduce((a, t) => a + t.ms, 0);
    $("#details").replaceChildren(
      h("h2", {}, entry.name), h("p", { class: "dim small", style: { marginTop: 0 } }, d.description ?? ""),
      h("table", { class: "kv-table" },
        h("tr", {}, h("td", {}, "graph"), h("td", {}, `${d.graph.nodes.length} nodes (each drawn once: the graph is hash-consed)`)),
        h("tr", {}, h("td", {}, "kernels"), h("td", {}, `${d.kernels.length}${entry.train ? `, ${d.seam_kernels ?? 0} of them seam kernels` : ""}`)),
        h("tr", {}, h("td", {}, "outputs"), h("td", { class: "mono" }, d.outputs.slice(0, 4).map((o) => `b${o.buffer} ${fmtNum(o.size)}×${DTYPE_SHORT[o.dtype] ?? o.dtype}`).join(", ") +
          (d.outputs.length > 4 ? ` and ${d.outputs.length - 4} more` : ""))),
        h("tr", {}, h("td", {}, "compiled"), h("td", {}, `${fmtMs(compileMs)} in the page (${(d.timeline ?? []).length} stages and passes)`))),
      h("h4", { style: { marginTop: "12px" } }, "Nodes by phase"), ...bars(nodePhases, d.graph.nodes.length),
      h("h4", { style: { marginTop: "12px" } }, "Kernels by phase"), ...bars(kernelPhases, d.kernels.length || 1),
      h("h4", { style: { marginTop: "12px" } }, "Ops"),
      h("div", {}, ...ops.map(([op, n]) => h("span", { class: "chip", onclick: () => { $("#find").value = op; const hit = d.graph.nodes.find((x) => x.op === op && panes.tensor.nodeEls.has(String(x.id))); if (hit) { setGraphMode("tensor"); selectNode(hit.id, true); } } }, `${op} ${n}`))),
      h("p", { class: "dim small" }, "Click a node for its details and the kernel that computes it; click a kernel in the kernel graph for its buffers. A kernel's fused nodes light up together."));
  }

  function nodeDetails(id) {
    const d = S.current.data;
    const n = d.graph.nodes[id];
    if (!n) return;
    const users = d.graph.nodes.filter((u) => u.srcs.includes(id));
    const kernel = n.kernel !== undefined ? d.kernels[n.kernel] : null;
    const chipList = (ids) => ids.length ? ids.map((i) => h("span", { class: "chip", onclick: () => selectNode(i, true) }, `#${i} ${d.graph.nodes[i].op}`)) : [h("span", { class: "dim" }, "none")];
    $("#details").replaceChildren(
      h("h2", {}, `#${n.id} ${n.op}`),
      n.phase ? h("span", { class: "phase-chip", style: { background: phaseColor(n.phase) } }, n.phase) : h("span", { class: "dim small" }, "no phase"),
      h("table", { class: "kv-table" },
        h("tr", {}, h("td", {}, "dtype"), h("td", { class: "mono" }, n.dtype)),
        h("tr", {}, h("td", {}, "shape"), h("td", { class: "mono" }, n.shape ? `[${n.shape.join(", ")}]` : "—")),
        h("tr", {}, h("td", {}, "arg"), h("td", { class: "mono" }, n.arg || "—")),
        h("tr", {}, h("td", {}, "kernel"), h("td", {}, kernel ? h("span", { class: "link", onclick: () => gotoKernel(n.kernel).catch(report) }, `${n.kernel}: ${kernel.name}`) : h("span", { class: "dim" }, SOURCES.has(n.op) ? "an input (no kernel)" : MOVEMENT.has(n.op) ? "a view (no kernel)" : "—"))),
        h("tr", {}, h("td", {}, "sources"), h("td", {}, chipList(n.srcs))),
        h("tr", {}, h("td", {}, "users"), h("td", {}, chipList(users.map((u) => u.id)))),
      ),
      ...explainOp(n.op),
    );
  }

  // What the compiler's rule sets say about an op (`anneal explain OP`, computed by the module once per op).
  function explainOp(op) {
    let e = S.explained.get(op);
    if (!e) {
      try { e = JSON.parse(S.m.explain(op)); } catch (err) { e = { error: String(err.message ?? err) }; }
      S.explained.set(op, e);
    }
    if (e.error) return [h("p", { class: "dim small" }, `explain ${op}: ${e.error}`)];
    const row = (k, v) => h("tr", {}, h("td", {}, k), h("td", { class: "mono", style: { whiteSpace: "pre-wrap" } }, v));
    const g = e.gradient ?? {};
    const grads = (g.gradients ?? []).map((x) => `d${x.of} = ${x.expression}`);
    const symbolic = e.symbolic_rules ?? [];
    return [
      h("h4", { style: { marginTop: "12px" } }, `${op}: the rules (anneal explain ${op})`),
      h("p", { class: "small" }, e.description ?? ""),
      h("table", { class: "kv-table" },
        row("gradient rule", g.rule ?? g.none ?? "—"),
        ...(grads.length ? [row("gradients", [...(g.definitions ?? []), ...grads].join("\n"))] : []),
        row("lowering", e.lowering?.rule ? `${e.lowering.rule}: ${e.lowering.description}` : e.lowering?.none ?? "—"),
        row("symbolic rules", symbolic.length ? symbolic.slice(0, 8).map((r) => `${r.set}: ${r.rule}`).join("\n") + (symbolic.length > 8 ? `\n+${symbolic.length - 8} more` : "") : "none")),
    ];
  }

  function kernelSummary(i) {
    const d = S.current.data, k = d.kernels[i];
    const provenance = d.graph.nodes.some((n) => n.phase);
    const phase = kernelPhase(k, provenance);
    $("#details").replaceChildren(
      h("h2", {}, k.name),
      ...phaseChips(k, provenance),
      h("table", { class: "kv-table" },
        h("tr", {}, h("td", {}, "kernel"), h("td", {}, `${i} of ${d.kernels.length}`)),
        h("tr", {}, h("td", {}, "launch"), h("td", { class: "mono" }, `global ${k.launch.global.join("×")} · local ${k.launch.local.join("×")}`)),
        h("tr", {}, h("td", {}, "opts"), h("td", { class: "mono" }, (k.opts ?? []).join(", ") || "none")),
        h("tr", {}, h("td", {}, "fuses"), h("td", {}, `${k.fused?.length ?? 0} graph nodes`)),
        h("tr", {}, h("td", {}, "reads"), h("td", {}, bufferChips(k.inputs))),
        h("tr", {}, h("td", {}, "writes"), h("td", {}, bufferChips(k.outputs))),
      ),
      h("p", {}, h("span", { class: "link", onclick: () => gotoKernel(i).catch(report) }, "open in the Kernels view →")),
      phase === "seam" ? h("p", { class: "dim small" }, "A seam kernel: the scheduler fused forward and backward nodes into one kernel.") : "",
    );
  }
  function bufferChips(list) {
    return list.map((b) => h("span", { class: "chip", title: `${b.size} × ${b.dtype}`, onclick: () => b.node !== undefined && showNode(b.node).catch(report) }, `b${b.buffer}${b.node !== undefined ? ` → #${b.node}` : ""}`));
  }
  function phaseChips(k, provenance) {
    const out = [];
    if (k.seam) out.push(h("span", { class: "phase-chip", style: { background: COLORS.seam } }, "seam"));
    for (const p of k.phases ?? []) out.push(h("span", { class: "phase-chip", style: { background: phaseColor(p) } }, p));
    if (!out.length) out.push(h("span", { class: "phase-chip", style: { background: provenance ? COLORS.none : COLORS.forward } }, provenance ? "no phase" : "forward"));
    return out;
  }

  function selectNode(id, center = false) {
    const n = S.current.data.graph.nodes[id];
    if (!n) return;
    const related = n.kernel !== undefined ? (S.current.data.kernels[n.kernel].fused ?? []) : [];
    panes.tensor.highlight(id, related);
    if (center) panes.tensor.focus(id);
    nodeDetails(id);
  }

  // Shows graph node `id` in the tensor graph (from a kernel's buffer list).
  async function showNode(id) {
    const n = S.current.data.graph.nodes[id];
    if (n && MOVEMENT.has(n.op) && hideMovementFor(S.current.data)) {
      S.hideMovement = false;
    }
    setGraphMode("tensor");
    await setView("graph");
    selectNode(id, true);
  }

  function selectKernelInGraph(i) {
    panes.kernel.highlight(`k${i}`);
    kernelSummary(i);
  }

  async function gotoKernel(i) {
    S.selectedKernel = i;
    await setView("kernels");
    $(`#kernel-list [data-kernel="${i}"]`)?.scrollIntoView({ block: "nearest" });
  }

  // ---------------------------------------------------------------------------------------------
  // Kernels view.

  function renderKernelList() {
    const d = S.current.data;
    const provenance = d.graph.nodes.some((n) => n.phase);
    const run = S.current.run;
    $("#kernel-list").replaceChildren(...d.kernels.map((k, i) => {
      const phase = kernelPhase(k, provenance);
      const color = COLORS[phase] ?? `linear-gradient(${(k.phases ?? []).map(phaseColor).join(",")})`;
      return h("div", { class: `kitem${i === S.selectedKernel ? " on" : ""}`, "data-kernel": i, "data-phase": phase, "data-seam": k.seam ? 1 : 0, onclick: () => selectKernel(i).catch(report) },
        h("div", { class: "sw", style: { background: color } }),
        h("div", { class: "nm", title: k.name }, `${i}  ${k.name}`),
        h("div", { class: "ms" }, run?.kernelMs ? fmtMs(run.kernelMs[i]) : ""),
        h("div", { class: "meta" }, `${k.launch.global.join("×")} × ${k.launch.local.join("×")} · ${k.opts?.length ? k.opts.join(" ") : "no opts"}`));
    }));
  }

  async function selectKernel(i) {
    S.selectedKernel = i;
    for (const el of $$("#kernel-list .kitem")) el.classList.toggle("on", Number(el.dataset.kernel) === i);
    await renderKernelDetail();
  }

  let astPane = null, sourceTab = "WEBGPU", sourceTabDevice = "WEBGPU", astMode = "ast";
  async function renderKernelDetail() {
    const d = S.current.data, i = S.selectedKernel, k = d.kernels[i];
    const box = $("#kernel-detail");
    if (!k) { box.replaceChildren(h("p", { class: "dim" }, "This program has no kernels.")); return; }
    const provenance = d.graph.nodes.some((n) => n.phase);
    const run = S.current.run;
    const bufferRow = (role, b) => h("tr", {},
      h("td", {}, role), h("td", {}, `b${b.buffer}`), h("td", {}, b.dtype), h("td", {}, fmtNum(b.size)),
      h("td", {}, b.node !== undefined ? h("span", { class: "link", "data-graph-node": b.node, onclick: () => showNode(b.node).catch(report) }, `#${b.node} ${d.graph.nodes[b.node]?.op ?? ""}`) : h("span", { class: "dim" }, "—")),
      h("td", {}, writerOf(d, b.buffer, i)));
    // This target's source first (what runs), then the kernel as the other targets would render it.
    const sources = { [S.current.device]: k.source };
    for (const t of ["WEBGPU", "CPU", "CUDA"]) if (!(t in sources) && k.sources?.[t]) sources[t] = k.sources[t];
    const srcNames = { WEBGPU: "WGSL", CPU: "C", CUDA: "CUDA" };
    for (const t of Object.keys(srcNames)) if (t === S.current.device) srcNames[t] += t === "WEBGPU" ? " (runs here)" : " (this target)";
    if (!(sourceTab in sources) || sourceTabDevice !== S.current.device) sourceTab = S.current.device;
    sourceTabDevice = S.current.device;
    const pre = h("pre", { html: highlight(sources[sourceTab] ?? "// not available") });
    const srcTabs = h("div", { class: "tabs" }, ...Object.keys(sources).filter((t) => sources[t]).map((t) =>
      h("button", { class: t === sourceTab ? "on" : "", onclick: (e) => {
        sourceTab = t;
        pre.innerHTML = highlight(sources[t]);
        for (const b of e.target.parentNode.children) b.classList.toggle("on", b === e.target);
      } }, srcNames[t])));
    const astHost = h("div", { class: "ast-pane" });
    const astNodes = (x) => (Array.isArray(x) ? x : x?.nodes ?? []);
    const astToggle = h("div", { class: "seg" }, ...[["ast", "after opts"], ["ast_lowered", "lowered"]].filter(([f]) => k[f]).map(([f, label]) =>
      h("button", { class: f === astMode ? "on" : "", onclick: (e) => {
        astMode = f;
        for (const b of e.target.parentNode.children) b.classList.toggle("on", b === e.target);
        drawAst().catch(report);
      } }, label)));
    box.replaceChildren(
      h("div", { class: "kd-head" },
        h("h2", {}, k.name), ...phaseChips(k, provenance),
        h("span", { class: "dim" }, `kernel ${i} of ${d.kernels.length}`),
        h("span", { class: "badge run-badge", hidden: !run?.kernelMs }, run?.kernelMs ? `ran in ${fmtMs(run.kernelMs[i])}` : ""),
        h("button", { onclick: () => selectKernel(Math.max(0, i - 1)).catch(report), disabled: i === 0 }, "◀"),
        h("button", { onclick: () => selectKernel(Math.min(d.kernels.length - 1, i + 1)).catch(report), disabled: i === d.kernels.length - 1 }, "▶"),
        h("button", { onclick: () => { setGraphMode("tensor"); setView("graph").then(() => panes.tensor.highlight(null, k.fused ?? [])).catch(report); } }, "show fused nodes in the graph")),
      h("div", { class: "cards" },
        h("div", { class: "card" }, h("h4", {}, "Launch"),
          h("div", { class: "dims" }, "global ", h("b", {}, `[${k.launch.global.join(", ")}]`), "  local ", h("b", {}, `[${k.launch.local.join(", ")}]`)),
          h("div", { class: "dim small" }, `${k.launch.global.reduce((a, x) => a * x, 1)} workgroups × ${k.launch.local.reduce((a, x) => a * x, 1)} threads · iteration space [${(k.global_size ?? []).join(", ")}]`),
          k.variables?.length ? h("div", { class: "small" }, "variables: ", ...k.variables.map((v) => h("span", { class: "chip" }, `${v.name}∈[${v.min}, ${v.max}]${v.value !== undefined ? ` = ${v.value}` : ""}`))) : ""),
        h("div", { class: "card" }, h("h4", {}, "Opts ", h("span", { class: "dim" }, k.opts_origin ? `(${k.opts_origin})` : "")),
          k.opts?.length ? h("ol", { class: "opts" }, ...k.opts.map((o) => h("li", {}, o))) : h("div", { class: "dim" }, "none applied")),
        h("div", { class: "card", style: { gridColumn: "span 2" } }, h("h4", {}, "Buffers ", h("span", { class: "dim" }, "(click a node to find it in the graph)")),
          h("table", { class: "buffers" }, h("tr", {}, ...["", "buffer", "dtype", "size", "graph node", "written by"].map((t) => h("th", {}, t))),
            ...k.outputs.map((b) => bufferRow("writes", b)), ...k.inputs.map((b) => bufferRow("reads", b))))),
      h("div", { class: "srcbox" }, srcTabs, pre),
      h("div", { class: "kd-head" }, h("h4", { style: { margin: 0 } }, "AST"), astToggle,
        h("span", { class: "dim small" }, `${astNodes(k[astMode]).length} nodes`), categoryLegend()),
      astHost);
    if (astPane) astPane.owner = null;
    astPane = new GraphPane(astHost);
    const drawAst = async () => {
      const nodes = astNodes(k[astMode] ?? k.ast);
      await drawOrAsk(astPane, plainModel(nodes), `${S.current.key}|ast|${i}|${astMode}`);
    };
    await drawAst();
  }
  function writerOf(d, buffer, before) {
    for (let j = before - 1; j >= 0; --j)
      if (d.kernels[j].outputs[0].buffer === buffer) return h("span", { class: "link", onclick: () => selectKernel(j).catch(report) }, `kernel ${j}`);
    return h("span", { class: "dim" }, before >= 0 && d.kernels[before]?.outputs[0].buffer === buffer ? "this kernel" : "input");
  }

  // ---------------------------------------------------------------------------------------------
  // Timeline view.

  let tlPanes = [];
  function renderTimeline() {
    const steps = S.current.data.timeline ?? [];
    // The strip: each top-level stage as a group of its own stages, widths by time.
    const top = steps.filter((t) => (t.depth ?? 0) === 0);
    const total = top.reduce((a, t) => a + t.ms, 0) || 1;
    const stageColors = ["#2a7f9e", "#3f8f6b", "#8a6bbf", "#b8733a", "#a14f6e", "#5a7fb8", "#7f8f3a", "#9e5a3a"];
    let colorIndex = 0;
    const block = (t, grow) => {
      const idx = steps.indexOf(t);
      return h("div", { class: `tl-block${idx === S.selectedStep ? " on" : ""}`, "data-step": idx, style: { flex: `${grow} 1 0`, background: stageColors[colorIndex++ % stageColors.length] },
        title: `${t.kind} ${t.name}: ${fmtMs(t.ms)}${t.runs > 1 ? ` (${t.runs} runs)` : ""}`, onclick: () => selectStep(idx).catch(report) }, h("b", {}, t.name), fmtMs(t.ms));
    };
    $("#timeline-strip").replaceChildren(...top.map((t) => {
      const idx = steps.indexOf(t);
      const kids = steps.filter((c) => c.parent === idx && c.kind === "stage");
      const grow = Math.max(t.ms / total, 0.06);
      if (!kids.length) return block(t, grow);
      const kidTotal = kids.reduce((a, c) => a + c.ms, 0) || 1;
      return h("div", { class: "tl-group", style: { flex: `${grow} 1 0`, minWidth: `${kids.length * 44}px` } },
        h("div", { class: `tl-glabel${idx === S.selectedStep ? " on" : ""}`, "data-step": idx, onclick: () => selectStep(idx).catch(report) }, h("b", {}, t.name), ` ${fmtMs(t.ms)}`),
        h("div", { class: "tl-kids" }, ...kids.map((c) => block(c, Math.max(c.ms / kidTotal, 0.12)))));
    }), h("div", { class: "tl-total" }, h("b", {}, fmtMs(total)), "compile time"));
    const maxMs = Math.max(...steps.map((t) => t.ms), 1e-9);
    $("#timeline-list").replaceChildren(...steps.map((t, idx) => {
      const fired = (t.rules ?? []).reduce((a, r) => a + r[1], 0);
      return h("div", { class: `tl-row${idx === S.selectedStep ? " on" : ""}`, "data-step": idx, style: { paddingLeft: `${10 + 14 * (t.depth ?? 0)}px` }, onclick: () => selectStep(idx).catch(report) },
        h("div", { class: "nm" }, h("span", { class: `kind ${t.kind}` }, t.kind), t.name, t.runs > 1 ? h("span", { class: "dim" }, ` ×${t.runs}`) : ""),
        h("div", { class: "ms" }, `${fmtMs(t.ms)}${fired ? ` · ${fired} rw` : ""}`),
        h("div", { class: "bar" }, h("i", { style: { width: `${(100 * t.ms) / maxMs}%` } })));
    }));
  }

  async function selectStep(idx) {
    const steps = S.current.data.timeline ?? [];
    const t = steps[idx];
    S.selectedStep = idx;
    for (const el of $$("[data-step]")) el.classList.toggle("on", Number(el.dataset.step) === idx);
    $(`#timeline-list [data-step="${idx}"]`)?.scrollIntoView({ block: "nearest" });
    const box = $("#timeline-detail");
    if (!t) { box.replaceChildren(h("p", { class: "dim" }, "No stages were recorded.")); return; }
    const rules = t.rules ?? [];
    const maxRule = Math.max(1, ...rules.map((r) => r[1]));
    const counts = Object.entries(t.counts ?? {});
    const children = steps.filter((c) => c.parent === idx);
    const ba = (what, g) => {
      const pane = h("div", { class: "pane" });
      const cap = h("div", { class: "cap" }, h("b", {}, what), " ",
        h("span", { class: "dim" }, g ? `${g.size ?? g.nodes?.length} nodes${g.nodes ? "" : " (too big to keep: only its size)"}` : "not recorded"));
      return [h("div", { class: "ba" }, cap, pane), pane, g];
    };
    const before = ba("graph before", t.graph_before), after = ba("graph after", t.graph_after);
    box.replaceChildren(
      h("div", { class: "kd-head" }, h("h2", {}, t.name), h("span", { class: "badge" }, t.kind), h("span", { class: "badge" }, fmtMs(t.ms)),
        t.runs > 1 ? h("span", { class: "badge" }, `${t.runs} runs`) : "", t.depth ? h("span", { class: "dim" }, `inside ${steps[t.parent]?.name ?? ""}`) : "", categoryLegend()),
      h("div", { class: "tl-summary" },
        h("div", { class: "card" }, h("h4", {}, "Rules fired ", h("span", { class: "dim" }, rules.length ? `(${rules.length} rules, ${rules.reduce((a, r) => a + r[1], 0)} rewrites)` : "")),
          rules.length ? rules.map(([name, n]) => h("div", { class: "rule", title: name }, h("span", { class: "nm" }, name), h("span", { class: "b" }, h("i", { style: { width: `${(100 * n) / maxRule}%` } })), h("span", { class: "n" }, n)))
            : h("div", { class: "dim" }, "none (a stage, or a pass that changed nothing)")),
        h("div", { class: "card" }, h("h4", {}, "Counts"),
          counts.length ? h("table", { class: "kv-table" }, ...counts.map(([k, v]) => h("tr", {}, h("td", {}, k), h("td", { class: "mono" }, v)))) : h("div", { class: "dim" }, "none"),
          children.length ? h("div", { class: "small", style: { marginTop: "6px" } }, "inside: ", ...children.map((c) => h("span", { class: "chip", onclick: () => selectStep(steps.indexOf(c)).catch(report) }, c.name))) : "")),
      h("div", { class: "before-after" }, before[0], after[0]));
    for (const p of tlPanes) p.owner = null;
    tlPanes = [];
    const draws = [before, after].map(async ([, host, g], j) => {
      if (!g?.nodes) {
        host.append(h("div", { class: "pane-msg" }, g ? `${g.size} nodes: more than the compiler keeps for a step` : "this step has no graph"));
        return;
      }
      const pane = new GraphPane(host);
      tlPanes.push(pane);
      await drawOrAsk(pane, plainModel(g.nodes), `${S.current.key}|tl|${idx}|${j}`);
    });
    await Promise.all(draws);
  }

  // Draws a pass's graph or an AST; a big one not laid out before waits for a click (dagre takes
  // seconds to minutes on thousands of nodes).
  async function drawOrAsk(pane, model, key) {
    const entry = S.current;
    if (model.nodes.length <= ASK_BEFORE_LAYOUT || entry.layouts.has(key)) return pane.draw(model, key, entry.key, entry.layouts);
    const ask = h("div", { class: "pane-msg ask" }, h("div", {}, `${model.nodes.length} nodes`),
      h("button", { onclick: () => { ask.remove(); pane.draw(model, key, entry.key, entry.layouts).catch(report); } }, "lay out (may take a while)"));
    pane.host.append(ask);
    return null;
  }

  // The first stage with a graph to show (so the view opens on something drawn).
  function defaultStep(steps) {
    const withGraph = steps.findIndex((t) => t.graph_before?.nodes && t.graph_after?.nodes && t.graph_after.nodes.length <= 400 && (t.rules ?? []).length);
    return withGraph >= 0 ? withGraph : 0;
  }

  // ---------------------------------------------------------------------------------------------
  // Views.

  async function setView(view) {
    if (view === "kernel-graph") { setGraphMode("kernel"); view = "graph"; }
    else if (view === "tensor-graph") { setGraphMode("tensor"); view = "graph"; }
    S.view = view;
    for (const b of $$("#tabs button")) b.classList.toggle("on", b.dataset.view === view);
    for (const v of $$(".view")) v.classList.toggle("on", v.id === `view-${view}`);
    if (!S.current) return;
    if (view === "graph") await drawGraphs();
    else if (view === "kernels") { renderKernelList(); await renderKernelDetail(); }
    else if (view === "timeline") {
      renderTimeline();
      await selectStep(S.selectedStep ?? defaultStep(S.current.data.timeline ?? []));
    } else if (view === "train") renderTrain();
  }

  // ---------------------------------------------------------------------------------------------
  // WebGPU: run the program's kernels, time them, compare with the reference evaluator.

  async function gpu() {
    if (!S.gpu) S.gpu = annealWebGpu.open().then((g) => {
      $("#adapter").textContent = `WebGPU: ${g.adapter || "adapter"}`;
      g.device.lost?.then((info) => { S.gpu = null; setStatus(`the WebGPU device was lost: ${info.message}`, true); });
      return g;
    });
    return S.gpu;
  }

  // |got - want| / max(1, |want|): absolute near zero, relative for large values.
  function compare(got, want) {
    let worst = 0, worstAt = -1, worstAbs = 0;
    const n = Math.min(got.length, want.length);
    for (let i = 0; i < n; ++i) {
      const g = Number(got[i]), w = want[i];
      let e;
      if (Number.isNaN(g) || Number.isNaN(w)) e = Number.isNaN(g) && Number.isNaN(w) ? 0 : Infinity;
      else if (!Number.isFinite(g) || !Number.isFinite(w)) e = g === w ? 0 : Infinity;
      else e = Math.abs(g - w) / Math.max(1, Math.abs(w));
      if (e > worst) { worst = e; worstAt = i; worstAbs = Math.abs(g - w); }
    }
    if (got.length !== want.length) worst = Infinity;
    return { n: got.length, want: want.length, worst, worstAt, worstAbs };
  }

  async function runKernels(options = {}) {
    const entry = S.current;
    if (!entry) throw new Error("no program shown");
    if (entry.device !== "WEBGPU") throw new Error(`the ${entry.device} target's kernels run in the native build, not in the page`);
    const button = $("#run");
    button.disabled = true;
    setStatus(`running ${entry.data.kernels.length} kernels on WebGPU…`);
    try {
      let g;
      try {
        g = await gpu();
      } catch (e) {
        S.gpu = null;
        const result = { adapter: null, error: String(e.message ?? e) };
        setStatus(`cannot run: ${result.error}`, true);
        return result;
      }
      // The module's buffers and reference are the latest explored program's: explore it again if
      // another one came since (its buffer ids are new; what is drawn stays).
      const program = S.latest === entry ? entry.fresh : explore(entry);
      const session = await annealWebGpu.session(g.device, program, (id) => S.m.bufferBytes(id));
      try {
        const timed = await session.runTimed();
        const whole = await session.run();
        const result = {
          adapter: g.adapter, kernels: program.kernels.length, ms: whole.ms, kernelMs: timed.kernelMs, kernelTotalMs: timed.ms,
          compileMs: session.compileMs, worstError: null, referenceMs: null, referenceError: null,
          outputs: whole.values.map((v, o) => ({ dtype: program.outputs[o].dtype, buffer: program.outputs[o].buffer, n: v.length,
            first: Array.from(v.slice(0, 8), Number), sameTwice: compare(timed.values[o], Array.from(v, Number)).worst === 0 })),
        };
        result.values = result.outputs.map((o) => ({ n: o.n, first: o.first }));
        result.referenceCost = referenceCost(entry.data);
        entry.run = result;
        entry.runValues = whole.values;
        renderRun(result);
        // The reference evaluator is naive (float64, one element at a time, on this thread): it runs
        // by itself only where that takes seconds; a training step waits for a click.
        const auto = options.reference === undefined && result.referenceCost <= REFERENCE_BUDGET;
        if (options.reference === true || auto) await checkReference(entry);
        return result;
      } finally {
        session.destroy();
      }
    } catch (e) {
      setStatus(`run failed: ${e.message ?? e}`, true);
      throw e;
    } finally {
      button.disabled = false;
    }
  }

  // Element operations the reference evaluator does for `data`'s graph: every computed element, and
  // every element a reduction reads. It manages about a million a second.
  function referenceCost(data) {
    const byId = new Map(data.graph.nodes.map((n) => [n.id, n]));
    const numel = (shape) => (shape ?? []).reduce((a, x) => a * (typeof x === "number" ? x : 1), 1);
    let cost = 0;
    for (const n of data.graph.nodes) {
      if (MOVEMENT.has(n.op) || SOURCES.has(n.op) || n.op === "SINK") continue;
      cost += n.op === "REDUCE" ? numel(byId.get(n.srcs[0])?.shape) : numel(n.shape);
    }
    return cost;
  }

  // Compares the latest WebGPU run of `entry` with the reference evaluator's values.
  async function checkReference(entry = S.current) {
    const result = entry?.run;
    if (!result || !entry.runValues) throw new Error("run the kernels on WebGPU first");
    setStatus(`checking ${entry.name} against the reference evaluator (≈${fmtNum(result.referenceCost)} element operations)…`);
    result.checking = true;
    renderRun(result);
    await nextFrame();
    await nextFrame();
    if (S.latest !== entry) explore(entry);
    const t = performance.now();
    try {
      const reference = S.m.reference();
      result.referenceMs = performance.now() - t;
      entry.runValues.forEach((v, o) => Object.assign(result.outputs[o], compare(v, reference[o])));
      result.worstError = Math.max(0, ...result.outputs.map((o) => o.worst));
      result.referenceError = null;
    } catch (e) {
      result.referenceError = typeof e === "number" ? `the evaluator failed (C++ exception ${e})` : String(e.message ?? e);
    }
    result.checking = false;
    result.referenceSkipped = false;
    if (S.current === entry) renderRun(result);
    return result;
  }

  function renderRun(r) {
    const checked = r.worstError !== null && r.worstError !== undefined;
    const ok = checked && r.worstError <= TOLERANCE;
    const verdict = r.referenceError ? `reference: ${r.referenceError}` : checked ? `worst error against the reference ${r.worstError.toExponential(2)} ${ok ? "✓" : "✗"}`
      : r.checking ? "checking against the reference…" : "reference not checked";
    setStatus(`WebGPU: ${r.kernels} kernels in ${fmtMs(r.ms)} (one pass; ${fmtMs(r.kernelTotalMs)} one by one) · compiled in ${fmtMs(r.compileMs)} · ${verdict}`, checked && !ok);
    if (S.view === "kernels") {
      renderKernelList();
      const badge = $("#kernel-detail .run-badge");
      if (badge) { badge.hidden = false; badge.textContent = `ran in ${fmtMs(r.kernelMs[S.selectedKernel])}`; }
    }
    const panel = $("#run-panel");
    panel.hidden = false;
    panel.replaceChildren(
      h("div", { class: "rp-head" }, h("b", {}, `WebGPU run · ${S.current.name}`), h("button", { class: "close", title: "close", onclick: () => { panel.hidden = true; } }, "×")),
      h("table", { class: "kv-table" },
        h("tr", {}, h("td", {}, "adapter"), h("td", {}, r.adapter || "—")),
        h("tr", {}, h("td", {}, "pipelines"), h("td", { class: "mono" }, `${r.kernels} compiled in ${fmtMs(r.compileMs)}`)),
        h("tr", {}, h("td", {}, "one pass"), h("td", { class: "mono" }, `${fmtMs(r.ms)} (submit to values read back)`)),
        h("tr", {}, h("td", {}, "one by one"), h("td", { class: "mono" }, `${fmtMs(r.kernelTotalMs)} (each kernel waited for)`)),
        h("tr", {}, h("td", {}, "reference"), h("td", { class: "mono" }, r.referenceError ? h("span", { class: "error" }, r.referenceError)
          : checked ? `${fmtMs(r.referenceMs)} (naive evaluator, float64)` : r.checking ? "checking…"
          : h("span", {}, `skipped: ≈${fmtNum(r.referenceCost)} element operations (about ${fmtMs(r.referenceCost / 1000)}) `,
            h("button", { onclick: () => checkReference().catch(report) }, "check anyway")))),
        h("tr", {}, h("td", {}, "worst error"), h("td", { class: `mono ${ok ? "ok" : checked ? "error" : ""}` },
          checked ? `${r.worstError.toExponential(2)} ${ok ? "✓" : "✗"} (|got − want| / max(1, |want|) ≤ ${TOLERANCE})` : "—"))),
      h("table", { class: "buffers run-table" }, h("tr", {}, ...["output", "values", "worst", "first values"].map((t) => h("th", {}, t))),
        ...r.outputs.slice(0, 6).map((o) => h("tr", {}, h("td", {}, `b${o.buffer}`), h("td", {}, fmtNum(o.n)),
          h("td", { class: o.worst === undefined || o.worst <= TOLERANCE ? "" : "bad" }, o.worst === undefined ? "—" : o.worst.toExponential(1)),
          h("td", { title: o.first.join(", ") }, o.first.slice(0, 3).map((v) => +v.toPrecision(4)).join(", ")))),
        r.outputs.length > 6 ? h("tr", {}, h("td", { colspan: 4, class: "dim" }, `and ${r.outputs.length - 6} more outputs`)) : ""),
      h("div", { class: "small dim", style: { margin: "8px 0 4px" } }, "slowest kernels"),
      h("table", { class: "buffers" }, ...r.kernelMs.map((ms, i) => [ms, i]).sort((a, b) => b[0] - a[0]).slice(0, 5).map(([ms, i]) =>
        h("tr", {}, h("td", {}, h("span", { class: "link", onclick: () => gotoKernel(i).catch(report) }, `${i} ${S.current.data.kernels[i]?.name ?? ""}`)), h("td", {}, fmtMs(ms))))));
  }

  // ---------------------------------------------------------------------------------------------
  // Training: a classifier's Adam step (trainLoop) repeated on WebGPU; parameters stay on the GPU.

  let fashion = null;
  async function fashionData() {
    if (!fashion) fashion = fetch("fashion-subset.bin").then(async (r) => {
      if (!r.ok) throw new Error(`fashion-subset.bin: HTTP ${r.status}`);
      const bytes = new Uint8Array(await r.arrayBuffer());
      const n = Math.floor(bytes.length / 785);
      if (!n || n * 785 !== bytes.length) throw new Error(`fashion-subset.bin: ${bytes.length} bytes is not N × 785`);
      return { n, pixels: bytes.subarray(0, n * 784), labels: bytes.subarray(n * 784) };
    });
    try {
      return await fashion;
    } catch (e) {
      fashion = null;
      throw e;
    }
  }

  function trainState() {
    if (!S.train) S.train = { model: null, batch: 0, session: null, program: null, losses: [], step: 0, running: false, stop: false, ms: [], seed: 1 };
    return S.train;
  }

  async function trainSession(model, batch) {
    const T = trainState();
    if (T.session && T.model === model && T.batch === batch) return T;
    T.session?.destroy();
    T.session = null;
    const g = await gpu();
    const data = await fashionData();
    const t = performance.now();
    const program = JSON.parse(S.m.trainLoop(model, batch));
    if (program.error) throw new Error(program.error);
    S.latest = null;  // the module's buffers are the training step's now
    T.session = await annealWebGpu.session(g.device, program, (id) => S.m.bufferBytes(id),
      { feeds: [program.feeds.images, program.feeds.labels], carry: program.carry });
    Object.assign(T, { model, batch, program, data, losses: [], step: 0, ms: [], seed: 1, buildMs: performance.now() - t,
      images: new Float32Array(batch * 784), labels: new Int32Array(batch) });
    return T;
  }

  function nextBatch(T) {
    const { data, batch, images, labels } = T;
    for (let b = 0; b < batch; ++b) {
      T.seed = (Math.imul(T.seed, 1103515245) + 12345) >>> 0;
      const i = T.seed % data.n;
      const px = data.pixels.subarray(i * 784, (i + 1) * 784);
      for (let j = 0; j < 784; ++j) images[b * 784 + j] = px[j] / 255;
      labels[b] = data.labels[i];
    }
  }

  async function train(steps = 50, options = {}) {
    const T = trainState();
    if (T.running) throw new Error("training is already running");
    const model = options.model ?? $("#train-model").value ?? "mlp";
    const batch = Number(options.batch ?? $("#train-batch").value ?? 64);
    T.running = true;
    T.stop = false;
    renderTrain();
    $("#train-model").value = model;
    if (![...$("#train-batch").options].some((o) => o.value === String(batch))) $("#train-batch").append(h("option", {}, batch));
    $("#train-batch").value = String(batch);
    $("#train-start").disabled = true;
    $("#train-stop").disabled = false;
    const losses = [];
    try {
      $("#train-status").textContent = `preparing the ${model} step (batch ${batch})…`;
      await trainSession(model, batch);
      if (options.reset) { T.losses = []; T.step = 0; }
      const t0 = performance.now();
      for (let i = 0; i < steps && !T.stop; ++i) {
        nextBatch(T);
        const ts = performance.now();
        const [loss] = await T.session.step({ [T.program.feeds.images]: T.images, [T.program.feeds.labels]: T.labels }, [0]);
        T.ms.push(performance.now() - ts);
        const value = loss[0];
        losses.push(value);
        T.losses.push(value);
        T.step++;
        if (i % 5 === 0 || i === steps - 1) { drawTrain(); await nextFrame(); }
      }
      const total = performance.now() - t0;
      drawTrain();
      $("#train-status").textContent = `${losses.length} steps in ${fmtMs(total)}`;
      return { losses, ms: total, steps: losses.length, model, batch, kernels: T.program.kernels.length };
    } finally {
      T.running = false;
      $("#train-start").disabled = false;
      $("#train-stop").disabled = true;
    }
  }

  function renderTrain() {
    const sel = $("#train-model");
    if (!sel.options.length) for (const c of S.list.classifiers) sel.append(h("option", { value: c }, c));
    drawTrain();
  }

  function drawTrain() {
    const T = trainState();
    const svg = $("#loss-plot");
    const W = svg.clientWidth || 800, H = svg.clientHeight || 400;
    svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
    svg.replaceChildren();
    const L = T.losses;
    const pad = { l: 52, r: 16, t: 12, b: 28 };
    const maxStep = Math.max(10, L.length);
    const maxLoss = Math.max(0.5, ...L.filter(Number.isFinite)) * 1.05;
    const x = (i) => pad.l + (i / (maxStep - 1)) * (W - pad.l - pad.r);
    const y = (v) => pad.t + (1 - v / maxLoss) * (H - pad.t - pad.b);
    for (let j = 0; j <= 5; ++j) {
      const v = (maxLoss * j) / 5;
      svg.append(s("line", { x1: pad.l, x2: W - pad.r, y1: y(v), y2: y(v), class: "grid" }));
      const t = s("text", { x: pad.l - 6, y: y(v) + 4, "text-anchor": "end" });
      t.textContent = v.toFixed(2);
      svg.append(t);
    }
    const tick = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000].find((v) => maxStep / v <= 8) ?? 20000;
    for (let st = 0; st < maxStep; st += tick) {
      const t = s("text", { x: x(st), y: H - 8, "text-anchor": "middle" });
      t.textContent = st;
      svg.append(t);
    }
    svg.append(s("line", { x1: pad.l, x2: pad.l, y1: pad.t, y2: H - pad.b, class: "axis" }), s("line", { x1: pad.l, x2: W - pad.r, y1: H - pad.b, y2: H - pad.b, class: "axis" }));
    if (L.length) {
      svg.append(s("path", { class: "raw", d: `M${L.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join("L")}` }));
      let e = L[0];
      const ema = L.map((v) => (e = 0.9 * e + 0.1 * v));
      svg.append(s("path", { class: "ema", d: `M${ema.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join("L")}` }));
    } else {
      const t = s("text", { x: W / 2, y: H / 2, "text-anchor": "middle" });
      t.textContent = "press “Train on WebGPU”: the loss of each step appears here";
      svg.append(t);
    }
    const recent = T.ms.slice(-20);
    const msStep = recent.length ? recent.reduce((a, v) => a + v, 0) / recent.length : 0;
    const mean = (a) => (a.length ? a.reduce((p, v) => p + v, 0) / a.length : NaN);
    const stats = [
      ["model", T.model ? `${T.model} · batch ${T.batch}` : "—"], ["step", T.step], ["loss", L.length ? L.at(-1).toFixed(4) : "—"],
      ["first 10 (mean)", L.length ? mean(L.slice(0, 10)).toFixed(4) : "—"], ["last 10 (mean)", L.length ? mean(L.slice(-10)).toFixed(4) : "—"],
      ["ms / step", msStep ? msStep.toFixed(1) : "—"], ["images / s", msStep ? fmtNum(Math.round((T.batch * 1000) / msStep)) : "—"],
      ["kernels / step", T.program ? T.program.kernels.length : "—"], ["data", T.data ? `${T.data.n} images` : "—"],
    ];
    $("#train-stats").replaceChildren(...stats.flatMap(([k, v]) => [h("span", {}, k), h("span", {}, v)]));
    drawBatch(T);
  }

  function drawBatch(T) {
    const canvas = $("#batch-canvas");
    const ctx = canvas.getContext("2d");
    ctx.fillStyle = "#000";
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    if (!T.images || !T.step) { $("#batch-labels").textContent = ""; return; }
    const n = Math.min(16, T.batch);
    const img = ctx.createImageData(28, 28);
    for (let b = 0; b < n; ++b) {
      for (let j = 0; j < 784; ++j) {
        const v = Math.round(T.images[b * 784 + j] * 255);
        img.data.set([v * 0.55, v * 0.9, v, 255], j * 4);
      }
      const tmp = new OffscreenCanvas(28, 28);
      tmp.getContext("2d").putImageData(img, 0, 0);
      ctx.imageSmoothingEnabled = false;
      ctx.drawImage(tmp, (b % 4) * 64 + 2, Math.floor(b / 4) * 64 + 2, 60, 60);
    }
    $("#batch-labels").textContent = Array.from(T.labels.slice(0, n), (l) => CLASSES[l]).join(" · ");
  }

  // ---------------------------------------------------------------------------------------------
  // Wiring.

  // The training steps the compiler builds (mlp, conv, dynmlp, nanogpt); the live Train view takes the
  // classifiers only (trainLoop).
  const trainSteps = () => S.list.train_steps ?? S.list.classifiers;

  function buildSidebar() {
    const item = (name, train, note) => h("li", { "data-key": `${name}${train ? ":train" : ""}`, onclick: () => open(name, { train }) }, h("span", {}, name), h("span", { class: "dim" }, note));
    $("#program-list").replaceChildren(...S.list.programs.map((p) => item(p, false, "")));
    $("#train-list").replaceChildren(...trainSteps().map((c) => item(c, true, c === "nanogpt" ? "AdamW step" : "Adam step")));
    const ex = $("#example-select");
    ex.replaceChildren(...Object.keys(EXAMPLES).map((k) => h("option", { value: k }, `example: ${k}`)));
    ex.onchange = () => { $("#code").value = EXAMPLES[ex.value]; };
    $("#code").value = EXAMPLES[Object.keys(EXAMPLES)[0]];
    $("#build").onclick = () => open(null, { code: $("#code").value }).catch(() => {});
    $("#code").addEventListener("keydown", (e) => {
      if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) { e.preventDefault(); $("#build").click(); }
      if (e.key === "Tab") { e.preventDefault(); document.execCommand?.("insertText", false, "  "); }
    });
  }

  // Loads a program into the current view (the UI's path; show() is the test's).
  async function open(program, { train = false, code, device } = {}) {
    $("#code-error").textContent = "";
    try {
      await select(entryFor(program, train, code, device));
      await setView(S.view === "train" ? "graph" : S.view);
    } catch (e) {
      if (e instanceof Cancelled) return;
      if (code !== undefined) $("#code-error").textContent = String(e.message ?? e);
      setStatus(String(e.message ?? e), true);
      throw e;
    }
  }

  function wire() {
    panes = {
      tensor: new GraphPane($("#tensor-graph"), {
        onNode: (key) => selectNode(Number(key)),
        onBackground: () => { panes.tensor.highlight(null); programSummary(); },
      }),
      kernel: new GraphPane($("#kernel-graph"), {
        onNode: (key) => {
          if (key.startsWith("k")) selectKernelInGraph(Number(key.slice(1)));
          else {
            const id = Number(key.slice(1));
            const b = S.current.data.kernels.flatMap((k) => k.inputs).find((x) => x.buffer === id);
            panes.kernel.highlight(key);
            $("#details").replaceChildren(h("h2", {}, `buffer ${id}`), h("p", {}, `an input: ${b?.size} × ${b?.dtype}`),
              b?.node !== undefined ? h("span", { class: "link", onclick: () => showNode(b.node).catch(report) }, `graph node #${b.node} →`) : "");
          }
        },
        onBackground: () => { panes.kernel.highlight(null); programSummary(); },
      }),
    };
    for (const b of $$("#tabs button")) b.onclick = () => setView(b.dataset.view).catch(report);
    for (const b of $$("#graph-mode button")) b.onclick = () => { setGraphMode(b.dataset.mode); setView("graph").catch(report); };
    $("#hide-movement").onchange = (e) => { S.hideMovement = e.target.checked; setView("graph").catch(report); };
    $("#fit").onclick = () => (S.graphMode === "tensor" ? panes.tensor : panes.kernel).fit();
    $("#run").onclick = () => runKernels().catch(report);
    $("#target").onchange = (e) => {
      S.device = e.target.value;
      const c = S.current;
      if (c) open(c.code !== undefined ? null : c.name, { train: c.train, code: c.code, device: S.device }).catch(() => {});
    };
    $("#find").addEventListener("keydown", (e) => {
      if (e.key !== "Enter" || !S.current) return;
      const q = e.target.value.trim().replace(/^#/, "");
      const nodes = S.current.data.graph.nodes;
      const hit = /^\d+$/.test(q) ? nodes[Number(q)] : nodes.find((n) => n.op.toLowerCase().startsWith(q.toLowerCase()) && panes.tensor.nodeEls.has(String(n.id)));
      if (hit) { setGraphMode("tensor"); selectNode(hit.id, true); } else setStatus(`no node “${q}”`, true);
    });
    $("#train-start").onclick = () => train(Number($("#train-steps").value) || 100).catch(report);
    $("#train-stop").onclick = () => { trainState().stop = true; };
    $("#train-reset").onclick = () => {
      const T = trainState();
      if (T.running) return;
      T.session?.destroy();
      Object.assign(T, { session: null, model: null, losses: [], step: 0, ms: [] });
      drawTrain();
    };
    $("#train-model").onchange = $("#train-batch").onchange = () => drawTrain();
    window.addEventListener("resize", () => drawTrain());
  }
  // Errors of UI actions go to the status bar (not the console: the tests count console errors).
  function report(e) {
    if (e instanceof Cancelled) return;
    setStatus(String(e?.message ?? e), true);
  }

  function state() {
    const tsvg = $("#tensor-graph svg"), ksvg = $("#kernel-graph svg");
    const phaseColors = {}, kernelPhases = {};
    for (const el of tsvg.querySelectorAll("[data-node-id]")) phaseColors[el.dataset.phase] = (phaseColors[el.dataset.phase] ?? 0) + 1;
    const kernels = [...ksvg.querySelectorAll("[data-kernel]")];
    for (const el of kernels) kernelPhases[el.dataset.phase] = (kernelPhases[el.dataset.phase] ?? 0) + 1;
    const fillOf = (el) => el.querySelector("rect")?.getAttribute("fill");
    const d = S.current?.data;
    return {
      program: S.current?.name ?? null, train: S.current?.train ?? false, custom: S.current?.code !== undefined, device: S.current?.device ?? null,
      view: S.view, graphMode: S.graphMode,
      nodes: d?.graph.nodes.length ?? 0, kernels: d?.kernels.length ?? 0, seamKernels: d ? d.seam_kernels ?? d.kernels.filter((k) => k.seam).length : 0,
      nodesDrawn: tsvg.querySelectorAll("[data-node-id]").length, nodesHidden: S.hidden ?? 0,
      movementNodes: d ? d.graph.nodes.filter((n) => MOVEMENT.has(n.op)).length : 0,
      edgesDrawn: tsvg.querySelectorAll("path.edge").length,
      kernelsDrawn: kernels.length,
      kernelsListed: $$("#kernel-list [data-kernel]").length,
      seamKernelsDrawn: kernels.filter((el) => el.dataset.seam === "1").length,
      goldKernels: kernels.filter((el) => fillOf(el) === COLORS.seam).length,
      seamNotGold: kernels.filter((el) => (el.dataset.seam === "1") !== (fillOf(el) === COLORS.seam)).length,
      phaseColors, kernelPhases,
      // The phases the explore JSON gives (a node without one: "none"), to compare with what is drawn.
      phasesInData: d && d.graph.nodes.some((n) => n.phase) ? d.graph.nodes.reduce((a, n) => ((a[n.phase ?? "none"] = (a[n.phase ?? "none"] ?? 0) + 1), a), {}) : null,
      phaseFillMismatches: [...tsvg.querySelectorAll("[data-node-id]")].filter((el) => fillOf(el) !== phaseColor(el.dataset.phase)).length,
      timelineSteps: d?.timeline?.length ?? 0, timelineDrawn: $$("#timeline-list [data-step]").length,
      selectedKernel: S.selectedKernel, selectedStep: S.selectedStep,
      exploreMs: S.current?.exploreMs ?? null, layoutMs: S.timings.layout ?? null,
    };
  }

  async function show(program, { train = false, view = "graph", code, hideMovement, device = "WEBGPU" } = {}) {
    await ready;
    if (hideMovement !== undefined) S.hideMovement = hideMovement;
    S.device = device;
    await select(entryFor(program, train, code, device));
    await setView(view === "graph" ? "tensor-graph" : view);
    await nextFrame();
    return state();
  }

  async function boot() {
    setStatus("loading the compiler (WASM)…");
    const t = performance.now();
    S.m = await createAnneal();
    S.list = JSON.parse(S.m.programs());
    S.timings.boot = performance.now() - t;
    wire();
    buildSidebar();
    renderTrain();
    if (navigator.gpu) gpu().catch((e) => { S.gpu = null; $("#adapter").textContent = `WebGPU: ${e.message}`; });
    else $("#adapter").textContent = "no WebGPU in this browser: kernels cannot run here";
    // #program=NAME (&train=1 for a classifier's training step) in the address opens that program
    // (`anneal viz PROGRAM [--train]` opens the page so).
    const params = new URLSearchParams(location.hash.slice(1));
    const name = params.get("program"), train = ["1", "true", ""].includes(params.get("train"));
    const known = train ? trainSteps().includes(name) : S.list.programs.includes(name);
    await open(known ? name : S.list.programs[0], { train: known && train });
    setStatus(`ready · compiler loaded in ${fmtMs(S.timings.boot)} · ${S.list.programs.length} programs, ${trainSteps().length} training steps`);
  }

  const ready = new Promise((resolve, reject) => {
    const start = () => boot().then(resolve, (e) => { setStatus(`failed to start: ${e.message ?? e}`, true); reject(e); });
    if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
    else start();
  });
  ready.catch(() => {});

  // Selects the first node of `op` in the current graph, as a click does; returns the details panel's text.
  const selectFirst = (op) => {
    const n = S.current?.data.graph.nodes.find((x) => x.op === op);
    if (!n) return null;
    selectNode(n.id, true);
    return $("#details").textContent;
  };
  window.annealViz = { ready, show, state, runKernels, checkReference, train, selectFirst, colors: { ...COLORS }, tolerance: TOLERANCE, programs: () => S.list, open, setView };
})();
