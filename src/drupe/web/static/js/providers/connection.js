// The provider panel's connection settings (proxy, timeout, usage in streams) and its notes:
// what `drupe provider edit --proxy/--timeout/--[no-]stream-usage/--notes` sets.

import { el, field, uniqueId } from "../dom.js";
import { t } from "../i18n.js";

/**
 * Proxy, timeout and, for the types whose `/api/meta` entry lists `stream_usage`, its switch;
 * each saves on its own and shows its own refusal.
 */
export function connectionSection(provider, form, saver) {
  // The proxy comes masked (user:***@host); sent back so, the stored password stays (Registry.edit_provider).
  const proxy = el("input", {
    type: "text", value: provider.proxy ?? "", placeholder: t("http://host:3128 or socks5://host:1080"), spellcheck: "false",
  });
  const proxyError = saver.savingInput("proxy", proxy, (v) => v.trim());
  const timeout = el("input", { type: "number", min: "1", step: "1", value: String(provider.timeout) });
  // An empty box is sent as 0, so the server's "greater than 0" says what is wrong.
  const timeoutError = saver.savingInput("timeout", timeout, (v) => Number(v));
  return el("div", { class: "section" },
    el("div", { class: "section-head" }, el("h3", { text: t("Connection") })),
    field(t("Proxy"), proxy, [proxyError, el("p", { class: "hint", text: t("For this provider only: http, https, socks5 or socks5h. Empty: none (the system's proxy settings apply).") })]).wrapper,
    field(t("Timeout (seconds)"), timeout, [timeoutError, el("p", { class: "hint", text: t("The longest wait for the provider to send anything.") })]).wrapper,
    form.fields.includes("stream_usage") ? streamUsageSwitch(provider, saver) : null);
}

/** `options.stream_usage` (on unless set off): servers that refuse `stream_options` need it off. */
function streamUsageSwitch(provider, saver) {
  const labelId = uniqueId("label");
  const on = () => provider.options?.stream_usage !== false;
  const button = el("button", { type: "button", class: "switch", role: "switch", "aria-checked": String(on()), "aria-labelledby": labelId });
  const error = el("p", { class: "form-error", role: "alert" });
  button.addEventListener("click", async () => {
    const wanted = !on();
    error.textContent = "";
    button.setAttribute("aria-checked", String(wanted));
    try {
      await saver.update({ options: { ...provider.options, stream_usage: wanted } });
    } catch (failure) {
      button.setAttribute("aria-checked", String(on()));
      error.textContent = failure.message;
    }
  });
  return el("div", { class: "field" },
    el("div", { class: "switch-row" }, button, el("span", { class: "field-label", id: labelId, text: t("Ask for token usage in streams") })),
    el("p", { class: "hint", text: t("Sends stream_options.include_usage, so answers show their token counts; switch it off for a server that refuses it.") }),
    error);
}

/** Free text about the provider (an account, a limit); shown as typed, never as markup. */
export function notesSection(provider, saver) {
  const notes = el("textarea", { rows: "3", placeholder: t("Anything to remember about this provider") });
  notes.value = provider.notes ?? "";
  const error = saver.savingInput("notes", notes, (v) => v);
  return el("div", { class: "section" }, field(t("Notes"), notes, error).wrapper);
}
