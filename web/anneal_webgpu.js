// Runs what the WASM compiler prepared for WEBGPU on navigator.gpu: the `kernels` JSON of anneal.js
// (prelude, kernels in order with their WGSL, buffers and launch grid, the program's outputs). Buffers
// are made by id; a buffer no kernel writes is an input, uploaded from the module's bytes. Each kernel
// gets its own pipeline with the layout the WGSL renderer declares (slot 0 read-write, the others
// read-only); they run in order in one compute pass, then the outputs are read back.
// `session` prepares a program once for many runs (timed runs, and training steps whose updated
// parameters stay on the GPU). A classic script (no modules): it defines the global `annealWebGpu`.
const annealWebGpu = (() => {
  const ITEMSIZE = { float32: 4, int32: 4, uint32: 4, float16: 2, bfloat16: 2, int16: 2, uint16: 2, int8: 1, uint8: 1, bool: 1 };
  const VIEWS = { float32: Float32Array, int32: Int32Array, uint32: Uint32Array, int8: Int8Array, uint8: Uint8Array, bool: Uint8Array, int16: Int16Array, uint16: Uint16Array };

  const byteSize = (b) => {
    if (!(b.dtype in ITEMSIZE)) throw new Error(`WebGPU has no ${b.dtype} buffers`);
    return Math.max(4, Math.ceil((b.size * ITEMSIZE[b.dtype]) / 4) * 4);  // WebGPU copies 4 bytes at a time
  };

  // A kernel over symbolic sizes reads its variables' values from one more read-only binding after its
  // buffers: an array<i32> in the order of `variables` (the values the schedule bound).
  function variablesBuffer(device, k) {
    if (!k.variables?.length) return null;
    const values = new Int32Array(k.variables.map((v) => {
      if (v.value === undefined) throw new Error(`kernel ${k.name}: variable ${v.name} has no value`);
      return v.value;
    }));
    const gpu = device.createBuffer({ size: values.byteLength, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });
    device.queue.writeBuffer(gpu, 0, values);
    return gpu;
  }
  const layoutEntries = (n) => Array.from({ length: n }, (_, i) =>
    ({ binding: i, visibility: GPUShaderStage.COMPUTE, buffer: { type: i === 0 ? "storage" : "read-only-storage" } }));

  // Copies each {info (dtype, size), gpu buffer, size in bytes} into a staging buffer at the end of
  // `encoder`, submits it, and returns the values as typed arrays.
  async function submitAndRead(device, encoder, outs) {
    const reads = outs.map((out) => {
      const staging = device.createBuffer({ size: out.size, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
      encoder.copyBufferToBuffer(out.gpu, 0, staging, 0, out.size);
      return [out.info, staging];
    });
    device.queue.submit([encoder.finish()]);
    const values = [];
    for (const [b, staging] of reads) {
      await staging.mapAsync(GPUMapMode.READ);
      const View = VIEWS[b.dtype];
      if (!View) throw new Error(`reading ${b.dtype} values back is not supported`);
      values.push(new View(staging.getMappedRange().slice(0), 0, b.size));
      staging.unmap();
      staging.destroy();
    }
    return values;
  }

  // The adapter's own limits (the defaults are small: 8 storage buffers, 128 MiB a binding).
  async function open() {
    if (!navigator.gpu) throw new Error("this browser has no WebGPU (navigator.gpu)");
    const adapter = await navigator.gpu.requestAdapter();
    if (!adapter) throw new Error("no WebGPU adapter");
    const requiredLimits = {};
    for (const k of ["maxStorageBufferBindingSize", "maxBufferSize", "maxComputeInvocationsPerWorkgroup",
                     "maxComputeWorkgroupStorageSize", "maxStorageBuffersPerShaderStage", "maxComputeWorkgroupSizeX"])
      requiredLimits[k] = adapter.limits[k];
    const info = adapter.info ?? {};
    return { device: await adapter.requestDevice({ requiredLimits }), adapter: `${info.vendor ?? ""} ${info.architecture ?? ""} ${info.description ?? ""}`.trim() };
  }

  // Runs `program` (the parsed JSON) on `device`; `inputBytes(id)` gives an input buffer's bytes. The
  // outputs' values come back as typed arrays, in the program's output order.
  async function run(device, program, inputBytes) {
    const written = new Set(program.kernels.map((k) => k.outputs[0].buffer));
    const buffers = new Map();
    const bufferOf = (b) => {
      let g = buffers.get(b.buffer);
      if (g) return g;
      const size = byteSize(b);
      g = device.createBuffer({ size, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST });
      if (!written.has(b.buffer)) {
        const data = new Uint8Array(size);
        data.set(inputBytes(b.buffer));
        device.queue.writeBuffer(g, 0, data);
      }
      buffers.set(b.buffer, g);
      return g;
    };
    const encoder = device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    const extra = [];
    for (const k of program.kernels) {
      const slots = [k.outputs[0], ...k.inputs];
      const vars = variablesBuffer(device, k);
      if (vars) extra.push(vars);
      device.pushErrorScope("validation");
      const layout = device.createBindGroupLayout({ entries: layoutEntries(slots.length + (vars ? 1 : 0)) });
      const module = device.createShaderModule({ code: `${program.prelude}\n${k.source}` });
      const pipeline = device.createComputePipeline({ layout: device.createPipelineLayout({ bindGroupLayouts: [layout] }), compute: { module, entryPoint: k.name } });
      const error = await device.popErrorScope();
      if (error) throw new Error(`kernel ${k.name}: ${error.message}`);
      const entries = slots.map((b, i) => ({ binding: i, resource: { buffer: bufferOf(b) } }));
      if (vars) entries.push({ binding: slots.length, resource: { buffer: vars } });
      const group = device.createBindGroup({ layout, entries });
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, group);
      if (k.launch.global.every((n) => n > 0)) pass.dispatchWorkgroups(...k.launch.global);
    }
    pass.end();
    const values = await submitAndRead(device, encoder, program.outputs.map((b) => ({ info: b, gpu: bufferOf(b), size: byteSize(b) })));
    for (const g of [...buffers.values(), ...extra]) g.destroy();
    return values;
  }

  // A program prepared once and run many times (the visualizer's timed runs and its training loop):
  // every buffer made and every input uploaded once, every pipeline compiled (concurrently) and bound
  // once. `options.feeds`: ids of input buffers the caller fills before each step (not uploaded here);
  // `options.carry`: [{output, buffer}]: after each step, output `output`'s contents become input
  // buffer `buffer`'s (copied on the GPU), so parameters stay on the device between steps.
  async function session(device, program, inputBytes, options = {}) {
    const feeds = new Set(options.feeds ?? []);
    const carry = options.carry ?? [];
    const written = new Set(program.kernels.map((k) => k.outputs[0].buffer));
    const buffers = new Map();  // id -> {gpu, info}
    const bufferOf = (b) => {
      let g = buffers.get(b.buffer);
      if (g) return g.gpu;
      const size = byteSize(b);
      const gpu = device.createBuffer({ size, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST });
      if (!written.has(b.buffer) && !feeds.has(b.buffer)) {
        const data = new Uint8Array(size);
        data.set(inputBytes(b.buffer));
        device.queue.writeBuffer(gpu, 0, data);
      }
      buffers.set(b.buffer, { gpu, info: b, size });
      return gpu;
    };
    // Every buffer made and every input uploaded before the first await: inputBytes reads the latest
    // schedule the module handed out, which a later call into the module may replace.
    for (const k of program.kernels) for (const b of [k.outputs[0], ...k.inputs]) bufferOf(b);
    const outputs = program.outputs.map((b) => ({ info: b, gpu: bufferOf(b), size: byteSize(b) }));
    for (const f of feeds) if (!buffers.has(f)) throw new Error(`feed buffer ${f} is not bound by any kernel`);
    for (const c of carry) {
      if (!outputs[c.output]) throw new Error(`carry: the program has no output ${c.output}`);
      if (!buffers.has(c.buffer)) throw new Error(`carry: buffer ${c.buffer} is not bound by any kernel`);
    }
    const t0 = performance.now();
    const extra = [];
    const steps = await Promise.all(program.kernels.map(async (k) => {
      const slots = [k.outputs[0], ...k.inputs];
      const vars = variablesBuffer(device, k);
      if (vars) extra.push(vars);
      // The scope is pushed and popped before the first await (the kernels compile concurrently and
      // scopes are a stack); a pipeline that fails to compile rejects on its own.
      device.pushErrorScope("validation");
      const layout = device.createBindGroupLayout({ entries: layoutEntries(slots.length + (vars ? 1 : 0)) });
      const pipelineLayout = device.createPipelineLayout({ bindGroupLayouts: [layout] });
      const module = device.createShaderModule({ code: `${program.prelude}\n${k.source}` });
      const scope = device.popErrorScope();
      let pipeline;
      try {
        pipeline = await device.createComputePipelineAsync({ layout: pipelineLayout, compute: { module, entryPoint: k.name } });
      } catch (e) {
        const error = await scope;
        throw new Error(`kernel ${k.name}: ${error?.message ?? e.message}`);
      }
      const error = await scope;
      if (error) throw new Error(`kernel ${k.name}: ${error.message}`);
      const entries = slots.map((b, i) => ({ binding: i, resource: { buffer: bufferOf(b) } }));
      if (vars) entries.push({ binding: slots.length, resource: { buffer: vars } });
      const group = device.createBindGroup({ layout, entries });
      return { kernel: k, pipeline, group, dispatch: k.launch.global.every((n) => n > 0) ? k.launch.global : null };
    }));
    const compileMs = performance.now() - t0;

    const encode = (encoder, list) => {
      const pass = encoder.beginComputePass();
      for (const s of list) {
        if (!s.dispatch) continue;
        pass.setPipeline(s.pipeline);
        pass.setBindGroup(0, s.group);
        pass.dispatchWorkgroups(...s.dispatch);
      }
      pass.end();
    };
    // Reads `which` (output indices) back as typed arrays.
    const readBack = async (encoder, which) => {
      return submitAndRead(device, encoder, which.map((o) => outputs[o]));
    };
    const all = outputs.map((_, i) => i);

    return {
      compileMs,
      kernels: program.kernels.length,
      // Every kernel in one compute pass; resolves with the outputs' values and the wall time from
      // submit to the values read back.
      async run() {
        const t = performance.now();
        const encoder = device.createCommandEncoder();
        encode(encoder, steps);
        const values = await readBack(encoder, all);
        return { values, ms: performance.now() - t };
      },
      // Each kernel submitted on its own and waited for: a wall time per kernel (submit to done), then
      // the outputs read back.
      async runTimed() {
        const kernelMs = [];
        for (const s of steps) {
          const t = performance.now();
          const encoder = device.createCommandEncoder();
          encode(encoder, [s]);
          device.queue.submit([encoder.finish()]);
          await device.queue.onSubmittedWorkDone();
          kernelMs.push(performance.now() - t);
        }
        const values = await readBack(device.createCommandEncoder(), all);
        return { values, kernelMs, ms: kernelMs.reduce((a, x) => a + x, 0) };
      },
      // One step: `feedData` maps a feed buffer id to its new contents (a typed array), then every
      // kernel runs, the carried outputs are copied into their input buffers, and the outputs in
      // `read` (indices, default: none) come back.
      async step(feedData = {}, read = []) {
        for (const [id, data] of Object.entries(feedData)) {
          const b = buffers.get(Number(id));
          if (!b) throw new Error(`no feed buffer ${id}`);
          const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
          if (bytes.byteLength % 4 === 0) device.queue.writeBuffer(b.gpu, 0, bytes);
          else { const padded = new Uint8Array(Math.ceil(bytes.byteLength / 4) * 4); padded.set(bytes); device.queue.writeBuffer(b.gpu, 0, padded); }
        }
        const encoder = device.createCommandEncoder();
        encode(encoder, steps);
        for (const c of carry) {
          const from = outputs[c.output], to = buffers.get(c.buffer);
          encoder.copyBufferToBuffer(from.gpu, 0, to.gpu, 0, Math.min(from.size, to.size));
        }
        if (!read.length) {
          device.queue.submit([encoder.finish()]);
          await device.queue.onSubmittedWorkDone();
          return [];
        }
        return readBack(encoder, read);
      },
      destroy() {
        for (const b of buffers.values()) b.gpu.destroy();
        for (const g of extra) g.destroy();
        buffers.clear();
      },
    };
  }

  return { open, run, session };
})();
