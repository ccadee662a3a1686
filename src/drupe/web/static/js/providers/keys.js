// The provider panel's keys: the API key field (several keys separated by commas), Show key,
// Check (all keys), and one Test button per key when there are two or more.

import * as api from "../api.js";
import { el, formatMs, replaceChildren, uniqueId } from "../dom.js";
import { chooseDialog } from "../dialogs.js";
import { icon } from "../icons.js";
import { t, tn } from "../i18n.js";

/** The key section of `provider`'s panel; `saver` is the panel's (panel.js `createSaver`). */
export function keySection(provider, saver) {
  const input = el("input", {
    type: "password", autocomplete: "off", spellcheck: "false",
    value: provider.api_keys.join(", "), placeholder: t("API key; several keys separated by commas"),
  });
  input.id = uniqueId("api-key");
  const reveal = el("button", { type: "button", class: "icon-btn", "aria-label": t("Show key"), "aria-pressed": "false" }, icon("eye"));
  const checkButton = el("button", { type: "button", class: "btn", text: t("Check") });
  const result = el("div", { class: "check-result", role: "status", "aria-live": "polite" });
  const keyList = el("ul", { class: "key-list", "aria-label": t("Keys") });
  const error = el("p", { class: "form-error", role: "alert" });
  if (provider.secrets_unreadable) {
    error.textContent = t("The stored keys and secret headers cannot be decrypted with this secret key. Restore the original DRUPE_HOME/secret.key, or type new keys here.");
  }
  const check = (keyIndex, target, button) => runCheck(provider, saver, { keyIndex, target, button, keyList });

  reveal.addEventListener("click", () => {
    const showing = input.type === "text";
    input.type = showing ? "password" : "text";
    reveal.setAttribute("aria-pressed", String(!showing));
    reveal.setAttribute("aria-label", showing ? t("Show key") : t("Hide key"));
    reveal.replaceChildren(icon(showing ? "eye" : "eyeOff"));
  });
  input.addEventListener("change", async () => {
    error.textContent = "";
    try {
      await saver.update({ api_keys: input.value });
      input.value = provider.api_keys.join(", ");
      renderKeyList(provider, keyList, check);
    } catch (failure) {
      error.textContent = failure.message;
    }
  });
  checkButton.addEventListener("click", () => check(undefined, result, checkButton));
  renderKeyList(provider, keyList, check);
  return el("div", { class: "section" },
    el("div", { class: "field" },
      el("label", { for: input.id, text: t("API key") }),
      el("div", { class: "field-row" }, input, reveal, checkButton),
      error, result, keyList));
}

/** One row per key, with its Test button and status; shown for two keys or more. */
function renderKeyList(provider, keyList, check) {
  keyList.hidden = provider.api_keys.length < 2;
  replaceChildren(keyList, provider.api_keys.map((key, index) => {
    const status = el("span", { class: "key-status" });
    const test = el("button", { type: "button", class: "btn btn-sm", "aria-label": t("Test key {n}", { n: index + 1 }), text: t("Test") });
    test.addEventListener("click", () => check(index, status, test));
    return el("li", {}, el("code", { text: key }), status, test);
  }));
}

/** Check one key (`keyIndex`) or all; show ✓ and latency, or the error kind, message and hint. */
async function runCheck(provider, saver, { keyIndex, target, button, keyList }) {
  button.disabled = true;
  target.classList.remove("ok", "fail");
  target.replaceChildren(el("span", { class: "hint", text: t("Checking…") }));
  try {
    await saver.whenSaved();
    const model = await pickCheckModel(provider);
    if (!model) { target.replaceChildren(); return; }
    const body = keyIndex === undefined ? { model } : { model, key_index: keyIndex };
    const outcome = await api.post(`/providers/${provider.id}/check`, body);
    showCheck(target, outcome.results, keyIndex === undefined);
    if (keyIndex === undefined && outcome.results.length > 1) showKeyResults(keyList, outcome.results);
  } catch (failure) {
    showFailure(target, failure);
  } finally {
    button.disabled = false;
  }
}

/** The model to test with: the one there is, or the user's choice among several. */
async function pickCheckModel(provider) {
  let ids = (provider.models ?? []).map((m) => m.model_id);
  if (!ids.length) ids = (await api.get(`/providers/${provider.id}/remote-models`)).models.map((m) => m.model_id);
  if (!ids.length) throw new Error(t("This provider lists no models. Add a model ID with + Add, then check again."));
  if (ids.length === 1) return ids[0];
  return chooseDialog(t("Choose a model to check"), t("Model"), ids.map((id) => ({ value: id, label: id })), t("Use this model"));
}

function showCheck(target, results, summary) {
  const failed = results.filter((r) => !r.ok);
  const several = summary && results.length > 1;
  if (failed.length) {
    showFailure(target, failed[0].error, several ? failed[0].index + 1 : null);
    return;
  }
  const fastest = Math.min(...results.map((r) => r.latency_ms ?? Infinity));
  target.classList.add("ok");
  const verdict = several ? tn("the {n} key works", "all {n} keys work", results.length) : t("Connected");
  target.replaceChildren(el("strong", { text: `✓ ${verdict}` }),
    el("span", { text: formatMs(fastest) }));
}

function showKeyResults(keyList, results) {
  for (const result of results) {
    const status = keyList.children[result.index]?.querySelector(".key-status");
    if (!status) continue;
    status.className = `key-status ${result.ok ? "ok" : "fail"}`;
    status.textContent = result.ok ? `✓ ${formatMs(result.latency_ms)}` : `✗ ${result.error.kind}`;
    status.title = result.ok ? "" : result.error.message;
  }
}

/** The failure's kind, message and hint; `keyNumber` names the key when several were checked. */
function showFailure(target, failure, keyNumber = null) {
  const kind = failure.kind ?? t("error");
  const what = keyNumber === null ? kind : t("Key {n}: {kind}", { n: keyNumber, kind });
  target.classList.add("fail");
  replaceChildren(target,
    el("strong", { text: `✗ ${what}` }),
    el("span", { text: failure.message }),
    failure.hint ? el("span", { class: "hint", text: failure.hint }) : null);
}
