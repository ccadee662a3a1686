// The Settings page: a tab menu on the left ("Model services", "About") and the tab's content.

import * as api from "./api.js";
import { el, replaceChildren } from "./dom.js";
import { icon } from "./icons.js";
import { createProvidersView } from "./providers.js";
import { localStatusLine } from "./local.js";

const TABS = [
  { id: "providers", label: "Model services", icon: "server" },
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
      if (tab === "about") return showAbout();
    }
    if (tab === "providers") {
      metaPromise ??= api.get("/meta");
      const meta = await metaPromise;
      providersView ??= createProvidersView(content, meta, navigate);
      await providersView.select(id);
    }
  }

  async function showAbout() {
    const meta = await (metaPromise ??= api.get("/meta"));
    content.append(el("div", { class: "provider-panel" }, el("div", { class: "panel-inner" },
      el("header", { class: "panel-head" }, el("h2", { text: "About drupe" })),
      el("p", { text: `Version ${meta.version}` }),
      el("div", { class: "section" }, el("h3", { text: "Local model" }), localStatusLine({ showOff: true })))));
  }

  root.addEventListener("route", onRoute);
  return () => root.removeEventListener("route", onRoute);
}
