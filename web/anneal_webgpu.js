// Runs what the WASM compiler prepared for WEBGPU on navigator.gpu: the `kernels` JSON of anneal.js
// (prelude, kernels in order with their WGSL, buffers and launch grid, the program's outputs). Buffers
// are made by id; a buffer no kernel writes is an input, uploaded from the module's bytes. Each kernel
// gets its own pipeline with the layout the WGSL renderer declares (slot 0 read-write, the others
// read-only); they run in order in one compute pass, then the outputs are read back.
// A classic script (no modules): it defines the global `annealWebGpu`.
const annealWebGpu = (() => {
  const ITEMSIZE = { float32: 4, int32: 4, uint32: 4, float16: 2, bfloat16: 2, int16: 2, uint16: 2, int8: 1, uint8: 1, bool: 1 };
  const VIEWS = { float32: Float32Array, int32: Int32Array, uint32: Uint32Array, int8: Int8Array, uint8: Uint8Array, bool: Uint8Array, int16: Int16Array, uint16: Uint16Array };

  const byteSize = (b) => {
    if (!(b.dtype in ITEMSIZE)) throw new Error(`WebGPU has no ${b.dtype} buffers`);
    return Math.max(4, Math.ceil((b.size * ITEMSIZE[b.dtype]) / 4) * 4);  // WebGPU copies 4 bytes at a time
  };

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
    for (const k of program.kernels) {
      const slots = [k.outputs[0], ...k.inputs];
      device.pushErrorScope("validation");
      const layout = device.createBindGroupLayout({
        entries: slots.map((_, i) => ({ binding: i, visibility: GPUShaderStage.COMPUTE, buffer: { type: i === 0 ? "storage" : "read-only-storage" } })),
      });
      const module = device.createShaderModule({ code: `${program.prelude}\n${k.source}` });
      const pipeline = device.createComputePipeline({ layout: device.createPipelineLayout({ bindGroupLayouts: [layout] }), compute: { module, entryPoint: k.name } });
      const error = await device.popErrorScope();
      if (error) throw new Error(`kernel ${k.name}: ${error.message}`);
      const group = device.createBindGroup({ layout, entries: slots.map((b, i) => ({ binding: i, resource: { buffer: bufferOf(b) } })) });
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, group);
      if (k.launch.global.every((n) => n > 0)) pass.dispatchWorkgroups(...k.launch.global);
    }
    pass.end();
    const reads = program.outputs.map((b) => {
      const staging = device.createBuffer({ size: byteSize(b), usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
      encoder.copyBufferToBuffer(bufferOf(b), 0, staging, 0, byteSize(b));
      return [b, staging];
    });
    device.queue.submit([encoder.finish()]);
    const values = [];
    for (const [b, staging] of reads) {
      await staging.mapAsync(GPUMapMode.READ);
      const View = VIEWS[b.dtype];
      if (!View) throw new Error(`reading ${b.dtype} values back is not supported`);
      values.push(new View(staging.getMappedRange().slice(0), 0, b.size));
      staging.unmap();
    }
    for (const g of buffers.values()) g.destroy();
    return values;
  }

  return { open, run };
})();
