// Headless Chromium runs the WASM compiler's WGSL kernels through navigator.gpu (SwiftShader where there
// is no GPU) and every value of every built-in program must match the native CPU build's.
// Usage: node browser_test.mjs ANNEAL_JS NATIVE_ANNEAL CHROMIUM
// Serves the page on 127.0.0.1 (a free port), waits for the page's summary (at most 180 s), exits 1 on
// any mismatch or error and 77 (skipped) when the browser offers no WebGPU adapter.
import { execFileSync, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const [annealJs, nativeCli, chromium] = process.argv.slice(2);
const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
// The built-in programs, and one Adam training step of each classifier (forward, backward and the
// update of every parameter and moment: 43 and more kernels).
const programs = [["matmul"], ["softmax"], ["mlp-forward"], ["conv2d"], ["attention"], ["mlp", "--train"], ["conv", "--train"]];
const expected = {};
for (const [p, ...flags] of programs) {
  const { results } = JSON.parse(execFileSync(nativeCli, ["kernels", p, ...flags, "--run", "--json", "--device", "CPU"],
    { encoding: "utf8", maxBuffer: 1 << 30 }));
  // Every value of small outputs; of large ones (a training step's parameters and moments) the first
  // 256 values and the sums of the values and of their magnitudes.
  expected[p + (flags.length ? " --train" : "")] = results.map((v) =>
    v.length <= 65536 ? { values: v } : { values: v.slice(0, 256), sum: v.reduce((a, x) => a + x, 0), abs: v.reduce((a, x) => a + Math.abs(x), 0) });
}

const files = {
  "/programs.html": [join(root, "tests/web/programs.html"), "text/html"],
  "/anneal.js": [resolve(annealJs), "text/javascript"],
  "/anneal_webgpu.js": [join(root, "web/anneal_webgpu.js"), "text/javascript"],
};
let browser;
const finish = (code, message) => {
  console.log(message);
  if (browser) browser.kill("SIGKILL");
  server.close();
  process.exit(code);
};
const server = createServer((req, res) => {
  if (req.url === "/expected.json") return res.end(JSON.stringify(expected));
  if (req.url === "/result" && req.method === "POST") {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      res.end("ok");
      const s = JSON.parse(body);
      const lines = s.programs.map((p) => `  ${p.name}: ${p.kernels} kernels, ${p.values} values, worst error ${p.worst.toFixed(3)} of the tolerance`);
      const report = `browser: adapter "${s.adapter ?? "none"}"\n${lines.join("\n")}`;
      if (s.failures.some((f) => /no WebGPU adapter|has no WebGPU/.test(f))) finish(77, `${report}\nSKIPPED: ${s.failures[0]}`);
      if (s.failures.length || s.programs.length !== programs.length) finish(1, `${report}\nFAILED:\n  ${s.failures.join("\n  ")}`);
      finish(0, report);
    });
    return;
  }
  const file = files[req.url];
  if (!file) return res.writeHead(404).end();
  res.writeHead(200, { "content-type": file[1] }).end(readFileSync(file[0]));
});
server.listen(0, "127.0.0.1", () => {
  const url = `http://127.0.0.1:${server.address().port}/programs.html`;
  let log = "";
  browser = spawn(chromium, ["--headless=new", "--no-sandbox", "--disable-gpu-sandbox", "--enable-unsafe-webgpu",
    "--use-angle=swiftshader", "--no-first-run", "--user-data-dir=" + join(process.env.TMPDIR ?? "/tmp", `anneal-chromium-${process.pid}`), url],
    { stdio: ["ignore", "ignore", "pipe"] });
  browser.stderr.on("data", (d) => (log = (log + d).slice(-4000)));
  browser.on("exit", (code) => finish(1, `chromium exited (${code}) before the page reported:\n${log}`));
  setTimeout(() => finish(1, `no report from the page in 180 s; chromium's last words:\n${log}`), 180000);
});
