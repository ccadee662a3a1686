// Settings → MCP servers, the list: search, each server's enable switch, + Add.

import * as api from "../api.js";
import { avatar, el, matches, replaceChildren } from "../dom.js";
import { icon } from "../icons.js";
import { serverDialog } from "./dialog.js";
import { t } from "../i18n.js";

export const TRANSPORT_LABELS = { stdio: "stdio", http: "HTTP" };

/** The list's elements; `renderList` fills it from the state. */
export function createList(page) {
  const search = el("input", { type: "search", placeholder: t("Search MCP servers"), "aria-label": t("Search MCP servers") });
  const list = el("ul", { class: "sidebar-list", "aria-label": t("MCP server list") });
  const addButton = el("button", { type: "button", class: "btn btn-block", title: t("Add MCP server"), text: t("+ Add") });
  const element = el("aside", { class: "sidebar", "aria-label": t("MCP servers") },
    el("div", { class: "sidebar-head" }, el("div", { class: "search-box" }, icon("search"), search)),
    list,
    el("div", { class: "sidebar-foot" }, addButton));
  search.addEventListener("input", () => renderList(page));
  addButton.addEventListener("click", page.handle(() => addServer(page)));
  return { element, search, list };
}

export async function loadServers(page) {
  page.set({ servers: await api.get("/mcp-servers") });
}

/** The servers that match the search box, the selected one marked. */
export function renderList(page) {
  const { servers } = page.state;
  const { list, search } = page.ui.list;
  const shown = servers.filter((s) => matches(search.value, s.name, s.command, s.url));
  replaceChildren(list, shown.length ? shown.map((server) => serverRow(page, server))
    : el("li", { class: "empty", text: servers.length ? t("No match") : t("No MCP servers yet") }));
}

function serverPath(server) {
  return `/settings/mcp/${api.seg(server.name)}`;
}

function serverRow(page, server) {
  const where = server.transport === "stdio" ? [server.command, ...server.args].join(" ") : server.url;
  const row = el("li", { class: `row${page.isSelected(server) ? " active" : ""}`, dataset: { name: server.name } },
    avatar(server.name),
    el("div", { class: "row-main" },
      el("a", { class: "row-title", href: serverPath(server), text: server.name }),
      el("span", { class: "row-sub", title: where, text: `${TRANSPORT_LABELS[server.transport]} · ${where}` })),
    enableSwitch(page, server));
  row.addEventListener("click", (event) => {
    if (!event.target.closest("a, button")) page.navigate(serverPath(server));
  });
  return row;
}

/** The switch shows the new state at once, goes back if the server refuses it, and the open
 * panel checks the server again (switched off, it is not started). */
function enableSwitch(page, server) {
  const button = el("button", {
    type: "button", class: "switch", role: "switch",
    "aria-checked": String(server.enabled), "aria-label": t("Enable {name}", { name: server.name }),
  });
  button.addEventListener("click", page.handle(async (event) => {
    event.stopPropagation();
    const enabled = button.getAttribute("aria-checked") !== "true";
    button.setAttribute("aria-checked", String(enabled));
    try {
      Object.assign(server, await api.patch(`/mcp-servers/${api.seg(server.name)}`, { enabled }));
    } catch (error) {
      button.setAttribute("aria-checked", String(!enabled));
      throw error;
    }
    if (page.isSelected(server)) await page.reload();
  }));
  return button;
}

async function addServer(page) {
  const created = await serverDialog(null);
  if (!created) return;
  await loadServers(page);
  page.navigate(serverPath(created));
}
