// Small DOM helpers. Text always goes in through textContent; only server-sanitised
// Markdown HTML is ever assigned with innerHTML (see messages.js).

import { formatNumber } from "./i18n.js";

const SAFE_URL = /^(https?:|mailto:|\/|#|\.)/i;
const SAFE_SRC = /^(https?:|\/|\.|data:image\/|blob:)/i;

/**
 * Create an element. `props`: class, text, dataset, on{Event} handlers, aria-* and
 * other attributes; `children`: nodes, strings (as text) or falsy (skipped). An href or src
 * that is not http(s), mailto, or relative (or, for src, an image's data: or blob: URL) is left
 * out, so a `javascript:` link from a provider, a catalog or a file shows as plain text.
 */
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "href" && !SAFE_URL.test(String(value).trim())) continue;
    if (key === "src" && !SAFE_SRC.test(String(value).trim())) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key === "dataset") Object.assign(node.dataset, value);
    else if (key.startsWith("on") && typeof value === "function") node.addEventListener(key.slice(2), value);
    else if (key in node && typeof value !== "string") node[key] = value;
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : String(child));
  }
}

/** Replace all children of `node`. */
export function replaceChildren(node, ...children) {
  node.replaceChildren();
  append(node, children);
  return node;
}

let uniqueCounter = 0;
/** An id unique in this page, for label[for] and aria-labelledby. */
export function uniqueId(prefix = "id") {
  uniqueCounter += 1;
  return `${prefix}-${uniqueCounter}`;
}

/** A labelled form field: returns { wrapper, input } with label[for] set. */
export function field(labelText, input, hint) {
  input.id ||= uniqueId("field");
  const wrapper = el("div", { class: "field" },
    el("label", { for: input.id, text: labelText }),
    input,
    hint);
  return { wrapper, input };
}

export function debounce(fn, waitMs) {
  let timer = 0;
  const debounced = (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), waitMs);
  };
  debounced.cancel = () => clearTimeout(timer);
  return debounced;
}

/** Case-insensitive "does any of these strings contain the query". */
export function matches(query, ...texts) {
  const needle = query.trim().toLowerCase();
  return !needle || texts.some((text) => String(text ?? "").toLowerCase().includes(needle));
}

/** Group items into a Map keyed by keyOf(item), keeping first-seen order. */
export function groupBy(items, keyOf) {
  const groups = new Map();
  for (const item of items) {
    const key = keyOf(item);
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(item);
  }
  return groups;
}

/** A duration as the user's language writes its numbers: 850 ms, 1.25 s (1,25 s in French). */
export function formatMs(ms) {
  if (ms === null || ms === undefined) return "";
  return ms >= 1000
    ? `${formatNumber(ms / 1000, { minimumFractionDigits: 2, maximumFractionDigits: 2 })} s`
    : `${formatNumber(Math.round(ms))} ms`;
}

/** Briefly show a status text in `node` (e.g. "Saved"), then clear it. */
export function flash(node, text, className = "ok", ms = 1500) {
  node.textContent = text;
  node.className = `flash ${className}`;
  clearTimeout(node._flashTimer);
  node._flashTimer = setTimeout(() => { node.textContent = ""; node.className = "flash"; }, ms);
}

/** A letter avatar for a provider, its colour stable for the name. */
export function avatar(name, small = false) {
  let hash = 0;
  for (const char of name) hash = (hash * 31 + char.charCodeAt(0)) % 997;
  return el("span", { class: `avatar avatar-${hash % 8}${small ? " avatar-sm" : ""}`, "aria-hidden": "true", text: name.slice(0, 1) });
}
