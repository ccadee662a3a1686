// The models section's "Check all": every chat model × every key (POST /providers/{id}/health),
// shown as a grid, then "Remove failing keys" for the keys the provider refused. The server checks
// keys with the model list when that authenticates (nothing paid for); "Model checks" asks for a
// chat per model and key. Every text from the server is set as textContent.

import * as api from "../api.js";
import { el, formatMs, replaceChildren } from "../dom.js";
import { confirmDialog } from "../dialogs.js";
import { t, tn } from "../i18n.js";

const METHOD_TEXT = {
  models: () => t("Keys checked with the model list: no answer paid for. Tick Model checks to send a chat per model."),
  chat: () => t("Each model checked with each key by a tiny chat request."),
};

/**
 * The Check all controls and the place for their grid. `whenSaved()` waits for the panel's saves;
 * `removeKeys(masks)` saves the key list without those keys and redraws.
 */
export function healthControls(provider, whenSaved, removeKeys) {
  const button = el("button", { type: "button", class: "btn btn-sm", text: t("Check all") });
  const modelChecks = el("input", { type: "checkbox" });
  const toggle = el("label", { class: "health-toggle", title: t("Send a chat per model and key, even where the model list would do") },
    modelChecks, " ", t("Model checks"));
  const result = el("div", { class: "health-result", role: "status", "aria-live": "polite" });
  button.addEventListener("click", async () => {
    button.disabled = true;
    replaceChildren(result, el("span", { class: "hint", text: t("Checking every model with every key…") }));
    try {
      await whenSaved();
      const health = await api.post(`/providers/${provider.id}/health`, { model_checks: modelChecks.checked });
      replaceChildren(result, ...healthView(health, removeKeys));
    } catch (failure) {
      replaceChildren(result, el("p", { class: "form-error", text: failure.message }));
    } finally {
      button.disabled = false;
    }
  });
  return { controls: [toggle, button], result };
}

function healthView(health, removeKeys) {
  const keys = health.keys.map((key) => key ?? t("(no key)"));
  const head = el("tr", {}, el("th", { scope: "col", text: t("Model") }), keys.map((key) => el("th", { scope: "col", text: key })));
  const rows = health.models.map((model) => el("tr", {},
    el("th", { scope: "row", text: model }),
    keys.map((_, index) => cellView(health.cells.find((c) => c.model === model && c.key_index === index)))));
  const parts = [
    el("table", { class: "health-grid" }, el("thead", {}, head), el("tbody", {}, rows)),
    el("p", { class: "hint health-method", text: METHOD_TEXT[health.method]?.() ?? "" }),
  ];
  const refused = health.refused_keys.map((index) => health.keys[index]).filter(Boolean);
  if (refused.length) {
    const remove = el("button", { type: "button", class: "btn btn-danger btn-sm", text: t("Remove failing keys") });
    remove.addEventListener("click", async () => {
      const ok = await confirmDialog(t("Remove failing keys"), tn("Remove the key the provider refused: {keys}?",
        "Remove the keys the provider refused: {keys}?", refused.length, { keys: refused.join(", ") }), t("Remove"));
      if (ok) await removeKeys(refused);
    });
    parts.push(el("div", { class: "health-actions" }, el("span", { text: tn("{n} key refused.", "{n} keys refused.", refused.length) }), remove));
  }
  return parts;
}

function cellView(cell) {
  if (!cell) return el("td", { text: "" });
  if (cell.ok) {
    const latency = formatMs(cell.latency_ms);
    const shown = cell.listed === false ? t("{latency} (not listed)", { latency }) : latency;
    return el("td", { class: "ok", text: `✓ ${shown}` });
  }
  return el("td", { class: "fail", title: `${cell.error.message}\n${cell.error.hint}`, text: `✗ ${cell.error.kind}` });
}
