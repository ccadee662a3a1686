// The Chat page's top bar: the conversation's title, the model picker, Export, the settings toggle.

import * as api from "../api.js";
import { el } from "../dom.js";
import { t } from "../i18n.js";
import { icon } from "../icons.js";
import { conversationTitle } from "./state.js";

/** The top bar's elements; `settingsPanel` is the panel its toggle shows and hides. */
export function createHeader(page, settingsPanel) {
  const title = el("h1");
  const exportLink = el("a", { class: "icon-btn", "aria-label": t("Export as Markdown"), title: t("Export as Markdown"), download: "", hidden: true }, icon("download"));
  // Fetched, not followed, so the access token goes along off loopback.
  exportLink.addEventListener("click", page.handle(async (event) => {
    event.preventDefault();
    await api.download(exportLink.getAttribute("href").replace(/^\/api/, ""));
  }));
  const settingsToggle = el("button", { type: "button", class: "icon-btn", "aria-label": t("Conversation settings"), "aria-expanded": "false", title: t("Conversation settings") }, icon("sliders"));
  settingsToggle.addEventListener("click", () => {
    settingsPanel.hidden = !settingsPanel.hidden;
    settingsToggle.setAttribute("aria-expanded", String(!settingsPanel.hidden));
  });
  const element = el("header", { class: "chat-topbar" }, title, page.picker.button, exportLink, settingsToggle);
  return { element, title, exportLink };
}

/** The title and the export link of the open conversation: the one place the title is set. */
export function renderHeader(page) {
  const { title, exportLink } = page.ui.header;
  const { conversation } = page.state;
  title.textContent = conversationTitle(page.state);
  exportLink.hidden = !conversation;
  if (conversation) exportLink.href = `/api/conversations/${conversation.id}/export?format=markdown`;
}
