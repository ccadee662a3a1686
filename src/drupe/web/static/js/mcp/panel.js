// Settings → MCP servers, the selected server's panel: its settings, Edit, Remove, and its
// status and tools (mcp/status.js), loaded by connecting to it each time the panel opens.

import * as api from "../api.js";
import { avatar, el, replaceChildren } from "../dom.js";
import { confirmDialog } from "../dialogs.js";
import { icon } from "../icons.js";
import { serverDialog } from "./dialog.js";
import { loadServers, TRANSPORT_LABELS } from "./list.js";
import { statusSection } from "./status.js";
import { t, formatNumber } from "../i18n.js";

const APPROVAL_LABELS = { ask: () => t("Ask before each call"), always: () => t("Always allow") };

/** The panel for the selected server (or the welcome text), loaded from the server. */
export async function showPanel(page) {
  const opened = ++page.state.panelsOpened;
  const current = () => opened === page.state.panelsOpened;
  const { body } = page.ui.panel;
  const { selected, servers } = page.state;
  if (!selected) {
    replaceChildren(body, el("div", { class: "welcome" },
      el("h2", { text: t("MCP servers") }),
      el("p", { text: servers.length
        ? t("MCP servers offer tools that models can call. Pick one on the left to see its status and tools.")
        : t("MCP servers offer tools that models can call. Add one with + Add: for example the reference time server, command uvx, argument mcp-server-time.") })));
    return;
  }
  let server;
  try {
    server = await api.get(`/mcp-servers/${api.seg(selected)}`);
  } catch (error) {
    if (current()) replaceChildren(body, el("p", { class: "form-error", text: error.message }));
    return;
  }
  if (current()) replaceChildren(body, serverPanel(page, server, current));
}

function serverPanel(page, server, current) {
  const edit = el("button", { type: "button", class: "btn btn-sm" }, icon("edit"), t("Edit"));
  edit.addEventListener("click", page.handle(() => editServer(page, server)));
  return el("div", { class: "panel-inner" },
    el("header", { class: "panel-head" },
      avatar(server.name),
      el("h2", {}, el("span", { text: server.name }), el("span", { class: "badge", text: TRANSPORT_LABELS[server.transport] }),
        server.enabled ? null : el("span", { class: "badge", text: t("Off") })),
      edit),
    statusSection(server, current),
    detailsSection(server),
    el("div", { class: "section danger-zone" }, removeButton(page, server)));
}

/** The settings as stored, secrets masked as the server sent them. */
function detailsSection(server) {
  const rows = server.transport === "stdio"
    ? [[t("Command"), el("code", { text: server.command })],
      [t("Arguments"), server.args.length ? el("ul", { class: "plain-list" }, server.args.map((arg) => el("li", {}, el("code", { text: arg })))) : t("none")],
      [t("Environment"), pairs(server.env)]]
    : [[t("URL"), el("code", { text: server.url })], [t("Headers"), pairs(server.headers)]];
  rows.push([t("Timeout"), t("{seconds} s", { seconds: formatNumber(server.timeout) })],
    [t("Tool calls"), APPROVAL_LABELS[server.approval]?.() ?? server.approval]);
  return el("section", { class: "section", "aria-label": t("Settings") },
    el("div", { class: "section-head" }, el("h3", { text: t("Settings") })),
    el("dl", { class: "details" }, rows.map(([label, value]) => [el("dt", { text: label }), el("dd", {}, value)])));
}

function pairs(values) {
  const entries = Object.entries(values ?? {});
  if (!entries.length) return t("none");
  return el("ul", { class: "plain-list" }, entries.map(([key, value]) => el("li", {}, el("code", { text: `${key}=${value}` }))));
}

async function editServer(page, server) {
  const saved = await serverDialog(server);
  if (!saved) return;
  await loadServers(page);
  if (saved.name !== server.name) page.navigate(`/settings/mcp/${api.seg(saved.name)}`);
  else await showPanel(page);
}

function removeButton(page, server) {
  const button = el("button", { type: "button", class: "btn btn-danger" }, icon("trash"), t("Remove MCP server"));
  button.addEventListener("click", page.handle(async () => {
    const ok = await confirmDialog(t("Remove MCP server"),
      t("Remove {name}? Models will no longer be offered its tools.", { name: server.name }), t("Remove"));
    if (!ok) return;
    await api.del(`/mcp-servers/${api.seg(server.name)}`);
    await loadServers(page);
    page.navigate("/settings/mcp");
  }));
  return button;
}
