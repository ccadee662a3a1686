// Settings → Gateway, the keys: a table (never a key itself: its prefix), + Create key with the
// key shown once afterwards, and Revoke.

import * as api from "../api.js";
import { el, field, replaceChildren } from "../dom.js";
import { confirmDialog, openDialog } from "../dialogs.js";
import { copyButton } from "../copy.js";
import { t, formatDate, formatNumber } from "../i18n.js";

const STATE_LABELS = { active: () => t("Active"), revoked: () => t("Revoked"), expired: () => t("Expired") };

/** A stored UTC time as the user's language writes it, in UTC: to the minute, or the day alone. */
export function utcTime(iso, missing = t("never"), day = false) {
  if (!iso) return missing;
  const date = new Date(/(Z|[+-]\d\d:?\d\d)$/.test(iso) ? iso : `${iso}Z`);
  return formatDate(date, day ? { dateStyle: "medium", timeZone: "UTC" } : { dateStyle: "medium", timeStyle: "short", timeZone: "UTC" });
}

export function keysSection(page) {
  const create = el("button", { type: "button", class: "btn btn-sm", text: t("+ Create key") });
  create.addEventListener("click", page.handle(() => createKey(page)));
  page.ui.keys = el("div", { class: "table-wrap" });
  return el("section", { class: "section", "aria-label": t("Keys") },
    el("div", { class: "section-head" }, el("h3", { text: t("Keys") }), create),
    page.ui.keys);
}

export function renderKeys(page) {
  const { keys } = page.state;
  if (!keys.length) {
    replaceChildren(page.ui.keys, el("p", { class: "hint",
      text: t("No gateway keys yet: create one for each program that will call drupe, so each can be revoked alone.") }));
    return;
  }
  const head = [t("Name"), t("Prefix"), t("Models"), t("Expires"), t("RPM"), t("Last used (UTC)"), t("Requests"), t("State"), ""];
  replaceChildren(page.ui.keys, el("table", { class: "data-table", "aria-label": t("Gateway keys") },
    el("thead", {}, el("tr", {}, head.map((text) => el("th", { scope: "col", text })))),
    el("tbody", {}, keys.map((key) => keyRow(page, key)))));
}

function keyRow(page, key) {
  let action = null;
  if (key.state === "active") {
    action = el("button", { type: "button", class: "btn btn-sm btn-danger", "aria-label": t("Revoke {name}", { name: key.name }), text: t("Revoke") });
    action.addEventListener("click", page.handle(() => revokeKey(page, key)));
  }
  return el("tr", { class: key.state === "active" ? "" : "inactive", dataset: { name: key.name } },
    el("th", { scope: "row", text: key.name }),
    el("td", {}, el("code", { text: `${key.prefix}…` })),
    el("td", { text: key.models.length ? key.models.join(", ") : t("all") }),
    el("td", { text: utcTime(key.expires_at, t("never"), true) }),
    el("td", { text: key.rpm === null || key.rpm === undefined ? "–" : formatNumber(key.rpm) }),
    el("td", { text: utcTime(key.last_used_at) }),
    el("td", { class: "number", text: formatNumber(key.requests) }),
    el("td", {}, el("span", { class: `badge${key.state === "active" ? " badge-ok" : ""}`, text: STATE_LABELS[key.state]?.() ?? key.state })),
    el("td", { class: "actions" }, action));
}

async function createKey(page) {
  const name = el("input", { type: "text", maxlength: "32", spellcheck: "false", placeholder: t("e.g. {example}", { example: "editor" }) });
  const models = el("textarea", { rows: "3", spellcheck: "false", placeholder: "work/*\nfast" });
  const expires = el("input", { type: "number", min: "0", step: "any", placeholder: t("never") });
  const rpm = el("input", { type: "number", min: "1", step: "1", placeholder: t("no limit") });
  const created = await openDialog({
    title: t("Create gateway key"),
    content: [
      field(t("Name"), name, el("p", { class: "hint", text: t("Letters, digits, '.', '-' and '_'; usage is counted under it.") })).wrapper,
      field(t("Models"), models, el("p", { class: "hint",
        text: t("One per line: PROVIDER/MODEL, a route name, or a pattern with * and ? like work/* or */gpt-4o*. Empty: every model.") })).wrapper,
      field(t("Expires after (days)"), expires, el("p", { class: "hint", text: t("Empty: never.") })).wrapper,
      field(t("Requests per minute"), rpm, el("p", { class: "hint", text: t("Empty: no limit. One more gets 429 with Retry-After.") })).wrapper,
    ],
    actions: [{
      label: t("Create"), kind: "primary",
      run: () => api.post("/gateway/keys", {
        name: name.value.trim(),
        models: models.value.split("\n").map((line) => line.trim()).filter(Boolean),
        expires_days: expires.value.trim() ? Number(expires.value) : null,
        rpm: rpm.value.trim() ? Number(rpm.value) : null,
      }),
    }],
  });
  if (!created) return;
  page.set({ created: { name: created.key.name, secret: created.secret } });
  await page.loadKeys();
  await showSecret(created);
}

/** The new key, this once, with Copy: the server keeps only its hash and never returns it again. */
function showSecret(created) {
  return openDialog({
    title: t("Gateway key created"),
    cancellable: false,
    content: [
      el("p", { class: "warning", role: "note" },
        el("strong", { text: t("Copy it now: it will not be shown again.") }), " ",
        t("drupe keeps only its hash. Lost, it can only be revoked and replaced.")),
      el("div", { class: "copy-line" },
        el("code", { class: "secret", "aria-label": t("Gateway key {name}", { name: created.key.name }), text: created.secret }),
        copyButton(t("Copy key"), () => created.secret)),
      el("p", { class: "hint", text: t("The examples below use it until you leave this page.") }),
    ],
    actions: [{ label: t("Done"), kind: "primary", run: () => true }],
  });
}

async function revokeKey(page, key) {
  const ok = await confirmDialog(t("Revoke gateway key"),
    t("Revoke {name}? Programs using it are refused from now on. This cannot be undone; the key stays listed, with its usage.", { name: key.name }),
    t("Revoke"));
  if (!ok) return;
  await api.post(`/gateway/keys/${api.seg(key.name)}/revoke`);
  if (page.state.created?.name === key.name) page.set({ created: null });
  await page.loadKeys();
}
