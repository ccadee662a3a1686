// Running a turn on the Chat page: stream the answers into it, Stop, the decisions on tool calls
// that wait for the user, and the message actions (Regenerate, Edit, Continue, browse alternatives)
// that start a new turn, go on with an answer or show another branch, and Delete.

import * as api from "../api.js";
import { confirmDialog } from "../dialogs.js";
import { t } from "../i18n.js";
import { TurnView } from "../messages.js";
import { appendTurn, nearBottom, removeFrom, scrollToBottom, showPage } from "./messages-list.js";
import { loadConversations } from "./sidebar.js";

/** The picked models as the API's targets. */
export function targets(page) {
  return page.picker.selected().map((m) => ({ provider: m.provider_id, model: m.model_id }));
}

/** Run one streamed turn into `turn`: create answers on `start`, fill them, finish on `done`.
 * `resumed`: the answer being continued, streamed into again rather than added. */
export async function runTurn(page, path, body, turn, resumed = null) {
  const views = new Map();
  const running = { controller: new AbortController(), views, turn };
  page.set({ running });
  const onEvent = (event) => {
    const view = views.get(event.answer_id);
    switch (event.type) {
      case "user": turn.setUser(event.message); break;
      case "start":
        views.set(event.answer_id, resumed?.answerId === event.answer_id ? resumed.resume() : turn.addAnswer(event));
        break;
      case "delta": view?.appendDelta(event.text); return;
      case "reasoning": view?.appendReasoning(event.text); break;
      case "block": view?.appendBlock(event.html); break;
      case "tail": view?.setTail(event.html); break;
      case "tool_call": view?.toolCall(event.step, event.call); break;
      case "done": view?.finish(event.message); answered(); break;
      case "error": (view ?? turn).showError(event.error); break;
      case "title": showTitle(page, event.conversation_id, event.title); return;
      default: return;
    }
    if (nearBottom(page)) scrollToBottom(page);
  };
  // Once every answer is in, the composer is free again: a title the server still asks a model
  // for (the first turn's) comes later on the same stream and must hold nothing up.
  const answered = () => {
    if ([...views.values()].some(isStreaming) || page.state.running !== running) return;
    page.set({ running: null });
    refreshConversations(page);  // a first turn's title (its first message) shows now
  };
  try {
    await api.stream(path, body, onEvent, running.controller.signal);
  } catch (error) {
    turn.showError(error);
  } finally {
    for (const view of views.values()) {
      if (isStreaming(view)) view.showError({ kind: "stopped", message: t("The stream ended early.") });
    }
    if (page.state.running === running) page.set({ running: null });
    showAlternativeCounts(turn);
    refreshConversations(page);
  }
}

/** The list and the open conversation as stored (its title, its place in the list). */
function refreshConversations(page) {
  loadConversations(page).then(() => {
    const current = page.state.conversations.find((c) => c.id === page.state.conversation?.id);
    if (current) page.set({ conversation: current });
  }).catch(page.reportError);
}

const isStreaming = (view) => view.element.classList.contains("streaming");

/** A conversation's new title (the `title` event after a first turn): in the list and the header
 * at once; a reload of the list still under way is dropped for a newer one. */
function showTitle(page, conversationId, title) {
  const { state } = page;
  state.listsSent += 1;
  page.set({
    conversations: state.conversations.map((c) => (c.id === conversationId ? { ...c, title } : c)),
    ...(state.conversation?.id === conversationId ? { conversation: { ...state.conversation, title } } : {}),
  });
}

/** Stream events carry no sibling counts: ask for them once the turn is over. */
async function showAlternativeCounts(turn) {
  const siblingsOf = async (message) => {
    const alternatives = await api.get(`/messages/${message.id}/alternatives`);
    return { index: alternatives.findIndex((m) => m.id === message.id), count: alternatives.length };
  };
  try {
    if (turn.user?.id) turn.setUser({ ...turn.user, siblings: await siblingsOf(turn.user) });
    for (const view of turn.answerViews) {
      if (view.message) view.setSiblings(await siblingsOf(view.message));
    }
  } catch {
    // Counts are a convenience; the answers are already shown.
  }
}

/** Stop the answer streaming now: the server keeps what arrived; without an answer yet, hang up. */
export async function stopTurn(page) {
  const { running } = page.state;
  if (!running) return;
  const streamingId = [...running.views.entries()].find(([, view]) => isStreaming(view))?.[0];
  if (streamingId === undefined) {
    running.controller.abort();
    return;
  }
  try {
    await api.post(`/answers/${streamingId}/stop`);
  } catch {
    running.controller.abort();
  }
}

/** What the message views call (messages.js): Regenerate, Edit, ‹ › between alternatives, and
 * Run / Deny / Always allow on a tool call (its promise rejects when the server refuses). */
export function turnHandlers(page) {
  return {
    decide: (answerId, callId, decision) =>
      api.post(`/answers/${answerId}/tool-calls/${api.seg(callId)}`, { decision }),
    regenerate: (answer) => { regenerate(page, answer).catch(page.reportError); },
    continueAnswer: (answer) => { continueAnswer(page, answer).catch(page.reportError); },
    edit: (turn, content) => { editAndSend(page, turn, content).catch(page.reportError); },
    browse: (message, step) => { browseAlternatives(page, message, step).catch(page.reportError); },
    remove: (message) => { deleteMessage(page, message).catch(page.reportError); },
  };
}

/** Delete a message and what hangs under it, once the user agrees; show the branch left. */
async function deleteMessage(page, message) {
  const { state } = page;
  if (state.running || !state.conversation || !message?.id) return;
  const question = message.role === "user"
    ? t("Delete this message, its answers and the messages after them? Other branches stay.")
    : t("Delete this answer and the messages after it? Other branches stay.");
  if (!await confirmDialog(t("Delete message"), question, t("Delete"))) return;
  const result = await api.del(`/conversations/${state.conversation.id}/messages/${message.id}`);
  page.set({ conversation: result.conversation });
  showPage(page, result);
  loadConversations(page).catch(page.reportError);
}

async function regenerate(page, answer) {
  const { state } = page;
  if (state.running || !answer.message) return;
  const turn = answer.turn;
  removeFrom(page, state.turns[state.turns.indexOf(turn) + 1] ?? null);
  turn.removeAnswers();
  const body = targets(page).length ? { targets: targets(page) } : {};
  await runTurn(page, `/answers/${answer.message.id}/regenerate`, body, turn);
}

/** An answer cut at the token limit: the same model goes on, into the same answer. */
async function continueAnswer(page, answer) {
  if (page.state.running || !answer.message) return;
  await runTurn(page, `/answers/${answer.message.id}/continue`, {}, answer.turn, answer);
}

/** The user's message edited: a new branch from it, answered by the picked models. */
async function editAndSend(page, turn, content) {
  if (page.state.running || !turn.user?.id) return;
  const messageId = turn.user.id;
  const attached = (turn.user.parts ?? []).filter((part) => part.type !== "text");  // kept: files go again as their text
  const parts = attached.length ? [{ type: "text", text: content }, ...attached] : undefined;
  const replacement = new TurnView(page.turnHandlers);
  replacement.setUser({ content, parts: attached });
  removeFrom(page, turn);
  appendTurn(page, replacement);
  await runTurn(page, `/messages/${messageId}/edit`, { content, parts, targets: targets(page) }, replacement);
}

async function browseAlternatives(page, message, step) {
  if (page.state.running) return;
  const alternatives = await api.get(`/messages/${message.id}/alternatives`);
  const index = alternatives.findIndex((m) => m.id === message.id) + step;
  if (!alternatives[index]) return;
  const result = await api.post(`/messages/${alternatives[index].id}/select`);
  const { scroller } = page.ui.messages;
  const keepScroll = scroller.scrollTop;
  page.set({ conversation: result.conversation });
  showPage(page, result);
  scroller.scrollTop = keepScroll;
}
