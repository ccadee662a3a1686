// An MCP server's status line and tools, from POST /mcp-servers/NAME/check (which connects:
// an stdio server is started, then stopped). The tools' names and descriptions are the server's
// words, possibly hostile: they only ever go into the page as text.

import * as api from "../api.js";
import { el, formatMs, replaceChildren } from "../dom.js";
import { icon } from "../icons.js";
import { t, tn } from "../i18n.js";

/** The Status section: a status line, Check again, and the tools; checks at once.
 * `current()` is false once the panel was replaced: a late answer is then dropped. */
export function statusSection(server, current) {
  const line = el("p", { class: "mcp-status", role: "status", "aria-label": t("Status") });
  const tools = el("div", { class: "mcp-tools" });
  const again = el("button", { type: "button", class: "btn btn-sm" }, icon("refresh"), t("Check again"));
  const check = async () => {
    again.disabled = true;
    showLine(line, "busy", server.enabled ? t("Connecting…") : t("Checking…"));
    let status;
    try {
      status = await api.post(`/mcp-servers/${api.seg(server.name)}/check`);
    } catch (error) {
      status = { connected: false, tools: [], error: { kind: error.kind, message: error.message } };
    }
    again.disabled = false;
    if (!current()) return;
    showStatus(line, status);
    replaceChildren(tools, toolList(server, status));
  };
  again.addEventListener("click", check);
  check();
  return el("section", { class: "section", "aria-label": t("Status and tools") },
    el("div", { class: "section-head" }, el("h3", { text: t("Status") }), again),
    line, tools);
}

function showLine(line, state, ...parts) {
  replaceChildren(line, el("span", { class: `dot ${state}` }), parts);
}

function showStatus(line, status) {
  if (status.connected) {
    const count = tn("{n} tool", "{n} tools", status.tools.length);
    const said = `${status.server.name}${status.server.version ? ` ${status.server.version}` : ""}`;
    showLine(line, "ok", el("strong", { text: t("Connected") }), el("span", { text: ` — ${said} · ${count} · ${formatMs(status.latency_ms)}` }));
    line.className = "mcp-status ok";
    return;
  }
  const off = status.error.kind === "disabled";
  showLine(line, off ? "" : "fail", el("strong", { text: off ? t("Off") : `✗ ${status.error.kind}` }),
    el("span", { text: ` — ${status.error.message}` }));
  line.className = `mcp-status ${off ? "off" : "fail"}`;
}

function toolList(server, status) {
  if (!status.connected) return null;
  if (!status.tools.length) return el("p", { class: "empty", text: t("This server offers no tools.") });
  return el("ul", { class: "tool-list", "aria-label": t("Tools of {name}", { name: server.name }) }, status.tools.map(toolItem));
}

function toolItem(tool) {
  return el("li", { class: "tool", "aria-label": tool.name },
    el("code", { class: "tool-name", text: tool.name }),
    tool.description ? el("p", { class: "tool-description", text: tool.description }) : null,
    parameterTable(tool.parameters));
}

function parameterTable(parameters) {
  if (!parameters.length) return el("p", { class: "hint", text: t("No parameters.") });
  return el("table", { class: "params" },
    el("thead", {}, el("tr", {}, [t("Parameter"), t("Type"), t("Required"), t("Description")].map((text) => el("th", { scope: "col", text })))),
    el("tbody", {}, parameters.map((p) => el("tr", {},
      el("td", {}, el("code", { text: p.name })),
      el("td", { text: p.type }),
      el("td", { text: p.required ? t("required") : t("optional") }),
      el("td", { text: p.description })))));
}
