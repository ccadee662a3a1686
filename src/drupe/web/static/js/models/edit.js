// The Add model / Edit model dialog: ID, name, group, capabilities, context window, max output
// and prices. A refused value is shown under its field, in the server's words.

import * as api from "../api.js";
import { el, field } from "../dom.js";
import { openDialog } from "../dialogs.js";
import { CAPABILITY_LABELS, icon } from "../icons.js";
import { modelPath } from "./parts.js";
import { t, formatNumber } from "../i18n.js";

const CAPABILITIES = Object.keys(CAPABILITY_LABELS);

/** The number fields: the API's name, the label, and whether it is a whole number of tokens. */
const NUMBERS = [
  { key: "context_window", label: () => t("Context window (tokens)"), whole: true, placeholder: () => t("e.g. {example}", { example: formatNumber(128000) }) },
  { key: "max_output", label: () => t("Max output (tokens)"), whole: true, placeholder: () => t("e.g. {example}", { example: formatNumber(16384) }) },
  { key: "price_in", label: () => t("Input price (USD per million tokens)"), whole: false, placeholder: () => t("e.g. {example}", { example: "2.5" }) },
  { key: "price_out", label: () => t("Output price (USD per million tokens)"), whole: false, placeholder: () => t("e.g. {example}", { example: "10" }) },
];

const NUMBER_TEXT = /^-?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i;

/**
 * What a number box sends: empty is null (unknown); a number is sent as one; anything else is
 * sent as typed, so the server refuses it with what it expects (the browser's own number input
 * would send "" for "abc", and that would silently clear the value).
 */
function readNumber(text, whole) {
  const trimmed = whole ? text.replace(/[\s,_]/g, "") : text.trim();
  if (!trimmed) return null;
  return NUMBER_TEXT.test(trimmed) ? Number(trimmed) : trimmed;
}

function capabilityToggles(selected) {
  const chosen = new Set(selected);
  const chips = CAPABILITIES.map((cap) => {
    const chip = el("button", { type: "button", class: "chip", "aria-pressed": String(chosen.has(cap)) },
      icon(cap, "icon icon-xs"), CAPABILITY_LABELS[cap]);
    chip.addEventListener("click", () => {
      if (chosen.has(cap)) chosen.delete(cap); else chosen.add(cap);
      chip.setAttribute("aria-pressed", String(chosen.has(cap)));
    });
    return chip;
  });
  const group = el("div", { class: "chips", role: "group", "aria-label": t("Capabilities") }, chips);
  return { element: el("div", { class: "field" }, el("span", { class: "field-label", text: t("Capabilities") }), group), chosen };
}

/**
 * Put a refusal under the field it names: a 422 says `context_window: …`, a core error names its
 * `field`. Returns whether one was found (else the dialog's own error line shows it).
 */
function showUnderField(error, fields) {
  const name = error.field || /^([a-z_]+):/.exec(error.message ?? "")?.[1];
  const target = fields.get(name);
  if (!target) return false;
  target.error.textContent = error.message.replace(/^[a-z_]+: /, `${target.label}: `);
  target.input.setAttribute("aria-invalid", "true");
  target.input.focus();
  return true;
}

/** "Add model" (model null) or "Edit model"; resolves the saved model or null. */
export function editModelDialog(provider, model) {
  const fields = new Map();
  const input = (key, label, props, value) => {
    const box = el("input", { type: "text", spellcheck: "false", ...props, value: value ?? "" });
    const error = el("p", { class: "form-error", role: "alert" });
    fields.set(key, { input: box, error, label });
    return field(label, box, error).wrapper;
  };
  const idField = input("model_id", t("Model ID"), { placeholder: t("e.g. {example}", { example: "gpt-4o-mini" }) }, model?.model_id);
  const nameField = input("name", t("Model name"), { placeholder: t("Same as the model ID") }, model?.name);
  const groupField = input("group", t("Group"), { placeholder: t("Inferred from the ID") }, model?.group);
  const numberFields = NUMBERS.map(({ key, label, whole, placeholder }) =>
    input(key, label(), { inputmode: whole ? "numeric" : "decimal", placeholder: placeholder() }, model?.[key] ?? ""));
  const caps = capabilityToggles(model?.capabilities ?? []);
  const capsHint = model ? null : el("p", { class: "hint", text: t("No capability picked: inferred from the model ID.") });
  const value = (key) => fields.get(key).input.value;

  const save = async () => {
    for (const { input: box, error } of fields.values()) {
      error.textContent = "";
      box.removeAttribute("aria-invalid");
    }
    const body = { name: value("name").trim(), group: value("group").trim() };
    for (const { key, whole } of NUMBERS) body[key] = readNumber(value(key), whole);
    if (caps.chosen.size) body.capabilities = [...caps.chosen];
    const modelId = value("model_id").trim();
    try {
      if (!model) return await api.post(`/providers/${provider.id}/models`, { ...body, model_id: modelId });
      if (modelId !== model.model_id) body.model_id = modelId;
      return await api.patch(modelPath(provider, model.model_id), body);
    } catch (error) {
      if (showUnderField(error, fields)) throw new Error(t("Not saved: fix the field marked above."));
      throw error;
    }
  };

  return openDialog({
    title: model ? t("Edit model") : t("Add model"),
    content: [
      idField, nameField, groupField, caps.element, capsHint,
      el("div", { class: "field-grid" }, numberFields),
      el("p", { class: "hint", text: t("Empty: not known. Prices show the cost of each answer.") }),
    ],
    actions: [{ label: model ? t("Save") : t("Add"), kind: "primary", run: save }],
  });
}
