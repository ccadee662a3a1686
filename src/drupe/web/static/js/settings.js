// The Settings page: a tab menu on the left ("General", "Model services", "MCP servers", "Gateway", "Titles", "Images", "About") and the tab's content.

import * as api from "./api.js";
import { el, replaceChildren } from "./dom.js";
import { backLink, makeDrawer } from "./drawer.js";
import { showGeneral } from "./general.js";
import { t } from "./i18n.js";
import { icon } from "./icons.js";
import { saveTrustedHosts, trustedHosts } from "./images.js";
import { createProvidersView } from "./providers.js";
import { localStatusLine } from "./local.js";
import { createGatewayView } from "./gateway/view.js";
import { createMcpView } from "./mcp/view.js";
import { showTitles } from "./titles.js";

const TABS = () => [
  { id: "general", label: t("General"), icon: "gear" },
  { id: "providers", label: t("Model services"), icon: "server" },
  { id: "mcp", label: t("MCP servers"), icon: "function_calling" },
  { id: "gateway", label: t("Gateway"), icon: "gateway" },
  { id: "titles", label: t("Titles"), icon: "text" },
  { id: "images", label: t("Images"), icon: "image" },
  { id: "about", label: t("About"), icon: "cpu" },
];

export function showSettings(root, navigate) {
  const tabs = el("div", { class: "sidebar-list", role: "tablist", "aria-label": t("Settings"), "aria-orientation": "vertical" });
  const content = el("div", { class: "settings", role: "tabpanel" });
  const menu = el("aside", { class: "sidebar sidebar-narrow" }, el("div", { class: "sidebar-head" }, el("h1", { text: t("Settings") })), tabs);
  // On a phone: the menu is a drawer, and a bar above the tab holds its button and a way back.
  const phoneTitle = el("h1", { class: "phone-bar-title" });
  const phoneBar = el("div", { class: "phone-bar" });
  root.append(phoneBar, menu, content);
  const drawer = makeDrawer(menu, root, t("Settings menu"));

  let metaPromise = null;
  let currentTab = null;
  let providersView = null;
  let mcpView = null;

  async function onRoute(event) {
    const { tab, id } = event.detail;
    replaceChildren(tabs, TABS().map((item) => el("a", {
      class: "menu-item", role: "tab", href: `/settings/${item.id}`,
      "aria-selected": String(item.id === tab), id: `tab-${item.id}`,
    }, icon(item.icon), item.label)));
    content.setAttribute("aria-labelledby", `tab-${tab}`);
    content.toggleAttribute("data-item-open", Boolean(id));
    phoneTitle.textContent = tabs.querySelector("[aria-selected=true]")?.textContent ?? "";
    phoneBar.replaceChildren(drawer.button, id ? backLink(`/settings/${tab}`) : "", phoneTitle);
    if (tab !== currentTab) {
      currentTab = tab;
      content.replaceChildren();
      providersView = null;
      mcpView = null;
      if (tab === "general") return showGeneral(content);
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
      el("header", { class: "panel-head" }, el("h2", { text: t("About drupe") })),
      el("p", { text: t("Version {version}", { version: meta.version }) }),
      el("div", { class: "section" }, el("h3", { text: t("Local model") }), localStatusLine({ showOff: true })))));
  }

  /** The hosts whose images answers load without a click, each with a Remove button. */
  async function showImages() {
    const list = el("ul", { class: "key-list", "aria-label": t("Hosts whose images load without a click") });
    const error = el("p", { class: "form-error", role: "alert" });
    const render = (hosts) => {
      list.hidden = !hosts.length;
      replaceChildren(list, hosts.map((host) => el("li", {}, el("code", { text: host }),
        el("button", { type: "button", class: "btn btn-sm", "aria-label": t("Remove {host}", { host }), text: t("Remove"),
          onclick: async () => {
            try {
              render(await saveTrustedHosts(hosts.filter((other) => other !== host)));
            } catch (problem) {
              error.textContent = problem.message;
            }
          } }))));
      empty.hidden = hosts.length > 0;
    };
    const empty = el("p", { class: "hint", text: t("No hosts: every image from a model's answer waits for a click.") });
    content.append(el("div", { class: "provider-panel" }, el("div", { class: "panel-inner" },
      el("header", { class: "panel-head" }, el("h2", { text: t("Images in answers") })),
      el("p", { text: t("An image in a model's answer is not fetched until you click it: its address could carry your conversation to someone else's server. Images from these hosts load at once (added with “Always load from …” under an image).") }),
      empty, list, error)));
    render([...await trustedHosts()]);
  }

  root.addEventListener("route", onRoute);
  return () => {
    drawer.destroy();
    root.removeEventListener("route", onRoute);
  };
}
