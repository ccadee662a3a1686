// The Chat page's sidebar: new conversation, search, the conversation list with rename and delete.

import * as api from "../api.js";
import { debounce, el, matches, replaceChildren } from "../dom.js";
import { confirmDialog, promptDialog } from "../dialogs.js";
import { t } from "../i18n.js";
import { icon } from "../icons.js";
import { localStatusLine } from "../local.js";

/** The sidebar's elements; `renderSidebar` fills the list from the state. */
export function createSidebar(page) {
  const newButton = el("button", { type: "button", class: "icon-btn", "aria-label": t("New conversation"), title: t("New conversation") }, icon("plus"));
  const search = el("input", { type: "search", placeholder: t("Search conversations"), "aria-label": t("Search conversations") });
  const list = el("ul", { class: "sidebar-list", "aria-label": t("Conversations") });
  const element = el("aside", { class: "sidebar", "aria-label": t("Conversation list") },
    el("div", { class: "sidebar-head" }, el("h1", { text: t("Conversations") }), newButton),
    el("div", { class: "sidebar-head" }, el("div", { class: "search-box" }, icon("search"), search)),
    list,
    el("div", { class: "sidebar-foot" }, localStatusLine()));
  newButton.addEventListener("click", () => page.navigate("/chat"));
  search.addEventListener("input", debounce(page.handle(() => searchConversations(page)), 250));
  return { element, search, list };
}

/** The conversations that match the latest answered search (all when there is no query). */
export function renderSidebar(page) {
  const { conversations, search } = page.state;
  const shown = search.query
    ? conversations.filter((c) => search.hits.has(c.id) || matches(search.query, c.title))
    : conversations;
  replaceChildren(page.ui.sidebar.list, shown.length ? shown.map((item) => conversationItem(page, item))
    : el("li", { class: "empty", text: search.query ? t("No match") : t("No conversations yet") }));
}

function conversationItem(page, item) {
  const name = item.title || t("New conversation");
  const active = page.state.conversation?.id === item.id;
  return el("li", { class: `conv-item${active ? " active" : ""}` },
    el("a", { class: "conv-title", href: `/chat/${item.id}`, text: name, title: name }),
    el("button", {
      type: "button", class: "icon-btn icon-btn-sm", "aria-label": t("Rename {name}", { name }), title: t("Rename"),
      onclick: page.handle(() => renameConversation(page, item)),
    }, icon("edit")),
    el("button", {
      type: "button", class: "icon-btn icon-btn-sm danger", "aria-label": t("Delete {name}", { name }), title: t("Delete"),
      onclick: page.handle(() => deleteConversation(page, item, name)),
    }, icon("trash")));
}

async function renameConversation(page, item) {
  const title = await promptDialog(t("Rename conversation"), t("Title"), item.title, t("Save"));
  if (title === null) return;
  const updated = await api.patch(`/conversations/${item.id}`, { title });
  const { state } = page;
  page.set({
    conversations: state.conversations.map((c) => (c.id === item.id ? { ...c, ...updated } : c)),
    ...(state.conversation?.id === item.id ? { conversation: updated } : {}),
  });
}

async function deleteConversation(page, item, name) {
  if (!await confirmDialog(t("Delete conversation"), t("Delete “{name}” and all its messages?", { name }), t("Delete"))) return;
  await api.del(`/conversations/${item.id}`);
  page.set({ conversations: page.state.conversations.filter((c) => c.id !== item.id) });
  if (page.state.conversation?.id === item.id) page.navigate("/chat");
}

/** Reload the list (titles and order change as answers arrive), and the search with it. An
 * answer to any but the latest reload is dropped, so a title never goes back to an older one. */
export async function loadConversations(page) {
  const sent = ++page.state.listsSent;
  const conversations = await api.get("/conversations");
  if (sent !== page.state.listsSent) return;
  page.set({ conversations });
  if (page.state.search.query) await searchConversations(page);
}

/**
 * Ask the server which conversations' messages match the search box. Answers can arrive out
 * of order: one to a query older than the latest sent is dropped, so the list never goes back.
 */
export async function searchConversations(page) {
  const query = page.ui.sidebar.search.value.trim();
  const sent = ++page.state.searchesSent;
  if (!query) {
    page.set({ search: { query: "", hits: null } });
    return;
  }
  let hits = [];
  try {
    hits = await api.get(`/search${api.query({ q: query })}`);
  } finally {
    // A failed search still shows the title matches; the failure itself is reported.
    if (sent === page.state.searchesSent) page.set({ search: { query, hits: new Set(hits.map((hit) => hit.conversation_id)) } });
  }
}
