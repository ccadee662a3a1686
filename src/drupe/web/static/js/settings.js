// The Settings page: a tab menu on the left ("Model services", "MCP servers", "Gateway", "Titles", "Images", "About") and the tab's content.

import * as api from "./api.js";
import { el, replaceChildren } from "./dom.js";
import { icon } from "./icons.js";
import { saveTrustedHosts, trustedHosts } from "./images.js";
import { createProvidersView } from "./providers.js";
import { localStatusLine } from "./local.js";
import { createGatewayView } from "./gateway/view.js";
import { createMcpView } from "./mcp/view.js";
import { showTitles } from "./titles.js";

const TABS = [
  { id: "providers", label: "Model services", icon: "server" },
  { id: "mcp", label: "MCP servers", icon: "function_calling" },
  { id: "gateway", label: "Gateway", icon: "gateway" },
  { id: "titles", label: "Titles", icon: "text" },
  { id: "images", label: "Images", icon: "image" },
  { id: "about", label: "About", icon: "cpu" },
];

export function showSettings(root, navigate) {
  const tabs = el("div", { class: "sidebar-list", role: "tablist", "aria-label": "Settings", "aria-orientation": "vertical" });
  const content = el("div", { class: "settings", role: "tabpanel" });
  root.append(
    el("aside", { class: "sidebar sidebar-narrow" }, el("div", { class: "sidebar-head" }, el("h1", { text: "Settings" })), tabs),
    content);

  let metaPromise = null;
  let currentTab = null;
  let providersView = null;
  let mcpView = null;

  async function onRoute(event) {
    const { tab, id } = event.detail;
    replaceChildren(tabs, TABS.map((t) => el("a", {
      class: "menu-item", role: "tab", href: `/settings/${t.id}`,
      "aria-selected": String(t.id === tab), id: `tab-${t.id}`,
    }, icon(t.icon), t.label)));
    content.setAttribute("aria-labelledby", `tab-${tab}`);
    if (tab !== currentTab) {
      currentTab = tab;
      content.replaceChildren();
      providersView = null;
      mcpView = null;
      if (tab === "about") return showAbout();
      if (tab === "images") return showImages();
      if (tab === "titles") return showTitles(content);
      if (tab === "gateway") return createGatewayView(content).load();
    }
    if (tab === "providers") {
      metaPromise ??= api.get("/meta");
      const meta = await metaPromise;
      providersView ??= createProvidersView(content, meta, navigate);
      await providersView.select(id);
    }
    if (tab === "mcp") {
      mcpView ??= createMcpView(content, navigate);
      await mcpView.select(id);
    }
  }

  async function showAbout() {
    const meta = await (metaPromise ??= api.get("/meta"));
    content.append(el("div", { class: "provider-panel" }, el("div", { class: "panel-inner" },
      el("header", { class: "panel-head" }, el("h2", { text: "About drupe" })),
      el("p", { text: `Version ${meta.version}` }),
      el("div", { class: "section" }, el("h3", { text: "Local model" }), localStatusLine({ showOff: true })))));
  }

  /** The hosts whose images answers load without a click, each with a Remove button. */
  async function showImages() {
    const list = el("ul", { class: "key-list", "aria-label": "Hosts whose images load without a click" });
    const error = el("p", { class: "form-error", role: "alert" });
    const render = (hosts) => {
      list.hidden = !hosts.length;
      replaceChildren(list, hosts.map((host) => el("li", {}, el("code", { text: host }),
        el("button", { type: "button", class: "btn btn-sm", "aria-label": `Remove ${host}`, text: "Remove",
          onclick: async () => {
            try {
              render(await saveTrustedHosts(hosts.filter((other) => other !== host)));
            } catch (problem) {
              error.textContent = problem.message;
            }
          } }))));
      empty.hidden = hosts.length > 0;
    };
    const empty = el("p", { class: "hint", text: "No hosts: every image from a model's answer waits for a click." });
    content.append(el("div", { class: "provider-panel" }, el("div", { class: "panel-inner" },
      el("header", { class: "panel-head" }, el("h2", { text: "Images in answers" })),
      el("p", { text: "An image in a model's answer is not fetched until you click it: its address could carry your "
        + "conversation to someone else's server. Images from these hosts load at once (added with "
        + "\u201cAlways load from …\u201d under an image)." }),
      empty, list, error)));
    render([...await trustedHosts()]);
  }

  root.addEventListener("route", onRoute);
  return () => root.removeEventListener("route", onRoute);
}
