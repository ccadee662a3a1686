// The built-in local model's status (the `Local` provider), polled while it starts.

import * as api from "./api.js";
import { el } from "./dom.js";
import { t } from "./i18n.js";

const LABELS = { starting: () => t("starting…"), ready: () => t("ready"), stopped: () => t("stopped"), error: () => t("error") };

/** A small status line; when the local model is disabled it is hidden, or says so with `showOff`. */
export function localStatusLine({ showOff = false } = {}) {
  const dot = el("span", { class: "dot" });
  const text = el("span");
  const line = el("span", { class: "local-status", role: "status", hidden: true }, dot, text);
  let polls = 0;
  const refresh = async () => {
    polls += 1;
    if (polls > 1 && !line.isConnected) return; // the page was left: stop polling
    let local;
    try {
      local = await api.get("/local");
    } catch {
      return;
    }
    if (local.status === "disabled") {
      line.hidden = !showOff;
      text.textContent = t("Local model: off (drupe serve --no-local, or llama.cpp not installed)");
      return;
    }
    line.hidden = false;
    dot.className = `dot ${{ ready: "ok", starting: "busy", error: "fail" }[local.status] ?? ""}`;
    const provider = local.provider ?? t("Local");
    const name = local.model ? `${provider} · ${local.model}` : provider;
    const detail = local.status === "starting" ? local.step : local.status === "error" ? local.last_error : null;
    const state = LABELS[local.status]?.() ?? local.status;
    text.textContent = detail ? t("{name}: {state} — {detail}", { name, state, detail }) : t("{name}: {state}", { name, state });
    line.title = local.last_error ?? "";
    if (local.status === "starting") setTimeout(refresh, 2000);
  };
  refresh();
  return line;
}
