// The one place that talks to the server: JSON calls and Server-Sent Event streams.
// Every failure becomes an ApiError whose message is the server's own words.

import { t } from "./i18n.js";

export class ApiError extends Error {
  /** `detail`: the server's error object ({kind, message, status?, url?, hint?, data?}). */
  constructor(detail, httpStatus) {
    super(detail.message || t("Request failed ({status})", { status: httpStatus }));
    this.kind = detail.kind ?? "unknown";
    this.hint = detail.hint ?? "";
    this.url = detail.url ?? "";
    this.providerStatus = detail.status ?? null;
    this.httpStatus = httpStatus;
    this.field = detail.data?.field ?? ""; // the setting a refusal is about (`drupe.validation`)
  }
}

async function errorFrom(response) {
  let detail = {};
  try {
    const body = await response.json();
    detail = body.error ?? { message: body.detail ?? "" };
  } catch {
    detail = { message: `${response.status} ${response.statusText}` };
  }
  return new ApiError(detail, response.status);
}

function networkError(error) {
  return new ApiError({ kind: "network", message: t("Cannot reach drupe: {message}", { message: error.message }) }, 0);
}

// The access token off loopback (see docs/web.md). It lives in this tab's sessionStorage and goes
// out as an Authorization header, never in a cookie: cookies are not per port, so every other
// service on the same host would receive it.
const TOKEN_KEY = "drupe-token";

/** Take the token from the address (`#token=…`, or `?token=…` from older links) and drop it from there. */
export function adoptTokenFromAddress() {
  const fragment = new URLSearchParams(location.hash.slice(1));
  const search = new URLSearchParams(location.search);
  const token = fragment.get("token") || search.get("token");
  if (!token) return;
  setToken(token);
  fragment.delete("token");
  search.delete("token");
  const rest = search.toString();
  const hash = fragment.toString();
  history.replaceState(history.state, "", location.pathname + (rest ? `?${rest}` : "") + (hash ? `#${hash}` : ""));
}

export function setToken(token) {
  sessionStorage.setItem(TOKEN_KEY, token.trim());
}

function withToken(headers) {
  const token = sessionStorage.getItem(TOKEN_KEY);
  return token ? { ...headers, Authorization: `Bearer ${token}` } : headers;
}

async function request(method, path, body, signal, cache) {
  const init = { method, headers: withToken({ Accept: "application/json" }), signal, cache };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(`/api${path}`, init);
  } catch (error) {
    if (error.name === "AbortError") throw error;
    throw networkError(error);
  }
  if (!response.ok) throw await errorFrom(response);
  return response.status === 204 ? null : response.json();
}

export const get = (path, signal) => request("GET", path, undefined, signal);
/** GET past any cache between the page and the server: for lists asked again on purpose (Refresh). */
export const getFresh = (path, signal) => request("GET", path, undefined, signal, "no-store");
export const post = (path, body = {}) => request("POST", path, body);
export const patch = (path, body) => request("PATCH", path, body);
export const put = (path, body) => request("PUT", path, body);
export const del = (path) => request("DELETE", path);

/** Save what GET `/api${path}` returns as a file: a plain link could not send the token. */
export async function download(path) {
  let response;
  try {
    response = await fetch(`/api${path}`, { headers: withToken({}) });
  } catch (error) {
    throw networkError(error);
  }
  if (!response.ok) throw await errorFrom(response);
  const name = /filename="([^"]+)"/.exec(response.headers.get("Content-Disposition") ?? "")?.[1] ?? "drupe-export";
  const url = URL.createObjectURL(await response.blob());
  const link = Object.assign(document.createElement("a"), { href: url, download: name });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** A path segment, e.g. a model ID that may contain "/" or ":". */
export const seg = (value) => encodeURIComponent(value);

/** Build "?a=1&b=2" from an object, skipping undefined and null values. */
export function query(params) {
  const pairs = Object.entries(params).filter(([, value]) => value !== undefined && value !== null);
  return pairs.length ? `?${new URLSearchParams(pairs)}` : "";
}

/**
 * POST `body` to an SSE endpoint and call `onEvent(event)` for each `data:` JSON object.
 * Resolves when the stream ends; rejects with ApiError on an HTTP error or a dropped stream.
 */
export async function stream(path, body, onEvent, signal) {
  let response;
  try {
    response = await fetch(`/api${path}`, {
      method: "POST",
      headers: withToken({ "Content-Type": "application/json", Accept: "text/event-stream" }),
      body: JSON.stringify(body),
      signal,
    });
  } catch (error) {
    if (error.name === "AbortError") return;
    throw networkError(error);
  }
  if (!response.ok) throw await errorFrom(response);
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      let boundary;
      while ((boundary = buffer.search(/\r?\n\r?\n/)) >= 0) {
        const frame = buffer.slice(0, boundary);
        buffer = buffer.slice(boundary).replace(/^\r?\n\r?\n/, "");
        const data = frame.split(/\r?\n/)
          .filter((line) => line.startsWith("data:"))
          .map((line) => line.slice(5).replace(/^ /, ""))
          .join("\n");
        if (data) onEvent(JSON.parse(data));
      }
    }
  } catch (error) {
    if (error.name === "AbortError") return;
    throw networkError(error);
  }
}
