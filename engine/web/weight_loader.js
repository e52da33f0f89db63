// Streams a plan's weights from the local server into GPU buffers: HTTP Range requests straight
// from the store's shard files, bytes copied into each buffer's mapped memory as they arrive
// (no browser cache, no whole-file copy). Neighbouring ranges of one shard share one request.
import { EngineError } from "./errors.js";

/** @typedef {{loadedBytes: number, totalBytes: number, seconds: number, gbPerSecond: number}} LoadProgress */
/** @typedef {{file: string, offset: number, nbytes: number, weight: string, at: number}} Segment */
/** @typedef {{file: string, start: number, end: number, segments: Segment[]}} Request */

const MAX_GAP = 1 << 16; // bytes between two ranges still worth reading in one request
const MAX_REQUEST = 32 << 20;
const PARALLEL_REQUESTS = 4;

/**
 * @param {Record<string, {size: number, ranges: {file: string, offset: number, nbytes: number}[]}>} specs
 * @returns {Request[]} requests in file order, each covering neighbouring segments
 */
export function groupRanges(specs) {
  /** @type {Segment[]} */
  const segments = [];
  for (const [weight, spec] of Object.entries(specs)) {
    let at = 0;
    for (const r of spec.ranges) {
      segments.push({ file: r.file, offset: r.offset, nbytes: r.nbytes, weight, at });
      at += r.nbytes;
    }
  }
  segments.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.offset - b.offset));
  /** @type {Request[]} */
  const requests = [];
  for (const s of segments) {
    const last = requests[requests.length - 1];
    const end = s.offset + s.nbytes;
    if (last && last.file === s.file && s.offset >= last.start && s.offset - last.end <= MAX_GAP
        && end - last.start <= MAX_REQUEST) {
      last.end = Math.max(last.end, end);
      last.segments.push(s);
    } else {
      requests.push({ file: s.file, start: s.offset, end, segments: [s] });
    }
  }
  return requests;
}

/**
 * Creates one GPU buffer per weight and fills it. Buffers are mapped while their bytes arrive and
 * unmapped as soon as they are complete.
 * @param {GPUDevice} device
 * @param {Record<string, {size: number, ranges: {file: string, offset: number, nbytes: number}[]}>} specs
 * @param {string} modelUrl  e.g. "/models/<id>"
 * @param {(p: LoadProgress) => void} onProgress
 * @returns {Promise<Map<string, GPUBuffer>>}
 */
export async function loadWeights(device, specs, modelUrl, onProgress) {
  /** @type {Map<string, GPUBuffer>} */
  const buffers = new Map();
  /** @type {Map<string, Uint8Array>} */
  const mapped = new Map();
  /** @type {Map<string, number>} */
  const missing = new Map();
  for (const [name, spec] of Object.entries(specs)) {
    missing.set(name, spec.ranges.reduce((sum, r) => sum + r.nbytes, 0));
  }
  const totalBytes = [...missing.values()].reduce((a, b) => a + b, 0);
  const started = performance.now();
  let loadedBytes = 0;
  const report = () => {
    const seconds = (performance.now() - started) / 1000;
    onProgress({ loadedBytes, totalBytes, seconds, gbPerSecond: seconds > 0 ? loadedBytes / seconds / 1e9 : 0 });
  };

  const target = (/** @type {string} */ weight) => {
    let view = mapped.get(weight);
    if (!view) {
      const buffer = device.createBuffer({
        label: weight, size: specs[weight].size, mappedAtCreation: true,
        usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC,
      });
      buffers.set(weight, buffer);
      view = new Uint8Array(buffer.getMappedRange());
      mapped.set(weight, view);
    }
    return view;
  };
  const received = (/** @type {string} */ weight, /** @type {number} */ n) => {
    const left = /** @type {number} */ (missing.get(weight)) - n;
    missing.set(weight, left);
    if (left === 0) {
      /** @type {GPUBuffer} */ (buffers.get(weight)).unmap();
      mapped.delete(weight);
    }
  };

  /** @param {Request} request */
  const fetchRequest = async (request) => {
    const url = `${modelUrl}/${encodeURIComponent(request.file)}`;
    const response = await fetch(url, { headers: { Range: `bytes=${request.start}-${request.end - 1}` } });
    if (response.status !== 206 || !response.body) {
      throw new EngineError(`The model file ${request.file} could not be read (HTTP ${response.status}); run "hearth models verify".`);
    }
    const reader = response.body.getReader();
    let position = request.start; // file offset of the next byte to arrive
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      const chunkEnd = position + value.length;
      for (const s of request.segments) {
        const from = Math.max(position, s.offset);
        const to = Math.min(chunkEnd, s.offset + s.nbytes);
        if (from >= to) continue;
        target(s.weight).set(value.subarray(from - position, to - position), s.at + (from - s.offset));
        received(s.weight, to - from);
        loadedBytes += to - from;
      }
      position = chunkEnd;
      report();
    }
    if (position !== request.end) {
      throw new EngineError(`The model file ${request.file} ended early; run "hearth models verify".`);
    }
  };

  const queue = groupRanges(specs);
  const workers = Array.from({ length: PARALLEL_REQUESTS }, async () => {
    for (let next = queue.shift(); next; next = queue.shift()) await fetchRequest(next);
  });
  await Promise.all(workers);
  for (const [name, spec] of Object.entries(specs)) {
    if (!buffers.has(name)) { // a weight with no bytes (cannot happen in a valid plan): still bind something
      buffers.set(name, device.createBuffer({ label: name, size: spec.size, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST }));
    }
  }
  report();
  return buffers;
}
