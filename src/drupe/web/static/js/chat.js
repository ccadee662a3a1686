// The Chat page: conversation list, model picker, conversation settings, messages and composer.
// One state object (chat/state.js) holds what the page shows; `page.set(changes)` changes it
// and `redraw` below is the one table of which part shows which keys. Each part is a module
// in chat/ with a `create…` (its elements and listeners) and a `render…` (drawn from the state).

import { el } from "./dom.js";
import { makeDrawer } from "./drawer.js";
import { t } from "./i18n.js";
import { errorReporter, reporting } from "./errors.js";
import { createModelPicker } from "./picker.js";
import { renderPendingFiles } from "./chat/attachments.js";
import { createComposer, renderComposer, renderComposerError } from "./chat/composer.js";
import { createHeader, renderHeader } from "./chat/header.js";
import { createJumpButton } from "./chat/jump.js";
import { createMessageList, openConversation, renderEmptyState } from "./chat/messages-list.js";
import { createSettingsPanel, renderSettingsPanel } from "./chat/settings-panel.js";
import { createToolsMenu, renderToolsMenu } from "./chat/tools-menu.js";
import { createSidebar, loadConversations, renderSidebar } from "./chat/sidebar.js";
import { createChatState } from "./chat/state.js";
import { turnHandlers } from "./chat/turns.js";

/** Redraw the parts of the page that show the keys in `changes`; `before` is the state before them. */
function redraw(page, changes, before) {
  const changed = (...keys) => keys.some((key) => key in changes);
  if (changed("conversation", "openError")) renderHeader(page);
  if (changed("conversations", "search", "conversation")) renderSidebar(page);
  if (changed("draftSettings") || page.state.conversation?.id !== before.conversation?.id) renderSettingsPanel(page);
  if (changed("conversation", "draftSettings")) renderToolsMenu(page);
  if (changed("openError")) renderEmptyState(page);
  if (changed("running", "conversation", "draftSettings")) renderComposer(page);
  if (changed("pendingFiles")) renderPendingFiles(page);
  if (changed("error")) renderComposerError(page);
}

export function showChat(root, navigate) {
  const page = { state: createChatState(), navigate, ui: {} };
  page.set = (changes) => {
    const before = { ...page.state };
    Object.assign(page.state, changes);
    redraw(page, changes, before);
  };
  page.reportError = errorReporter((text) => page.set({ error: text }));
  page.handle = (handler) => reporting(page.reportError, handler);
  page.turnHandlers = turnHandlers(page);
  page.picker = createModelPicker({ onChange: () => renderComposer(page) });

  const ui = page.ui;
  ui.sidebar = createSidebar(page);
  ui.settings = createSettingsPanel();
  ui.header = createHeader(page, ui.settings.element);
  ui.messages = createMessageList(page);
  ui.tools = createToolsMenu(page);
  ui.composer = createComposer(page);
  ui.jump = createJumpButton(page);
  root.append(el("div", { class: "chat" }, ui.sidebar.element, el("div", { class: "chat-main" },
    ui.header.element,
    el("div", { class: "chat-body" },
      el("div", { class: "chat-column" }, ui.messages.scroller, ui.jump, ui.messages.welcome, ui.composer.element),
      ui.settings.element))));
  ui.drawer = makeDrawer(ui.sidebar.element, root, t("Conversation list"));
  ui.header.element.prepend(ui.drawer.button);
  renderHeader(page);
  renderSettingsPanel(page);
  renderToolsMenu(page);

  const onRoute = page.handle(async (event) => {
    const id = event.detail.id;
    if (id && id === page.state.conversation?.id && page.state.turns.length) return;
    await openConversation(page, id);
  });
  root.addEventListener("route", onRoute);
  page.picker.load().then(() => renderComposer(page));
  loadConversations(page).catch(page.reportError);
  return () => {
    page.state.running?.controller.abort();
    page.picker.destroy();
    ui.drawer.destroy();
    ui.tools.destroy();
    root.removeEventListener("route", onRoute);
  };
}
