// The webview host: interprets a plan (docs/plan.md) with the browser's WebGPU. It holds no model
// logic: buffers, weights, pipelines and the dispatch lists all come from the plan.
import { EngineError } from "./errors.js";
import { fetchKernel } from "./kernel_source.js";
import { TokenReadback } from "./token_readback.js";
import { loadWeights } from "./weight_loader.js";

export { EngineError };

/** @typedef {{size: number, usage: string, init: null | {dtype: string, values: number[]}}} PlanBuffer */
/** @typedef {{file: string, offset: number, nbytes: number}} PlanRange */
/** @typedef {{size: number, ranges: PlanRange[]}} PlanWeight */
/** @typedef {{kernel: string, constants: Record<string, number>}} PlanPipeline */
/** @typedef {string | {weight: string} | {buffer: string, offset: number, size: number}} PlanBinding */
/** @typedef {{label: string, pipeline: string, bindings: PlanBinding[], workgroups: number[]}} PlanDispatch */
/**
 * @typedef {{
 *   model_id: string, context: number, chunk: number, vocab_size: number,
 *   step: {size: number, fields: [string, string][]},
 *   buffers: Record<string, PlanBuffer>, weights: Record<string, PlanWeight>,
 *   pipelines: Record<string, PlanPipeline>, programs: Record<string, PlanDispatch[]>,
 *   io: {tokens: string, sampled: string, logits: string, history: string, step: string},
 * }} Plan
 */
/** @typedef {{pipeline: GPUComputePipeline, bindGroup: GPUBindGroup, workgroups: number[]}} Recorded */
/** @typedef {import("./weight_loader.js").LoadProgress} LoadProgress */

const WANTED_LIMITS = /** @type {const} */ ([
  "maxStorageBufferBindingSize", "maxBufferSize", "maxStorageBuffersPerShaderStage",
  "maxComputeWorkgroupStorageSize", "maxComputeInvocationsPerWorkgroup", "maxComputeWorkgroupSizeX",
]);
/** @type {Record<string, Float32ArrayConstructor | Uint32ArrayConstructor | Int32ArrayConstructor>} */
const INIT_TYPES = { f32: Float32Array, u32: Uint32Array, i32: Int32Array };

/** The adapter (null when the webview has no WebGPU) and the traits the plan compiler adapts to. */
export async function probeAdapter() {
  const adapter = navigator.gpu ? await navigator.gpu.requestAdapter({ powerPreference: "high-performance" }) : null;
  if (!adapter) return { adapter: null, traits: null };
  const info = adapter.info;
  const traits = {
    vendor: info.vendor, architecture: info.architecture, description: info.description,
    max_binding: adapter.limits.maxStorageBufferBindingSize,
    max_buffer: adapter.limits.maxBufferSize,
    max_storage_buffers: adapter.limits.maxStorageBuffersPerShaderStage,
    max_workgroup_invocations: adapter.limits.maxComputeInvocationsPerWorkgroup,
    features: [...adapter.features].sort(),
  };
  return { adapter, traits };
}

/** Largest binding and buffer the plan uses: what the device must allow. */
function planNeeds(/** @type {Plan} */ plan) {
  const sizes = [...Object.values(plan.buffers), ...Object.values(plan.weights)].map((b) => b.size);
  let storagePerStage = 0;
  for (const dispatches of Object.values(plan.programs)) {
    for (const d of dispatches) storagePerStage = Math.max(storagePerStage, d.bindings.length);
  }
  return { biggest: Math.max(...sizes), storagePerStage };
}

/** @param {GPUAdapter} adapter @param {Plan} plan @returns {Promise<GPUDevice>} */
async function openDevice(adapter, plan) {
  const { biggest, storagePerStage } = planNeeds(plan);
  if (biggest > adapter.limits.maxStorageBufferBindingSize || biggest > adapter.limits.maxBufferSize) {
    throw new EngineError(`This GPU cannot hold a ${biggest}-byte buffer; recompile the plan for this adapter or use the native engine.`);
  }
  if (storagePerStage > adapter.limits.maxStorageBuffersPerShaderStage) {
    throw new EngineError("This GPU allows too few storage buffers per kernel; use the native engine.");
  }
  /** @type {Record<string, number>} */
  const requiredLimits = {};
  for (const name of WANTED_LIMITS) requiredLimits[name] = adapter.limits[name];
  return adapter.requestDevice({ requiredLimits });
}

export class PlanHost {
  /**
   * @param {GPUDevice} device @param {Plan} plan
   * @param {Map<string, GPUBuffer>} buffers @param {Map<string, GPUBuffer>} weights
   */
  constructor(device, plan, buffers, weights) {
    this.device = device;
    this.plan = plan;
    this.buffers = buffers;
    this.weights = weights;
    /** @type {Record<string, Recorded[]>} */
    this.programs = {};
    this.readback = new TokenReadback(device);
    /** @type {string | null} */
    this.lostReason = null;
    device.lost.then((info) => { this.lostReason = info.message || info.reason || "device lost"; });
  }

  /**
   * Opens a device, creates the plan's buffers, streams the weights in, compiles the pipelines
   * and records the programs.
   * @param {Plan} plan @param {{adapter?: GPUAdapter | null, modelUrl: string, kernelsUrl?: string,
   *   onProgress?: (p: LoadProgress) => void}} options
   */
  static async load(plan, { adapter = null, modelUrl, kernelsUrl = "/kernels", onProgress = () => {} }) {
    const found = adapter ?? (await probeAdapter()).adapter;
    if (!found) throw new EngineError("This webview has no WebGPU adapter; Hearth will use the native engine instead.");
    const device = await openDevice(found, plan);
    device.pushErrorScope("validation");
    device.pushErrorScope("out-of-memory");
    const buffers = createBuffers(device, plan);
    const weights = await loadWeights(device, plan.weights, modelUrl, onProgress);
    const host = new PlanHost(device, plan, buffers, weights);
    await host.compile(kernelsUrl);
    host.encodeAll();
    const oom = await device.popErrorScope();
    const invalid = await device.popErrorScope();
    if (oom) throw new EngineError(`The GPU ran out of memory loading this model (${oom.message}); choose a smaller model or context.`);
    if (invalid) throw new EngineError(`The GPU refused this model's plan (${invalid.message}); report this as a bug.`);
    return host;
  }

  /** @param {string} kernelsUrl */
  async compile(kernelsUrl) {
    /** @type {Map<string, Promise<string>>} */
    const sources = new Map();
    const source = (/** @type {string} */ name) => {
      if (!sources.has(name)) sources.set(name, fetchKernel(kernelsUrl, name, source));
      return /** @type {Promise<string>} */ (sources.get(name));
    };
    /** @type {Map<string, GPUShaderModule>} */
    const modules = new Map();
    const ids = Object.keys(this.plan.pipelines);
    const pipelines = await Promise.all(ids.map(async (id) => {
      const { kernel, constants } = this.plan.pipelines[id];
      if (!modules.has(kernel)) modules.set(kernel, this.device.createShaderModule({ label: kernel, code: await source(kernel) }));
      const module = /** @type {GPUShaderModule} */ (modules.get(kernel));
      return this.device.createComputePipelineAsync({
        label: `${id}:${kernel}`, layout: "auto", compute: { module, entryPoint: "main", constants },
      });
    }));
    const byId = new Map(ids.map((id, i) => [id, pipelines[i]]));
    for (const [name, dispatches] of Object.entries(this.plan.programs)) {
      this.programs[name] = dispatches.map((d) => {
        const pipeline = /** @type {GPUComputePipeline} */ (byId.get(d.pipeline));
        const entries = d.bindings.map((b, binding) => ({ binding, resource: this.resource(b, d.label) }));
        const bindGroup = this.device.createBindGroup({ label: d.label, layout: pipeline.getBindGroupLayout(0), entries });
        return { pipeline, bindGroup, workgroups: d.workgroups };
      });
    }
  }

  /**
   * Encodes every program once without submitting it. Browsers check a pass's bindings only when it
   * is encoded (e.g. Chrome refuses a dispatch that binds one buffer writably twice, which native
   * wgpu accepts); a refused command buffer would be dropped at each step, leaving zeros where the
   * logits should be. Run inside load's validation scope, such a plan fails to load instead.
   */
  encodeAll() {
    for (const program of Object.keys(this.programs)) this.encode(program).finish();
  }

  /** A command encoder holding `program` as one compute pass. @param {string} program */
  encode(program) {
    const recorded = this.programs[program];
    if (!recorded) throw new EngineError(`The plan has no ${program} program; recompile the plan.`);
    const encoder = this.device.createCommandEncoder({ label: program });
    const pass = encoder.beginComputePass({ label: program });
    for (const { pipeline, bindGroup, workgroups } of recorded) {
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, bindGroup);
      pass.dispatchWorkgroups(workgroups[0], workgroups[1] ?? 1, workgroups[2] ?? 1);
    }
    pass.end();
    return encoder;
  }

  /** @param {PlanBinding} binding @param {string} label @returns {GPUBufferBinding} */
  resource(binding, label) {
    const lookup = (/** @type {Map<string, GPUBuffer>} */ map, /** @type {string} */ name) => {
      const buffer = map.get(name);
      if (!buffer) throw new EngineError(`The plan's dispatch ${label} names an unknown buffer ${name}; recompile the plan.`);
      return buffer;
    };
    if (typeof binding === "string") return { buffer: lookup(this.buffers, binding) };
    if ("weight" in binding) return { buffer: lookup(this.weights, binding.weight) };
    return { buffer: lookup(this.buffers, binding.buffer), offset: binding.offset, size: binding.size };
  }

  /**
   * Queues one step without waiting for the GPU: writes the Step uniform (and token ids), records the
   * program as one compute pass and submits it; a program that samples copies its token aside for
   * readToken(). program: "prefill" | "prefill_last" | "decode"; step: Step fields (missing ones are
   * 0); tokens: the step's input ids, or null to feed what the previous step's sampler left in the
   * tokens buffer (and the history). @param {string} program @param {Record<string, number>} step
   * @param {ArrayLike<number> | null} tokens
   */
  submitStep(program, step, tokens) {
    if (this.lostReason) throw new EngineError(`The GPU was lost (${this.lostReason}); reload the model.`);
    const encoder = this.encode(program);
    const queue = this.device.queue;
    queue.writeBuffer(this.io("step"), 0, this.stepBytes(step));
    if (tokens) queue.writeBuffer(this.io("tokens"), 0, Uint32Array.from(tokens));
    const samples = program !== "prefill";
    const staging = samples ? this.readback.copy(encoder, this.io("sampled")) : null;
    queue.submit([encoder.finish()]);
    if (staging) this.readback.submitted(staging);
  }

  /** Steps submitted with a sampled token that was not read yet. */
  get pendingReads() { return this.readback.pending.length; }

  /** The token of the oldest submitted step not read yet; waits for that step only. @returns {Promise<number>} */
  readToken() {
    return this.readback.read().catch((error) => {
      throw new EngineError(`The sampled token could not be read back (${this.lostReason ?? error.message}); reload the model.`);
    });
  }

  /** Forgets the tokens of submitted steps that nobody will read (their steps still run). */
  dropPending() {
    this.readback.drop();
  }

  /** One step, waited for: its sampled token (null for "prefill"). @param {string} program
   * @param {Record<string, number>} step @param {ArrayLike<number>} tokens @returns {Promise<number | null>} */
  async runStep(program, step, tokens) {
    if (this.pendingReads) throw new EngineError("A step ran while pipelined tokens were unread; report this as a bug.");
    this.submitStep(program, step, tokens);
    return program === "prefill" ? null : this.readToken();
  }

  /**
   * Writes token ids into the penalty history at `first` (the history mirrors the KV cache:
   * entry i is the token at position i). @param {ArrayLike<number>} tokens @param {number} first
   */
  writeHistory(tokens, first) {
    const buffer = this.io("history");
    const ids = Uint32Array.from(tokens);
    if (4 * (first + ids.length) > buffer.size) throw new EngineError("The penalty history is full; start a new chat.");
    if (ids.length) this.device.queue.writeBuffer(buffer, 4 * first, ids);
  }

  /** @param {keyof Plan["io"]} role */
  io(role) {
    const buffer = this.buffers.get(this.plan.io[role]);
    if (!buffer) throw new EngineError(`The plan has no ${role} buffer; recompile the plan.`);
    return buffer;
  }

  /** @param {Record<string, number>} values @returns {ArrayBuffer} */
  stepBytes(values) {
    const bytes = new ArrayBuffer(this.plan.step.size);
    const view = new DataView(bytes);
    this.plan.step.fields.forEach(([name, type], i) => {
      const value = values[name] ?? 0;
      if (type === "f32") view.setFloat32(4 * i, value, true);
      else view.setUint32(4 * i, value >>> 0, true);
    });
    return bytes;
  }

  /** A copy of a buffer's contents (tests and debugging: the logits). @param {string} name */
  async readBuffer(name) {
    const source = this.buffers.get(name) ?? this.weights.get(name);
    if (!source) throw new EngineError(`No buffer named ${name}.`);
    const staging = this.device.createBuffer({ size: source.size, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    const encoder = this.device.createCommandEncoder();
    encoder.copyBufferToBuffer(source, 0, staging, 0, source.size);
    this.device.queue.submit([encoder.finish()]);
    await staging.mapAsync(GPUMapMode.READ);
    const copy = staging.getMappedRange().slice(0);
    staging.destroy();
    return copy;
  }

  /** The last row's logits after a sampling step. @returns {Promise<Float32Array>} */
  async logits() {
    return new Float32Array(await this.readBuffer(this.plan.io.logits), 0, this.plan.vocab_size);
  }

  destroy() {
    for (const buffer of [...this.buffers.values(), ...this.weights.values()]) buffer.destroy();
    this.readback.destroy();
    this.device.destroy();
  }
}

/** @param {GPUDevice} device @param {Plan} plan */
function createBuffers(device, plan) {
  /** @type {Map<string, GPUBuffer>} */
  const buffers = new Map();
  for (const [name, spec] of Object.entries(plan.buffers)) {
    const role = spec.usage === "uniform" ? GPUBufferUsage.UNIFORM : GPUBufferUsage.STORAGE;
    const buffer = device.createBuffer({
      label: name, size: spec.size, usage: role | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC,
      mappedAtCreation: spec.init !== null,
    });
    if (spec.init) {
      const View = INIT_TYPES[spec.init.dtype];
      if (!View) throw new EngineError(`Buffer ${name} has init dtype ${spec.init.dtype}; recompile the plan.`);
      new View(buffer.getMappedRange()).set(spec.init.values);
      buffer.unmap();
    }
    buffers.set(name, buffer);
  }
  return buffers;
}
