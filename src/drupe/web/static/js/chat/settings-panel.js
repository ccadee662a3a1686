// The Chat page's conversation settings: system prompt, reasoning, temperature, top P, max tokens,
// context count, the cap on rounds of tool calls in one answer, and custom parameters.

import * as api from "../api.js";
import { el, field, replaceChildren } from "../dom.js";
import { t } from "../i18n.js";
import { paramsEditor } from "./params-editor.js";
import { currentSettings, reasoningSelect, showReasoning } from "./reasoning.js";

/** The number fields, named when drawn (in the language loaded by then). */
const numbers = () => [
  { key: "temperature", label: t("Temperature"), min: "0", max: "2", step: "0.1" },
  { key: "top_p", label: t("Top P"), min: "0", max: "1", step: "0.05" },
  { key: "max_tokens", label: t("Max tokens"), min: "1", step: "1" },
  { key: "context_count", label: t("Context count"), min: "0", step: "1" },
  { key: "max_tool_steps", label: t("Tool rounds per answer"), min: "1", max: "100", step: "1", placeholder: "10" },
];

export function createSettingsPanel() {
  return { element: el("aside", { class: "conv-settings", "aria-label": t("Conversation settings"), hidden: true }) };
}

/** The fields, filled from the open conversation's settings (or the draft of a new one). */
export function renderSettingsPanel(page) {
  const values = currentSettings(page);
  const prompt = el("textarea", { rows: "5", placeholder: t("You are a helpful assistant.") });
  prompt.value = values.system_prompt ?? "";
  const parts = [el("h2", { text: t("Conversation settings") }),
    field(t("System prompt"), prompt, savingField(page, prompt, "system_prompt", (v) => v.trim() || null)).wrapper];
  const reasoning = reasoningSelect();
  page.ui.settings.reasoning = reasoning;
  parts.push(field(t("Reasoning"), reasoning, savingField(page, reasoning, "reasoning", (v) => v || null, () => showReasoning(page))).wrapper);
  for (const setting of numbers()) {
    const number = el("input", { type: "number", min: setting.min, max: setting.max, step: setting.step, placeholder: setting.placeholder ?? t("Default") });
    number.value = values[setting.key] ?? "";
    parts.push(field(setting.label, number, savingField(page, number, setting.key, (v) => (v === "" ? null : Number(v)))).wrapper);
  }
  parts.push(el("p", { class: "hint", text: t("Empty fields use the provider's default. Context count: how many earlier messages are sent. Tool rounds: how many rounds of tool calls one answer may make before it stops (empty: 10). Reasoning applies to models that reason; Default leaves the provider's own.") }));
  parts.push(paramsEditor(values.params ?? [], (params) => saveSetting(page, "params", params)));
  replaceChildren(page.ui.settings.element, parts);
  showReasoning(page);
}

/** Save `key` when `control` changes, then call `saved`; a refusal shows under the field. Returns that error line. */
function savingField(page, control, key, parse, saved = () => {}) {
  const error = el("p", { class: "form-error", role: "alert" });
  control.addEventListener("change", async () => {
    error.textContent = "";
    try {
      await saveSetting(page, key, parse(control.value));
      saved();
    } catch (failure) {
      error.textContent = failure.message;
    }
  });
  return error;
}

/** Store one setting on the open conversation, or in the draft of a new one. */
export async function saveSetting(page, key, value) {
  const { conversation } = page.state;
  if (!conversation) {
    page.state.draftSettings[key] = value;  // the field shows it already: nothing to redraw
    return;
  }
  const updated = await api.patch(`/conversations/${conversation.id}`, { settings: { [key]: value } });
  if (page.state.conversation?.id === updated.id) page.set({ conversation: updated });
}
