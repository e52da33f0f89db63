// Typed errors of the webview engine; each message is one sentence saying what to do next.

export class EngineError extends Error {
  /** @param {string} message */
  constructor(message) {
    super(message);
    this.name = "EngineError";
  }
}

/** The conversation no longer fits the context (finish_reason "length" covers generation). */
export class ContextFullError extends EngineError {
  /** @param {string} message */
  constructor(message) {
    super(message);
    this.name = "ContextFullError";
  }
}
