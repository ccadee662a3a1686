// Settings → Gateway, the usage: gateway requests summed up per key, model or provider since a
// chosen time, busiest first. A late answer (the choice changed meanwhile) is dropped.

import * as api from "../api.js";
import { el, field, formatMs, replaceChildren } from "../dom.js";
import { icon } from "../icons.js";
import { t, formatNumber } from "../i18n.js";

const SINCE = () => [["30m", t("Last 30 minutes")], ["24h", t("Last 24 hours")], ["7d", t("Last 7 days")], ["30d", t("Last 30 days")]];
const BY = () => [["key", t("Key")], ["model", t("Model")], ["provider", t("Provider")]];
/** "No requests" for each choice of Since: whole sentences, each translated as one. */
const NONE_SINCE = () => ({
  "30m": t("No gateway requests in the last 30 minutes."),
  "24h": t("No gateway requests in the last 24 hours."),
  "7d": t("No gateway requests in the last 7 days."),
  "30d": t("No gateway requests in the last 30 days."),
});
let loads = 0;

const choice = (options, value) => el("select", {}, options.map(([v, label]) => el("option", { value: v, text: label, selected: v === value })));

export function usageSection(page) {
  const { since, by } = page.state.usage;
  const sinceSelect = choice(SINCE(), since);
  const bySelect = choice(BY(), by);
  const refresh = el("button", { type: "button", class: "btn btn-sm" }, icon("refresh"), t("Refresh"));
  const reload = page.handle(() => loadUsage(page, sinceSelect.value, bySelect.value));
  sinceSelect.addEventListener("change", reload);
  bySelect.addEventListener("change", reload);
  // The keys' "last used" and "requests" count the same requests: refreshed together.
  refresh.addEventListener("click", page.handle(() => Promise.all([
    loadUsage(page, sinceSelect.value, bySelect.value), page.loadKeys()])));
  page.ui.usage = el("div", { class: "table-wrap" });
  return el("section", { class: "section", "aria-label": t("Usage") },
    el("div", { class: "section-head" }, el("h3", { text: t("Usage") }), refresh),
    el("div", { class: "usage-choices" }, field(t("Since"), sinceSelect).wrapper, field(t("Group by"), bySelect).wrapper),
    page.ui.usage);
}

export async function loadUsage(page, since = page.state.usage.since, by = page.state.usage.by) {
  const load = ++loads;
  const usage = await api.get(`/gateway/usage${api.query({ since, by })}`);
  if (load === loads) page.set({ usage });
}

const number = (value) => formatNumber(value ?? 0);
const cost = (value) => (value === null || value === undefined ? "–" : formatNumber(value, {
  style: "currency", currency: "USD", minimumFractionDigits: value < 0.01 ? 4 : 2, maximumFractionDigits: value < 0.01 ? 4 : 2,
}));

export function renderUsage(page) {
  const { rows, since, by } = page.state.usage;
  if (!rows.length) {
    replaceChildren(page.ui.usage, el("p", { class: "hint", text: NONE_SINCE()[since] ?? t("No gateway requests.") }));
    return;
  }
  const group = Object.fromEntries(BY())[by] ?? by;
  const head = [group, t("Requests"), t("Errors"), t("Input tokens"), t("Output tokens"), t("Cost"), t("TTFT p50"), t("Duration p50")];
  replaceChildren(page.ui.usage, el("table", { class: "data-table", "aria-label": t("Usage") },
    el("thead", {}, el("tr", {}, head.map((text) => el("th", { scope: "col", text })))),
    el("tbody", {}, rows.map((row) => el("tr", {},
      el("th", { scope: "row", text: row.name ?? (by === "provider" ? t("none reached") : "–") }),
      el("td", { class: "number", text: number(row.requests) }),
      el("td", { class: "number", text: number(row.errors) }),
      el("td", { class: "number", text: number(row.input_tokens) }),
      el("td", { class: "number", text: number(row.output_tokens) }),
      el("td", { class: "number", text: cost(row.cost) }),
      el("td", { class: "number", text: formatMs(row.p50_ttft_ms) || "–" }),
      el("td", { class: "number", text: formatMs(row.p50_duration_ms) || "–" }))))));
}
