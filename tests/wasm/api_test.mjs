// The WASM compiler (anneal.js) under Node: every built-in program and classifier training step
// schedules and renders in the module, the Tensor API builds programs and reports errors, and, given a
// native `anneal` binary, the module's kernels are the native compiler's: the same names, opts and
// sources, byte for byte (C for the CPU; WGSL too where the native WEBGPU device opens).
// Usage: node api_test.mjs path/to/anneal.js [path/to/native/anneal]
import { execFileSync } from "node:child_process";
import { createRequire } from "node:module";
import { resolve } from "node:path";
import assert from "node:assert/strict";

const [modulePath, nativeCli] = process.argv.slice(2);
const createAnneal = createRequire(import.meta.url)(resolve(modulePath));
const m = await createAnneal();
const parse = (text) => {
  const j = JSON.parse(text);
  assert.equal(j.error, undefined, `the module reported: ${j.error}`);
  return j;
};
let checks = 0;

function native(args, device) {
  try {
    return JSON.parse(execFileSync(nativeCli, [...args, "--json", "--device", device], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }));
  } catch (e) {
    if (device === "WEBGPU" && /not usable/.test(String(e.stderr))) return null;  // no Vulkan driver here
    throw e;
  }
}

function sameKernels(ours, theirs, what) {
  assert.equal(ours.kernels.length, theirs.kernels.length, `${what}: kernel count`);
  for (let i = 0; i < ours.kernels.length; ++i) {
    const a = ours.kernels[i], b = theirs.kernels[i];
    assert.equal(a.name, b.name, `${what}: kernel ${i} name`);
    assert.deepEqual(a.opts, b.opts, `${what}: ${a.name} opts`);
    assert.equal(a.source, b.source, `${what}: ${a.name} source`);
    if (b.phases) assert.deepEqual(a.phases, b.phases, `${what}: ${a.name} phases`);
  }
  if (theirs.seam_kernels !== undefined) assert.equal(ours.seam_kernels, theirs.seam_kernels, `${what}: seam kernels`);
  ++checks;
}

const { programs, classifiers } = parse(m.programs());
assert.ok(programs.includes("matmul") && programs.includes("attention"), "the built-in programs are listed");
const cases = [...programs.map((p) => [p, false]), ...classifiers.map((c) => [c, true])];
for (const [name, train] of cases) {
  for (const device of ["WEBGPU", "CPU"]) {
    const ours = parse(m.kernels(name, device, train));
    assert.ok(ours.kernels.length > 0, `${name}: kernels`);
    for (const k of ours.kernels)
      assert.ok(device === "WEBGPU" ? k.source.includes("@compute") : k.source.includes("void " + k.name), `${name}: ${k.name} is ${device} code`);
    if (!nativeCli) continue;
    const theirs = native(["kernels", name, ...(train ? ["--train"] : [])], device);
    if (theirs) sameKernels(ours, theirs, `${name}${train ? " --train" : ""} on ${device}`);
  }
  if (!train) {
    const g = parse(m.graph(name));
    assert.ok(g.nodes.length > 2 && g.nodes.at(-1).op === "SINK", `${name}: graph`);
    if (nativeCli) {
      const theirs = native(["graph", name], "CPU");
      assert.deepEqual(g.nodes.map((n) => [n.op, n.dtype, n.srcs]), theirs.nodes.map((n) => [n.op, n.dtype, n.srcs]), `${name}: graph`);
      ++checks;
    }
  }
}
assert.match(JSON.parse(m.kernels("nonexistent", "WEBGPU", false)).error, /unknown program .nonexistent./, "an unknown program is a clear error");

// The Tensor API: a small attention-like program, and errors as JavaScript exceptions.
m.manualSeed(1);
const q = m.randn([4, 8]), k = m.randn([6, 8]);
const scores = q.matmul(k.permute([1, 0])).softmax(1);
assert.deepEqual(scores.shape(), [4, 6]);
const built = parse(m.tensorKernels([scores], "WEBGPU"));
assert.ok(built.kernels.length >= 1 && built.graph.length > 3, "tensorKernels");
assert.throws(() => q.matmul(q), /matmul/, "a shape mismatch is a JavaScript Error naming the op");
console.log(`wasm api: ${cases.length} programs on 2 targets, ${checks} compared with the native compiler${nativeCli ? "" : " (none given)"}`);
