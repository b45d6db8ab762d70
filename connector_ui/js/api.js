// The project's API, called with the organisation's bearer token. One place turns error
// answers into ApiError, whose `errors` list names the fields a form should mark.

/** Where the API lives: the dashboard is served at <api>/ui/, so one level up. */
export const API_BASE = new URL("../", document.baseURI).href.replace(/\/$/, "");

/** The largest page every list of the API serves (their `limit` goes up to 500). */
const ALL_PAGE_LIMIT = 500;

export class ApiError extends Error {
  /**
   * @param {number} status HTTP status (0 when the API could not be reached)
   * @param {object} body the JSON error body: {code, message, field, errors, details}
   */
  constructor(status, body) {
    super(body?.message || `request failed (${status})`);
    this.status = status;
    this.code = body?.code || "error";
    this.body = body || {};
    const listed = Array.isArray(body?.errors) ? body.errors : [];
    this.errors = listed.length
      ? listed.map((e) => ({ field: e.field || null, message: e.message }))
      : [{ field: body?.field || null, message: this.message }];
  }
}

/** `{field, message}` of a failed operation's decoded contract error. */
export function operationError(operation) {
  const error = operation?.error || {};
  return new ApiError(error.httpStatus || 409, {
    code: error.code,
    message: error.message || "the operation failed on chain",
    field: error.field,
  });
}

export class Api {
  constructor(token) {
    this.token = token;
  }

  async request(method, path, { json, form, query, raw } = {}) {
    const url = new URL(API_BASE + path);
    for (const [key, value] of Object.entries(query || {})) {
      if (value !== undefined && value !== null && value !== "") url.searchParams.set(key, value);
    }
    const headers = { Accept: "application/json" };
    if (this.token) headers.Authorization = `Bearer ${this.token}`;
    let body;
    if (json !== undefined) {
      headers["Content-Type"] = "application/json";
      body = JSON.stringify(json);
    } else if (form !== undefined) {
      body = form;
    }
    let response;
    try {
      response = await fetch(url, { method, headers, body, cache: "no-store" });
    } catch (error) {
      throw new ApiError(0, { code: "unreachable", message: `the API does not answer (${error.message})` });
    }
    if (raw && response.ok) return response;
    const text = await response.text();
    let data = null;
    try {
      data = text ? JSON.parse(text) : null;
    } catch {
      data = { message: text };
    }
    if (!response.ok) {
      const error = new ApiError(response.status, data);
      if (response.status === 401) window.dispatchEvent(new CustomEvent("cbp:unauthorised"));
      throw error;
    }
    return data;
  }

  get(path, query) {
    return this.request("GET", path, { query });
  }
  post(path, json) {
    return this.request("POST", path, { json });
  }
  /** Every row of a list the API pages: its pages of `limit` rows, one after another. */
  async all(path, query = {}, limit = ALL_PAGE_LIMIT) {
    const rows = [];
    for (let offset = 0; ; offset += limit) {
      const page = await this.get(path, { ...query, limit, offset });
      rows.push(...page.data);
      if (!page.data.length || rows.length >= page.count) return rows;
    }
  }
  patch(path, json) {
    return this.request("PATCH", path, { json });
  }
  upload(path, form) {
    return this.request("POST", path, { form });
  }
  /** A file as a Blob (attachment downloads). */
  async blob(path) {
    const response = await this.request("GET", path, { raw: true });
    return response.blob();
  }
}

/** The API's own description; pages list the paths they need and appear when those exist. */
export async function apiPaths() {
  try {
    const response = await fetch(`${API_BASE}/openapi.json`, { cache: "no-store" });
    if (!response.ok) return new Set();
    const spec = await response.json();
    return new Set(Object.keys(spec.paths || {}));
  } catch {
    return new Set();
  }
}
