// Settings → MCP servers: the server list (mcp/list.js) and the selected server's panel
// (mcp/panel.js, its status and tools in mcp/status.js, the Add / Edit dialog in mcp/dialog.js).
// Everything a server says about itself (its name, its tools' descriptions) goes in as text.

import { el } from "../dom.js";
import { errorReporter, reporting } from "../errors.js";
import { createList, loadServers, renderList } from "./list.js";
import { showPanel } from "./panel.js";
import { t } from "../i18n.js";

/** A fresh state for the tab; the comments say what each key holds. */
function createMcpState() {
  return {
    servers: [],  // GET /mcp-servers, by name
    selected: null,  // the name of the server whose panel is open (from the address)
    panelsOpened: 0,  // counts panel loads: a late answer (a slow check) for an earlier one is dropped
  };
}

/** Builds the MCP servers tab into `root`; `select(name)` shows a server. */
export function createMcpView(root, navigate) {
  const page = { state: createMcpState(), navigate, ui: {} };
  page.set = (changes) => {
    Object.assign(page.state, changes);
    if ("servers" in changes || "selected" in changes) renderList(page);
  };
  page.isSelected = (server) => server.name.toLowerCase() === page.state.selected?.toLowerCase();
  const alert = el("p", { class: "form-error page-error", role: "alert" });
  page.reportError = errorReporter((text) => { alert.textContent = text; });
  page.handle = (handler) => reporting(page.reportError, handler);
  page.reload = async () => {
    await loadServers(page);
    await showPanel(page);
  };

  page.ui.list = createList(page);
  page.ui.panel = { body: el("div") };
  root.append(page.ui.list.element,
    el("section", { class: "provider-panel", "aria-label": t("MCP server settings") }, alert, page.ui.panel.body));

  return {
    async select(name) {
      alert.textContent = "";
      try {
        if (!page.state.servers.length) await loadServers(page);
        page.set({ selected: name });
        await showPanel(page);
      } catch (error) {
        page.reportError(error);
      }
    },
  };
}
