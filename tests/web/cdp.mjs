// A small Chrome DevTools Protocol driver with no npm dependency: Debian's chromium is started headless
// with --remote-debugging-pipe (the browser reads commands on its fd 3 and writes replies and events on
// its fd 4, each a JSON message ended by a NUL byte). One page target is created and attached with
// flatten: true, so its commands and events carry its sessionId on the same pipe.
//
//   const browser = await launch(chromium, { width: 1600, height: 1000 });
//   const page = await browser.newPage();
//   await page.navigate(url);                    // resolves on the load event
//   const v = await page.evaluate("1 + 1");      // awaits promises; the value comes back as JSON
//   await page.screenshot("shot.png");
//   page.errors                                  // console errors, exceptions and error log entries
//   await browser.close();
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export class CdpError extends Error {}

class Connection {
  constructor(proc) {
    this.proc = proc;
    this.nextId = 1;
    this.pending = new Map();  // id -> {resolve, reject, method}
    this.listeners = new Set();  // (message) => void, for events
    this.closed = false;
    this.buffered = [];
    proc.stdio[4].on("data", (chunk) => this.receive(chunk));
    proc.stdio[4].on("close", () => this.fail(new CdpError("the browser closed the DevTools pipe")));
    proc.stdio[3].on("error", () => {});  // a write after the browser died: reported through fail()
  }

  receive(chunk) {
    let start = 0;
    for (let end = chunk.indexOf(0); end !== -1; end = chunk.indexOf(0, start)) {
      this.buffered.push(chunk.subarray(start, end));
      const text = Buffer.concat(this.buffered).toString("utf8");
      this.buffered = [];
      start = end + 1;
      this.dispatch(JSON.parse(text));
    }
    if (start < chunk.length) this.buffered.push(chunk.subarray(start));
  }

  dispatch(message) {
    if (message.id !== undefined) {
      const p = this.pending.get(message.id);
      if (!p) return;
      this.pending.delete(message.id);
      if (message.error) p.reject(new CdpError(`${p.method}: ${message.error.message}${message.error.data ? ` (${message.error.data})` : ""}`));
      else p.resolve(message.result);
      return;
    }
    for (const l of this.listeners) l(message);
  }

  fail(error) {
    if (this.closed) return;
    this.closed = true;
    for (const p of this.pending.values()) p.reject(error);
    this.pending.clear();
  }

  send(method, params = {}, sessionId = undefined) {
    if (this.closed) return Promise.reject(new CdpError(`${method}: the browser is gone`));
    const id = this.nextId++;
    const message = { id, method, params };
    if (sessionId) message.sessionId = sessionId;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, method });
      this.proc.stdio[3].write(JSON.stringify(message) + "\0");
    });
  }
}

// Resolves with `promise`'s value, or rejects after `ms` with `what` in the message.
export function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise((_, reject) => (timer = setTimeout(() => reject(new CdpError(`${what}: no answer in ${ms / 1000} s`)), ms))),
  ]);
}

export class Page {
  constructor(connection, targetId, sessionId) {
    this.connection = connection;
    this.targetId = targetId;
    this.sessionId = sessionId;
    this.errors = [];    // what the page reported as errors, as text
    this.console = [];   // every console message, as "type: text"
    this.waiters = [];   // [method, resolve]
    connection.listeners.add((m) => {
      if (m.sessionId !== this.sessionId) return;
      this.onEvent(m.method, m.params);
    });
  }

  onEvent(method, params) {
    if (method === "Runtime.consoleAPICalled") {
      const text = params.args.map((a) => (a.value !== undefined ? String(a.value) : a.description ?? a.type)).join(" ");
      this.console.push(`${params.type}: ${text}`);
      if (params.type === "error" || params.type === "assert") this.errors.push(`console.${params.type}: ${text}`);
    } else if (method === "Runtime.exceptionThrown") {
      const d = params.exceptionDetails;
      this.errors.push(`exception: ${d.exception?.description ?? d.text} (${d.url ?? ""}:${d.lineNumber ?? ""})`);
    } else if (method === "Log.entryAdded" && params.entry.level === "error") {
      this.errors.push(`log (${params.entry.source}): ${params.entry.text}${params.entry.url ? ` ${params.entry.url}` : ""}`);
    }
    this.waiters = this.waiters.filter(([m, resolve]) => (m === method ? (resolve(params), false) : true));
  }

  send(method, params = {}) {
    return this.connection.send(method, params, this.sessionId);
  }

  waitFor(method) {
    return new Promise((resolve) => this.waiters.push([method, resolve]));
  }

  // Navigates and resolves once the page's load event fired.
  async navigate(url, timeoutMs = 60000) {
    const loaded = this.waitFor("Page.loadEventFired");
    const r = await this.send("Page.navigate", { url });
    if (r.errorText) throw new CdpError(`navigating to ${url}: ${r.errorText}`);
    await withTimeout(loaded, timeoutMs, `loading ${url}`);
  }

  // Evaluates `expression` in the page, awaiting a promise it returns; the value comes back by value
  // (JSON-serializable). A thrown error rejects with its description.
  async evaluate(expression, timeoutMs = 120000) {
    const r = await withTimeout(this.send("Runtime.evaluate", { expression, awaitPromise: true, returnByValue: true, userGesture: true }),
      timeoutMs, `evaluating ${expression.length > 80 ? expression.slice(0, 77) + "..." : expression}`);
    if (r.exceptionDetails) {
      const d = r.exceptionDetails;
      throw new CdpError(`in the page: ${d.exception?.description ?? d.exception?.value ?? d.text}`);
    }
    return r.result.value;
  }

  // Writes a PNG of the viewport to `path`.
  async screenshot(path) {
    const { data } = await this.send("Page.captureScreenshot", { format: "png" });
    writeFileSync(path, Buffer.from(data, "base64"));
  }
}

export class Browser {
  constructor(proc, connection, userDataDir, options) {
    this.proc = proc;
    this.connection = connection;
    this.userDataDir = userDataDir;
    this.options = options;
    this.stderr = "";
    proc.stderr.on("data", (d) => (this.stderr = (this.stderr + d).slice(-8000)));
  }

  send(method, params = {}) {
    return this.connection.send(method, params);
  }

  // A new page (about:blank) with console, exception and log events on, its viewport the window size.
  async newPage() {
    const { targetId } = await this.send("Target.createTarget", { url: "about:blank" });
    const { sessionId } = await this.send("Target.attachToTarget", { targetId, flatten: true });
    const page = new Page(this.connection, targetId, sessionId);
    await Promise.all([page.send("Page.enable"), page.send("Runtime.enable"), page.send("Log.enable")]);
    await page.send("Emulation.setDeviceMetricsOverride",
      { width: this.options.width, height: this.options.height, deviceScaleFactor: 1, mobile: false });
    return page;
  }

  async close() {
    if (this.proc.exitCode === null) {
      try {
        await withTimeout(this.send("Browser.close"), 5000, "Browser.close");
      } catch {
        // killed below
      }
      await withTimeout(new Promise((r) => (this.proc.exitCode !== null ? r() : this.proc.once("exit", r))), 5000, "browser exit")
        .catch(() => this.proc.kill("SIGKILL"));
    }
    rmSync(this.userDataDir, { recursive: true, force: true });
  }

  kill() {
    if (this.proc.exitCode === null) this.proc.kill("SIGKILL");
    rmSync(this.userDataDir, { recursive: true, force: true });
  }
}

// Starts `chromium` headless with WebGPU on (SwiftShader where there is no GPU) and a fresh profile.
export async function launch(chromium, { width = 1600, height = 1000, args = [] } = {}) {
  const userDataDir = mkdtempSync(join(process.env.TMPDIR ?? tmpdir(), "anneal-cdp-"));
  const proc = spawn(chromium, [
    "--headless=new", "--no-sandbox", "--disable-gpu-sandbox", "--enable-unsafe-webgpu", "--use-angle=swiftshader",
    "--no-first-run", "--no-default-browser-check", "--disable-extensions", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--mute-audio", "--hide-scrollbars",
    `--window-size=${width},${height}`, `--user-data-dir=${userDataDir}`, "--remote-debugging-pipe", ...args, "about:blank",
  ], { stdio: ["ignore", "ignore", "pipe", "pipe", "pipe"] });
  const connection = new Connection(proc);
  const browser = new Browser(proc, connection, userDataDir, { width, height });
  proc.on("error", (e) => connection.fail(new CdpError(`starting ${chromium}: ${e.message}`)));
  proc.on("exit", (code, signal) => connection.fail(new CdpError(`chromium exited (${signal ?? code}):\n${browser.stderr}`)));
  await withTimeout(browser.send("Browser.getVersion"), 30000, "starting chromium").catch((e) => {
    browser.kill();
    throw new CdpError(`${e.message}\n${browser.stderr}`);
  });
  return browser;
}
