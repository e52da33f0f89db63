// The local server's JSON API (docs/api.md). Requests are same-origin, so the HttpOnly session
// cookie the server set when the window opened authenticates them.

export class ApiError extends Error {
  /** @param {string} message @param {number} status */
  constructor(message, status) {
    super(message);
    this.name = "ApiError";
    this.status = status;
  }
}

/** @param {string} method @param {string} path @param {unknown} [body] @returns {Promise<any>} */
export async function request(method, path, body) {
  /** @type {RequestInit} */
  const init = { method, headers: body === undefined ? {} : { "Content-Type": "application/json" } };
  if (body !== undefined) init.body = JSON.stringify(body);
  let response;
  try {
    response = await fetch(path, init);
  } catch {
    throw new ApiError("Hearth's local server does not answer; restart Hearth.", 0);
  }
  const type = response.headers.get("Content-Type") || "";
  const payload = type.includes("json") ? await response.json() : await response.text();
  if (!response.ok) {
    const message = typeof payload === "object" && payload?.error ? String(payload.error) : `The server answered ${response.status}; restart Hearth.`;
    throw new ApiError(message, response.status);
  }
  return payload;
}

export const api = {
  get: (/** @type {string} */ path) => request("GET", path),
  post: (/** @type {string} */ path, /** @type {unknown} */ body = {}) => request("POST", path, body),
  patch: (/** @type {string} */ path, /** @type {unknown} */ body) => request("PATCH", path, body),
  delete: (/** @type {string} */ path) => request("DELETE", path),
};
