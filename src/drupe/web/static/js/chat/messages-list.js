// The Chat page's message list: opening a conversation, its history pages (older ones load on
// scroll-up), the welcome text when it is empty. One message is drawn by messages.js.

import * as api from "../api.js";
import { el } from "../dom.js";
import { t } from "../i18n.js";
import { turnsFrom } from "../messages.js";
import { PAGE_SIZE } from "./state.js";

export function createMessageList(page) {
  const list = el("div", { class: "message-list", "aria-live": "off" });
  const scroller = el("div", { class: "message-scroller" }, list);
  const welcome = el("div", { class: "welcome" }, el("h2", { text: t("Start a conversation") }),
    el("p", { text: t("Pick a model above, type below, press Enter.") }));
  scroller.addEventListener("scroll", () => {
    if (scroller.scrollTop < 300) loadOlder(page).catch(page.reportError);
  }, { passive: true });
  return { list, scroller, welcome };
}

/** The welcome text when there are no turns, else the list. */
export function renderEmptyState(page) {
  const { scroller, welcome } = page.ui.messages;
  const nothing = page.state.turns.length === 0 && !page.state.openError;
  welcome.hidden = !nothing;
  scroller.hidden = nothing;
}

/** Show conversation `id` (null: a new one) with its newest page of messages. */
export async function openConversation(page, id) {
  const opened = ++page.state.opensStarted;
  page.state.running?.controller.abort();
  showTurns(page, [], false);
  page.set({ pendingFiles: [] });
  if (!id) {
    page.set({ conversation: null, openError: null, draftSettings: {} });
    page.ui.composer.input.focus();
    return;
  }
  try {
    const [conversation, messages, models] = await Promise.all([
      api.get(`/conversations/${id}`),
      api.get(`/conversations/${id}/messages${api.query({ limit: PAGE_SIZE })}`),
      api.get(`/conversations/${id}/models`),
    ]);
    if (opened !== page.state.opensStarted) return;
    page.set({ conversation, openError: null });
    showPage(page, messages);
    page.picker.follow(models).catch(page.reportError);  // it goes on with its own models
  } catch (error) {
    if (opened !== page.state.opensStarted) return;
    page.set({ conversation: null, openError: error });
    page.ui.messages.list.replaceChildren(el("p", { class: "form-error", text: error.message }));
  }
  scrollToBottom(page);
}

/** Replace the list with a page of messages as the server sends it ({messages, has_more}). */
export function showPage(page, messages) {
  showTurns(page, turnsFrom(messages.messages, page.turnHandlers), messages.has_more);
}

function showTurns(page, turns, hasOlder) {
  Object.assign(page.state, { turns, hasOlder });
  page.ui.messages.list.replaceChildren(...turns.map((turn) => turn.element));
  renderEmptyState(page);
}

/** The page of messages before the first one shown, kept in the reader's place. */
async function loadOlder(page) {
  const { state } = page;
  const { list, scroller } = page.ui.messages;
  if (!state.hasOlder || state.loadingOlder || !state.conversation) return;
  const firstId = state.turns[0]?.user?.id ?? state.turns[0]?.answerViews[0]?.message?.id;
  if (!firstId) return;
  state.loadingOlder = true;
  const conversationId = state.conversation.id;
  try {
    const messages = await api.get(`/conversations/${conversationId}/messages${api.query({ limit: PAGE_SIZE, before: firstId })}`);
    if (state.conversation?.id !== conversationId) return;
    const older = turnsFrom(messages.messages, page.turnHandlers);
    // A page may end with a user message whose answer opens the next page: join them.
    const lastOlder = older[older.length - 1];
    if (lastOlder && !lastOlder.answerViews.length && state.turns[0] && !state.turns[0].user) {
      state.turns[0].setUser(lastOlder.user);
      older.pop();
    }
    const previousHeight = scroller.scrollHeight;
    list.prepend(...older.map((turn) => turn.element));
    state.turns = [...older, ...state.turns];
    scroller.scrollTop += scroller.scrollHeight - previousHeight;
    state.hasOlder = messages.has_more;
  } finally {
    state.loadingOlder = false;
  }
}

export function appendTurn(page, turn) {
  page.state.turns.push(turn);
  page.ui.messages.list.append(turn.element);
  renderEmptyState(page);
  scrollToBottom(page);
}

/** Drop `turn` and every turn after it (a new branch replaces them). */
export function removeFrom(page, turn) {
  const index = page.state.turns.indexOf(turn);
  if (index < 0) return;
  for (const gone of page.state.turns.splice(index)) gone.element.remove();
}

export function nearBottom(page) {
  const { scroller } = page.ui.messages;
  return scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 80;
}

export function scrollToBottom(page) {
  const { scroller } = page.ui.messages;
  scroller.scrollTop = scroller.scrollHeight;
}
