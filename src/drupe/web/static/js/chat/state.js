// The Chat page's state: one object that every part of the page draws from. It changes
// through `page.set(changes)` (chat.js), which redraws the parts that show the changed keys.

import { t } from "../i18n.js";

export const PAGE_SIZE = 50;

/** A fresh state for a Chat page; the comments say what each key holds. */
export function createChatState() {
  return {
    conversations: [],  // the conversation list, as GET /conversations returns it (newest first)
    search: { query: "", hits: null },  // the latest search answered: hits = Set of conversation ids
    searchesSent: 0,  // counts searches: an answer to any but the latest is dropped
    listsSent: 0,  // counts reloads of the conversation list: likewise
    conversation: null,  // the open conversation; null for a new one not yet saved
    openError: null,  // why the conversation in the address could not be opened
    opensStarted: 0,  // counts opens: a late answer for an earlier one is dropped
    draftSettings: {},  // settings chosen before the first message creates the conversation
    turns: [],  // TurnViews in the message list, oldest first
    hasOlder: false,  // the server has older messages than the first turn shown
    loadingOlder: false,
    running: null,  // the turn streaming now: { controller, views: Map(answer id → AnswerView), turn }
    pendingFiles: [],  // files and images attached to the next message (chat/attachments.js)
    error: "",  // the alert under the composer: what the last action could not do
  };
}

/** The title of the open conversation; the header is the one place that shows it. */
export function conversationTitle(state) {
  if (state.openError) return t("Conversation not found");
  return state.conversation?.title || t("New conversation");
}
