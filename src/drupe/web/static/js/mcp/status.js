// An MCP server's status line and tools, from POST /mcp-servers/NAME/check (which connects:
// an stdio server is started, then stopped). The tools' names and descriptions are the server's
// words, possibly hostile: they only ever go into the page as text.

import * as api from "../api.js";
import { el, formatMs, replaceChildren } from "../dom.js";
import { icon } from "../icons.js";

/** The Status section: a status line, Check again, and the tools; checks at once.
 * `current()` is false once the panel was replaced: a late answer is then dropped. */
export function statusSection(server, current) {
  const line = el("p", { class: "mcp-status", role: "status", "aria-label": "Status" });
  const tools = el("div", { class: "mcp-tools" });
  const again = el("button", { type: "button", class: "btn btn-sm" }, icon("refresh"), "Check again");
  const check = async () => {
    again.disabled = true;
    showLine(line, "busy", server.enabled ? "Connecting…" : "Checking…");
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
  return el("section", { class: "section", "aria-label": "Status and tools" },
    el("div", { class: "section-head" }, el("h3", { text: "Status" }), again),
    line, tools);
}

function showLine(line, state, ...parts) {
  replaceChildren(line, el("span", { class: `dot ${state}` }), parts);
}

function showStatus(line, status) {
  if (status.connected) {
    const count = `${status.tools.length} tool${status.tools.length === 1 ? "" : "s"}`;
    const said = `${status.server.name}${status.server.version ? ` ${status.server.version}` : ""}`;
    showLine(line, "ok", el("strong", { text: "Connected" }), el("span", { text: ` — ${said} · ${count} · ${formatMs(status.latency_ms)}` }));
    line.className = "mcp-status ok";
    return;
  }
  const off = status.error.kind === "disabled";
  showLine(line, off ? "" : "fail", el("strong", { text: off ? "Off" : `✗ ${status.error.kind}` }),
    el("span", { text: ` — ${status.error.message}` }));
  line.className = `mcp-status ${off ? "off" : "fail"}`;
}

function toolList(server, status) {
  if (!status.connected) return null;
  if (!status.tools.length) return el("p", { class: "empty", text: "This server offers no tools." });
  return el("ul", { class: "tool-list", "aria-label": `Tools of ${server.name}` }, status.tools.map(toolItem));
}

function toolItem(tool) {
  return el("li", { class: "tool", "aria-label": tool.name },
    el("code", { class: "tool-name", text: tool.name }),
    tool.description ? el("p", { class: "tool-description", text: tool.description }) : null,
    parameterTable(tool.parameters));
}

function parameterTable(parameters) {
  if (!parameters.length) return el("p", { class: "hint", text: "No parameters." });
  return el("table", { class: "params" },
    el("thead", {}, el("tr", {}, ["Parameter", "Type", "Required", "Description"].map((text) => el("th", { scope: "col", text })))),
    el("tbody", {}, parameters.map((p) => el("tr", {},
      el("td", {}, el("code", { text: p.name })),
      el("td", { text: p.type }),
      el("td", { text: p.required ? "required" : "optional" }),
      el("td", { text: p.description })))));
}
