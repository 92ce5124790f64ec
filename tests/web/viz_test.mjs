// The visualizer page (web/viz, as `anneal viz --out DIR` writes it) in headless Chromium, driven over
// the DevTools protocol (cdp.mjs, no npm package). Checks, from the page's DOM:
//   - it loads with no console errors, exceptions or error log entries (checked again at the end);
//   - for every built-in program the tensor graph draws as many nodes as `anneal graph P --json` has
//     and the kernel graph as many kernels as `anneal kernels P --json` (native build);
//   - for each classifier's training step: as many nodes as the graph explore gave the page, as many
//     kernels as `anneal kernels C --train --json`, nodes of all three phases, fills that follow the
//     phase, and exactly `seam_kernels` kernels drawn gold (the seam kernels, and only they);
//   - a program written in the page's Tensor API builds and draws;
//   - every program's kernels run on WebGPU (SwiftShader in headless mode) and agree with the module's
//     reference evaluator within the page's tolerance (|got - want| / max(1, |want|) <= 1e-3); where the
//     page leaves the reference to a click (big programs: the naive evaluator takes minutes) or the
//     evaluator cannot (symbolic shapes), the first values of every output against the native CPU
//     build's `kernels P --run`;
//   - the MLP trained in the page for 50 steps: the mean loss of the last 10 steps is below 85% of the
//     first 10's;
//   - a screenshot of each view (graph, kernel graph, timeline, kernels, train) into SCREENSHOT_DIR.
// Usage: node viz_test.mjs VIZ_DIR NATIVE_ANNEAL CHROMIUM [SCREENSHOT_DIR]
// Exit 0 on success, 1 on any failure, 77 (skipped) when the browser has no WebGPU adapter.
// VIZ_RUN_PROGRAMS (comma-separated, "mlp:train" for a training step) limits the programs run on
// WebGPU; VIZ_NATIVE_DEVICE (CPU or WEBGPU) sets the device whose native counts are compared.
// About 80 s on 2 cores with SwiftShader (the in-page training is 30 s of it).
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { createServer } from "node:http";
import { extname, join, resolve } from "node:path";
import { promisify } from "node:util";
import { launch } from "./cdp.mjs";

const [vizDir, nativeCli, chromium, shotArg] = process.argv.slice(2);
if (!vizDir || !nativeCli || !chromium) {
  console.log("usage: node viz_test.mjs VIZ_DIR NATIVE_ANNEAL CHROMIUM [SCREENSHOT_DIR]");
  process.exit(1);
}
const shotDir = resolve(shotArg ?? ".");
mkdirSync(shotDir, { recursive: true });
const started = Date.now();
const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1)} s`;
const failures = [];
const fail = (message) => { failures.push(message); console.log(`  FAIL ${message}`); };
const check = (ok, message) => { if (!ok) fail(message); return ok; };
// Which programs run on WebGPU: all of them (built-ins and training steps), or those listed in
// VIZ_RUN_PROGRAMS ("matmul,mlp:train").
const runPrograms = (process.env.VIZ_RUN_PROGRAMS ?? "").split(",").filter(Boolean);
const TRAIN_STEPS = 50;

const required = ["index.html", "viz.js", "viz.css", "anneal.js", "anneal_webgpu.js", "dagre.min.js", "fashion-subset.bin"];
for (const f of required) if (!existsSync(join(vizDir, f))) { console.log(`FAILED: ${join(vizDir, f)} is missing`); process.exit(1); }

// ---- the native CLI's counts ----
const run = promisify(execFile);
// The page compiles for WebGPU, where a kernel binding more than 8 storage buffers is split (the conv
// training step: 78 kernels on WEBGPU, 75 on the CPU): the native counts are WEBGPU's where this
// machine opens that device (Dawn on a Vulkan driver), else the CPU's, and the page then shows its
// CPU target for the counts.
let device = process.env.VIZ_NATIVE_DEVICE ?? "WEBGPU";
async function native(args, on = device) {
  const { stdout } = await run(nativeCli, [...args, "--json", "--device", on], { maxBuffer: 1 << 30 });
  return JSON.parse(stdout);
}
try {
  await native(["kernels", "matmul"]);
} catch (e) {
  console.log(`native WEBGPU not usable here (${String(e.stderr ?? e).trim().split("\n")[0]}): counts from the CPU device`);
  device = "CPU";
}
const MOVEMENT = new Set(["RESHAPE", "PERMUTE", "EXPAND", "PAD", "SHRINK", "FLIP"]);
async function nativeProgram(p) {
  const [g, k] = await Promise.all([native(["graph", p]), native(["kernels", p])]);
  return { nodes: g.nodes.length, movement: g.nodes.filter((n) => MOVEMENT.has(n.op)).length, kernels: k.kernels.length };
}
async function nativeTrain(c) {
  const [g, k] = await Promise.all([native(["graph", c, "--train"]), native(["kernels", c, "--train"])]);
  return { nodes: g.nodes.length, movement: g.nodes.filter((n) => MOVEMENT.has(n.op)).length, kernels: k.kernels.length, seam: k.seam_kernels };
}

// ---- the site ----
const TYPES = { ".html": "text/html", ".js": "text/javascript", ".css": "text/css", ".bin": "application/octet-stream", ".png": "image/png", ".json": "application/json" };
const server = createServer((req, res) => {
  const path = decodeURIComponent(new URL(req.url, "http://x").pathname);
  const file = join(vizDir, path === "/" ? "index.html" : path);
  if (!file.startsWith(resolve(vizDir)) || !existsSync(file)) return res.writeHead(404).end();
  res.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream", "cache-control": "no-store" }).end(readFileSync(file));
});
await new Promise((r) => server.listen(0, "127.0.0.1", r));
const url = `http://127.0.0.1:${server.address().port}/index.html`;

let browser;
const finish = async (code, message) => {
  if (message) console.log(message);
  try { await browser?.close(); } catch { browser?.kill(); }
  server.close();
  process.exit(code);
};
const watchdog = setTimeout(() => finish(1, `FAILED: the test took more than 540 s (${elapsed()})`), 540000);
watchdog.unref();

try {
  browser = await launch(chromium, { width: 1600, height: 1000 });
  const page = await browser.newPage();
  const ev = (expr, timeoutMs) => page.evaluate(expr, timeoutMs);
  await page.navigate(url);
  await ev("annealViz.ready.then(() => true)", 120000);
  console.log(`page loaded (${elapsed()}): ${url}`);
  check(page.errors.length === 0, `console errors while loading:\n    ${page.errors.join("\n    ")}`);

  const list = await ev("annealViz.programs()");
  const colors = await ev("annealViz.colors");
  // Every training step the compiler builds (mlp, conv, dynmlp with a symbolic batch, nanoGPT's AdamW
  // step); the classifiers (mlp, conv) also run on WebGPU below.
  const steps = list.train_steps ?? list.classifiers;
  check(new Set(Object.values(colors)).size === Object.keys(colors).length, `the provenance colors are not distinct: ${JSON.stringify(colors)}`);
  const expected = {};
  await Promise.all([
    ...list.programs.map(async (p) => (expected[p] = await nativeProgram(p))),
    ...steps.map(async (c) => (expected[`${c}:train`] = await nativeTrain(c))),
  ]);

  // ---- built-in programs: counts ----
  console.log(`programs (native counts from ${nativeCli}, device ${device}):`);
  for (const p of list.programs) {
    const want = expected[p];
    const t = Date.now();
    // Big graphs are drawn with movement ops hidden: then drawn + hidden must make the native count.
    const hide = want.nodes > 1500;
    const st = await ev(`annealViz.show(${JSON.stringify(p)}, { view: "graph", hideMovement: ${hide}, device: "${device}" })`, 300000);
    const shown = hide ? st.nodesDrawn + st.nodesHidden : st.nodesDrawn;
    check(shown === want.nodes, `${p}: ${shown} nodes drawn${hide ? " + hidden" : ""}, the native graph has ${want.nodes}`);
    if (hide) check(st.nodesHidden === want.movement, `${p}: ${st.nodesHidden} movement ops hidden, the native graph has ${want.movement}`);
    check(st.nodes === want.nodes, `${p}: the page's graph has ${st.nodes} nodes, the native one ${want.nodes}`);
    check(st.kernelsDrawn === want.kernels, `${p}: ${st.kernelsDrawn} kernels drawn, native ${want.kernels}`);
    check(st.phaseFillMismatches === 0 && st.seamNotGold === 0, `${p}: ${st.phaseFillMismatches} nodes filled against their phase, ${st.seamNotGold} kernels gold against their seam flag`);
    console.log(`  ${p.padEnd(14)} ${String(st.nodesDrawn).padStart(5)} nodes${hide ? ` (+${st.nodesHidden} hidden)` : ""}, ${String(st.kernelsDrawn).padStart(3)} kernels (native ${want.nodes}, ${want.kernels}) · ${((Date.now() - t) / 1000).toFixed(1)} s`);
  }

  // ---- classifier training steps: counts, phases, seam kernels gold ----
  console.log("training steps:");
  for (const c of steps) {
    const want = expected[`${c}:train`];
    const t = Date.now();
    const hide = want.nodes > 1500;  // nanoGPT's step: drawn with movement ops hidden, as the page does
    const st = await ev(`annealViz.show(${JSON.stringify(c)}, { train: true, view: "graph", hideMovement: ${hide}, device: "${device}" })`, 300000);
    const shown = hide ? st.nodesDrawn + st.nodesHidden : st.nodesDrawn;
    check(shown === want.nodes && st.nodes === want.nodes, `${c} --train: ${shown} nodes drawn${hide ? " + hidden" : ""}, the page's graph has ${st.nodes}, the native one ${want.nodes}`);
    if (hide) check(st.nodesHidden === want.movement, `${c} --train: ${st.nodesHidden} movement ops hidden, the native graph has ${want.movement}`);
    check(st.kernelsDrawn === want.kernels, `${c} --train: ${st.kernelsDrawn} kernels drawn, native ${want.kernels}`);
    for (const phase of ["forward", "backward", "optimizer"])
      check(st.phaseColors[phase] > 0, `${c} --train: no ${phase} nodes drawn (${JSON.stringify(st.phaseColors)})`);
    check(st.phaseFillMismatches === 0, `${c} --train: ${st.phaseFillMismatches} nodes filled against their phase`);
    // Every node drawn in its phase's color; with movement ops hidden, fewer of each phase.
    const inData = st.phasesInData ?? {};
    const samePhases = hide
      ? Object.keys(st.phaseColors).every((ph) => st.phaseColors[ph] <= (inData[ph] ?? 0))
      : JSON.stringify(Object.entries(st.phaseColors).sort()) === JSON.stringify(Object.entries(inData).sort());
    check(samePhases, `${c} --train: nodes drawn by phase ${JSON.stringify(st.phaseColors)}, the program's ${JSON.stringify(inData)}`);
    check(st.goldKernels === want.seam, `${c} --train: ${st.goldKernels} kernels drawn gold, native seam_kernels ${want.seam}`);
    check(st.seamKernelsDrawn === st.goldKernels && st.seamNotGold === 0, `${c} --train: ${st.seamKernelsDrawn} seam kernels drawn, ${st.goldKernels} gold, ${st.seamNotGold} gold against their seam flag`);
    check(st.seamKernels === want.seam, `${c} --train: the page's JSON has ${st.seamKernels} seam kernels, native ${want.seam}`);
    console.log(`  ${c.padEnd(14)} ${String(st.nodesDrawn).padStart(5)} nodes${hide ? ` (+${st.nodesHidden} hidden)` : ""} ${JSON.stringify(st.phaseColors)}, ${st.kernelsDrawn} kernels (native ${want.kernels}), ${st.goldKernels} gold (native seam ${want.seam}) · ${((Date.now() - t) / 1000).toFixed(1)} s`);
  }

  // ---- screenshots of each view, on the first training step ----
  const shots = [];
  const shoot = async (name) => {
    const file = join(shotDir, `viz-${name}.png`);
    await page.screenshot(file);
    shots.push(file);
  };
  const c0 = list.classifiers[0];
  if (c0) {
    await ev(`annealViz.show(${JSON.stringify(c0)}, { train: true, view: "graph", hideMovement: false })`, 300000);
    // A node's details carry what the rule sets say about its op (the module's explain): MUL's gradient
    // rule as the gradient rule set names it.
    const details = await ev(`annealViz.selectFirst("MUL")`);
    check(details?.includes("d(a*b) = (g*b, g*a)") && details.includes("lowering"), `${c0} --train: a MUL node's details lack its gradient and lowering rules: ${details?.slice(0, 300)}`);
    await shoot("graph");
    await ev(`annealViz.show(${JSON.stringify(c0)}, { train: true, view: "kernel-graph" })`, 300000);
    await shoot("kernel-graph");
    const tl = await ev(`annealViz.show(${JSON.stringify(c0)}, { train: true, view: "timeline" })`, 300000);
    check(tl.timelineDrawn === tl.timelineSteps && tl.timelineSteps > 0, `${c0} --train: ${tl.timelineDrawn} timeline steps drawn of ${tl.timelineSteps}`);
    await shoot("timeline");
    const kv = await ev(`annealViz.show(${JSON.stringify(c0)}, { train: true, view: "kernels" })`, 300000);
    check(kv.kernelsListed === kv.kernels, `${c0} --train: ${kv.kernelsListed} kernels listed of ${kv.kernels}`);
    await shoot("kernels");
  }

  // ---- a program written in the Tensor API ----
  const code = "const x = T.randn([8, 32]); const w = T.randn([32, 4]); return [x.matmul(w).relu().softmax(1)];";
  const cst = await ev(`annealViz.show(null, { code: ${JSON.stringify(code)}, view: "graph", hideMovement: false })`, 120000);
  check(cst.custom && cst.nodesDrawn === cst.nodes && cst.nodes > 5 && cst.kernelsDrawn === cst.kernels && cst.kernels > 0,
    `Tensor API program: ${cst.nodesDrawn} nodes drawn of ${cst.nodes}, ${cst.kernelsDrawn} kernels of ${cst.kernels}`);
  console.log(`Tensor API program: ${cst.nodesDrawn} nodes, ${cst.kernelsDrawn} kernels`);

  // ---- every program's kernels on WebGPU, against the reference evaluator ----
  let adapter = null;
  const tolerance = await ev("annealViz.tolerance");
  const err = (got, want) => (Number.isNaN(got) && Number.isNaN(want) ? 0 : Math.abs(got - want) / Math.max(1, Math.abs(want)));
  console.log(`WebGPU runs (|got - want| / max(1, |want|) <= ${tolerance}):`);
  for (const [p, train] of [...list.programs.map((p) => [p, false]), ...list.classifiers.map((c) => [c, true])]) {
    if (runPrograms.length && !runPrograms.includes(train ? `${p}:train` : p)) continue;
    const what = train ? `${p} --train` : p;
    await ev(`annealViz.show(${JSON.stringify(p)}, { train: ${train}, view: "kernels" })`, 120000);
    const r = await ev("annealViz.runKernels()", 240000);
    if (!r.adapter) {
      if (/adapter|WebGPU/.test(r.error ?? "")) await finish(77, `SKIPPED: ${r.error}`);
      fail(`${what}: no WebGPU run: ${r.error}`);
      continue;
    }
    adapter = r.adapter;
    let against;
    if (r.worstError !== null && r.worstError !== undefined) {
      check(r.worstError <= tolerance, `${what}: worst error ${r.worstError} against the reference evaluator`);
      against = `reference evaluator ${r.referenceMs.toFixed(0)} ms: worst error ${r.worstError.toExponential(2)}`;
    } else {
      // The page checks big programs against the reference only on a click (the evaluator manages
      // about a million element operations a second) and the evaluator has no symbolic shapes: then
      // the first values of every output against the native CPU build's.
      const { results } = await native(["kernels", p, ...(train ? ["--train"] : []), "--run"], "CPU");
      let worst = 0;
      r.outputs.forEach((o, i) => o.first.forEach((v, j) => (worst = Math.max(worst, err(v, results[i][j])))));
      check(r.outputs.length === results.length && worst <= tolerance, `${what}: ${r.outputs.length} outputs (native ${results.length}), worst error ${worst} against the native CPU build`);
      against = `native CPU build (reference ${r.referenceError ? "failed: " + r.referenceError.slice(0, 60) : `skipped: ${(r.referenceCost / 1e6).toFixed(0)}M element operations`}): first values' worst error ${worst.toExponential(2)}`;
    }
    console.log(`  ${what.padEnd(14)} ${String(r.kernels).padStart(3)} kernels: ${r.ms.toFixed(1)} ms in one pass, ${r.kernelTotalMs.toFixed(1)} ms one by one, pipelines ${r.compileMs.toFixed(0)} ms · ${r.outputs.reduce((a, o) => a + o.n, 0)} values · ${against}`);
  }
  console.log(`  adapter: "${adapter ?? "none"}"`);

  // ---- the MLP trains in the page ----
  if (list.classifiers.includes("mlp")) {
    await ev(`annealViz.show("mlp", { train: true, view: "train" })`, 120000);
    const t = Date.now();
    const r = await ev(`annealViz.train(${TRAIN_STEPS}, { model: "mlp", batch: 64, reset: true })`, 300000);
    const mean = (a) => a.reduce((x, y) => x + y, 0) / a.length;
    const first = mean(r.losses.slice(0, 10)), last = mean(r.losses.slice(-10));
    check(r.losses.length === TRAIN_STEPS && r.losses.every(Number.isFinite), `training: ${r.losses.length} finite losses of ${TRAIN_STEPS}`);
    check(last < 0.85 * first, `training: the loss did not fall: first 10 steps ${first.toFixed(4)}, last 10 ${last.toFixed(4)}`);
    console.log(`MLP training (batch ${r.batch}, ${r.kernels} kernels a step): ${r.losses.length} steps in ${((Date.now() - t) / 1000).toFixed(1)} s, loss ${first.toFixed(3)} (first 10) -> ${last.toFixed(3)} (last 10)`);
    await shoot("train");
  } else fail("no mlp classifier to train");

  check(page.errors.length === 0, `console errors:\n    ${page.errors.join("\n    ")}`);
  console.log(`screenshots: ${shots.join(", ")}`);
  console.log(`total ${elapsed()}`);
  if (failures.length) await finish(1, `FAILED (${failures.length}):\n  ${failures.join("\n  ")}`);
  await finish(0, "viz: all checks passed");
} catch (e) {
  await finish(1, `FAILED: ${e.stack ?? e}\n${browser?.stderr ? `chromium's last words:\n${browser.stderr.slice(-2000)}` : ""}`);
}
