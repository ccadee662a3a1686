// The conversation's reasoning level (off / low / medium / high, or the provider's default): one
// select in the settings panel and one in the composer, kept showing the same value.

import { el } from "../dom.js";
import { t } from "../i18n.js";

/** The levels, named when drawn (in the language loaded by then). */
const levels = () => [["", t("Default")], ["off", t("Off")], ["low", t("Low")], ["medium", t("Medium")], ["high", t("High")]];

/** The open conversation's settings, or the draft of a new one. */
export function currentSettings(page) {
  return page.state.conversation?.settings ?? page.state.draftSettings;
}

/** A select of the levels; "" is the provider's default. */
export function reasoningSelect(props = {}) {
  return el("select", props, levels().map(([value, label]) => el("option", { value, text: label })));
}

/** Show the stored level in every reasoning select on the page. */
export function showReasoning(page) {
  const value = currentSettings(page).reasoning ?? "";
  for (const select of [page.ui.composer?.reasoning, page.ui.settings?.reasoning]) {
    if (select) select.value = value;
  }
}
