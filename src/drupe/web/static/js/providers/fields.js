// The provider panel's plain fields: the API address with its resolved URL and the type's own
// fields (API version), extra headers and extra body fields.

import * as api from "../api.js";
import { debounce, el, field } from "../dom.js";
import { icon } from "../icons.js";
import { t } from "../i18n.js";

/** What the form shows for provider `type`: its entry in /api/meta, where each type declares it. */
export function typeForm(meta, type) {
  const entry = meta.types.find((item) => item.id === type) ?? {};
  return {
    label: entry.label ?? type,
    addressPlaceholder: entry.address_placeholder ?? "",
    addressHelp: entry.address_help ?? "",
    fields: entry.fields ?? [],
    apiVersionPlaceholder: entry.api_version_placeholder ?? "",
  };
}

/** API address (its resolved URL previewed as it is typed) and the type's own fields. */
export function addressSection(provider, form, saver) {
  const address = el("input", { type: "url", value: provider.base_url, placeholder: form.addressPlaceholder, spellcheck: "false" });
  const resolved = el("p", { class: "hint resolved-url", "aria-live": "polite" });
  const version = el("input", { type: "text", value: provider.api_version, placeholder: form.apiVersionPlaceholder });
  const hasVersion = form.fields.includes("api_version");

  const preview = debounce(async () => {
    try {
      const urls = await api.get(`/resolve-url${api.query({
        type: provider.type, base_url: address.value, api_version: version.value, model: provider.models?.[0]?.model_id,
      })}`);
      resolved.classList.remove("form-error");
      resolved.textContent = t("Chat requests go to {url}", { url: urls.chat_url });
    } catch (failure) {
      resolved.classList.add("form-error");
      resolved.textContent = failure.message;
    }
  }, 250);
  address.addEventListener("input", preview);
  version.addEventListener("input", preview);
  preview();

  const addressError = saver.savingInput("base_url", address, (v) => v.trim());
  const parts = [field(t("API address"), address, [resolved, addressError, el("p", { class: "hint", text: form.addressHelp })]).wrapper];
  if (hasVersion) parts.push(field(t("API version"), version, saver.savingInput("api_version", version, (v) => v.trim())).wrapper);
  return el("div", { class: "section" }, parts);
}

export function headersSection(provider, saver) {
  return pairsSection({
    title: t("Extra headers"), add: t("Add header"), namePlaceholder: t("Header"), valuePlaceholder: t("Value"),
    nameLabel: (n) => t("Header {n} name", { n }), valueLabel: (n) => t("Header {n} value", { n }),
    removeLabel: (n) => t("Remove header {n}", { n }),
    pairs: provider.headers ?? {}, show: (value) => value, read: (text) => text,
    save: (headers) => saver.update({ headers }),
  });
}

export function bodySection(provider, saver) {
  return pairsSection({
    title: t("Extra body fields"), add: t("Add body field"), namePlaceholder: t("Field, e.g. top_k"),
    valuePlaceholder: t("Value (JSON or text)"), nameLabel: (n) => t("Body field {n} name", { n }),
    valueLabel: (n) => t("Body field {n} value", { n }), removeLabel: (n) => t("Remove body field {n}", { n }),
    pairs: provider.options?.extra_body ?? {},
    // Text that would read back as JSON (the string "20") is shown quoted, so it stays text.
    show: (value) => (typeof value === "string" && readJson(value) === undefined ? value : JSON.stringify(value)),
    read: (text) => { const value = readJson(text); return value === undefined ? text : value; },
    save: (fields) => saver.update({ options: { ...provider.options, extra_body: fields } }),
    hint: t("Added to every chat request's body: values are read as JSON (20, false, {example}), else as text.", { example: '{"enable_thinking": false}' }),
  });
}

function readJson(text) {
  try { return JSON.parse(text); } catch { return undefined; }
}

// Rows of name/value inputs saved as one object whenever a row changes.
function pairsSection({ title, add: addLabel, namePlaceholder, valuePlaceholder, nameLabel, valueLabel, removeLabel, pairs, show, read, save, hint }) {
  const rows = el("div", { class: "header-rows" });
  const error = el("p", { class: "form-error", role: "alert" });
  const saveRows = async () => {
    error.textContent = "";
    const values = {};
    for (const row of rows.children) {
      const [name, value] = row.querySelectorAll("input");
      if (name.value.trim()) values[name.value.trim()] = read(value.value);
    }
    try {
      await save(values);
    } catch (failure) {
      error.textContent = failure.message;
    }
  };
  const addRow = (name = "", value = "") => {
    const number = rows.children.length + 1;
    const nameInput = el("input", { type: "text", value: name, placeholder: namePlaceholder, "aria-label": nameLabel(number) });
    const valueInput = el("input", { type: "text", value, placeholder: valuePlaceholder, "aria-label": valueLabel(number) });
    const remove = el("button", { type: "button", class: "icon-btn danger", "aria-label": removeLabel(number) }, icon("trash"));
    const row = el("div", { class: "header-row" }, nameInput, valueInput, remove);
    nameInput.addEventListener("change", saveRows);
    valueInput.addEventListener("change", saveRows);
    remove.addEventListener("click", () => { row.remove(); saveRows(); });
    rows.append(row);
    return nameInput;
  };
  for (const [name, value] of Object.entries(pairs)) addRow(name, show(value));
  const add = el("button", { type: "button", class: "btn btn-sm" }, icon("plus"), addLabel);
  add.addEventListener("click", () => addRow().focus());
  return el("div", { class: "section" },
    el("div", { class: "section-head" }, el("h3", { text: title }), add),
    rows, hint ? el("p", { class: "hint", text: hint }) : null, error);
}
