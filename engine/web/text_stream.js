// Token ids → text pieces for streaming. A piece never ends inside a UTF-8 character (text whose
// decoding ends in U+FFFD waits for the next token) nor with the start of a stop string.
/** @typedef {{decode(ids: number[]): string}} Decoder */

const REPLACEMENT = "\uFFFD";

export class TextStreamer {
  /** @param {Decoder} tokenizer @param {string[]} stop */
  constructor(tokenizer, stop = []) {
    this.tokenizer = tokenizer;
    this.stop = stop.filter((s) => s.length > 0);
    /** @type {number[]} */
    this.ids = [];
    /** Decoding restarts a few tokens back so that tokenizers which drop a leading space stay exact. */
    this.prefixOffset = 0;
    this.readOffset = 0;
    this.text = ""; // all text decoded so far
    this.sent = 0; // characters of `text` already handed out
    this.stopped = false;
  }

  /** @param {number[]} ids */
  decode(ids) {
    return ids.length ? this.tokenizer.decode(ids) : "";
  }

  /** Adds one token; returns the text that may be shown now ("" when nothing is safe yet). */
  push(/** @type {number} */ id) {
    if (this.stopped) return "";
    this.ids.push(id);
    const before = this.decode(this.ids.slice(this.prefixOffset, this.readOffset));
    const after = this.decode(this.ids.slice(this.prefixOffset));
    if (after.length > before.length && !after.endsWith(REPLACEMENT)) {
      this.text += after.slice(before.length);
      this.prefixOffset = this.readOffset;
      this.readOffset = this.ids.length;
    }
    return this.release(false);
  }

  /** Flushes what was held back when generation ends; an unfinished last character is dropped. */
  finish() {
    if (!this.stopped && this.readOffset < this.ids.length) {
      const before = this.decode(this.ids.slice(this.prefixOffset, this.readOffset));
      const after = this.decode(this.ids.slice(this.prefixOffset)).replace(/\uFFFD+$/, "");
      this.text += after.slice(before.length);
      this.readOffset = this.ids.length;
    }
    return this.release(true);
  }

  /** @param {boolean} final */
  release(final) {
    let end = this.text.length;
    for (const s of this.stop) {
      const at = this.text.indexOf(s, Math.max(0, this.sent - s.length + 1));
      if (at >= 0 && at < end) {
        end = at;
        this.stopped = true;
      }
    }
    if (!this.stopped && !final) end -= this.heldForStop(end);
    const piece = this.text.slice(this.sent, Math.max(this.sent, end));
    this.sent = Math.max(this.sent, end);
    if (this.stopped) this.text = this.text.slice(0, end);
    return piece;
  }

  /** How many trailing characters could begin a stop string, so must wait. @param {number} end */
  heldForStop(end) {
    let held = 0;
    for (const s of this.stop) {
      for (let k = Math.min(s.length - 1, end - this.sent); k > held; k--) {
        if (this.text.endsWith(s.slice(0, k))) { held = k; break; }
      }
    }
    return held;
  }
}
