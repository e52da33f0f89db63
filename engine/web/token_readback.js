// Sampled tokens of steps in flight, read back oldest first. Each step copies its 4-byte token into
// a MAP_READ staging buffer of its own and starts mapping it right after the submit, so reading
// token k waits for step k only: with one shared staging buffer the next step could not copy into
// it before token k was read, and decode could never run a step ahead (docs/benchmarks.md,
// "Pipelined decode", has the native host's twin, engine/native/replay.py).
const TOKEN_BYTES = 4;

/** @typedef {{staging: GPUBuffer, mapped: Promise<void>}} PendingToken */

export class TokenReadback {
  /** @param {GPUDevice} device */
  constructor(device) {
    this.device = device;
    /** @type {GPUBuffer[]} staging buffers neither mapped nor being mapped */
    this.free = [];
    /** @type {PendingToken[]} submitted steps' tokens, oldest first */
    this.pending = [];
    /** @type {GPUBuffer[]} every staging buffer made, to destroy them */
    this.made = [];
    this.destroyed = false;
  }

  /** Records the copy of `sampled`'s first token into a free staging buffer; returns that buffer. @param {GPUCommandEncoder} encoder @param {GPUBuffer} sampled */
  copy(encoder, sampled) {
    let staging = this.free.pop();
    if (!staging) {
      staging = this.device.createBuffer({ label: "sampled token", size: 16, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
      this.made.push(staging);
    }
    encoder.copyBufferToBuffer(sampled, 0, staging, 0, TOKEN_BYTES);
    return staging;
  }

  /** Starts mapping `staging` once the command buffer that copies into it was submitted. @param {GPUBuffer} staging */
  submitted(staging) {
    const mapped = staging.mapAsync(GPUMapMode.READ, 0, TOKEN_BYTES);
    mapped.catch(() => {}); // a failure is reported by read(); a dropped token's failure by nobody
    this.pending.push({ staging, mapped });
  }

  /** The oldest pending token; waits for its step only. @returns {Promise<number>} */
  async read() {
    const oldest = this.pending.shift();
    if (!oldest) throw new Error("no step with a token to read is in flight");
    const { staging, mapped } = oldest;
    await mapped;
    const token = new Uint32Array(staging.getMappedRange(0, TOKEN_BYTES))[0];
    this.recycle(staging);
    return token;
  }

  /** Forgets every pending token. Their buffers come back once mapped: until then a copy into them would be refused. */
  drop() {
    for (const { staging, mapped } of this.pending.splice(0)) {
      mapped.then(() => this.recycle(staging), () => {});
    }
  }

  /** @param {GPUBuffer} staging */
  recycle(staging) {
    if (this.destroyed) return;
    staging.unmap();
    this.free.push(staging);
  }

  destroy() {
    this.destroyed = true;
    for (const staging of this.made) staging.destroy();
  }
}
