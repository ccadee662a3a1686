// The built-in local model's status (the `Local` provider), polled while it starts.

import * as api from "./api.js";
import { el } from "./dom.js";

const LABELS = { starting: "starting…", ready: "ready", stopped: "stopped", error: "error" };

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
      text.textContent = "Local model: off (drupe serve --no-local, or llama.cpp not installed)";
      return;
    }
    line.hidden = false;
    dot.className = `dot ${{ ready: "ok", starting: "busy", error: "fail" }[local.status] ?? ""}`;
    const name = `${local.provider ?? "Local"}${local.model ? ` · ${local.model}` : ""}`;
    const detail = local.status === "starting" ? local.step : local.status === "error" ? local.last_error : null;
    text.textContent = `${name}: ${LABELS[local.status] ?? local.status}${detail ? ` — ${detail}` : ""}`;
    line.title = local.last_error ?? "";
    if (local.status === "starting") setTimeout(refresh, 2000);
  };
  refresh();
  return line;
}
