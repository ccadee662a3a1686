// The Chat page's composer: the message box, files to attach (chat/attachments.js), the Tools menu
// (chat/tools-menu.js), the reasoning level (for a model that reasons), Send and Stop, and the
// page's alert line (what the last action could not do).

import * as api from "../api.js";
import { el } from "../dom.js";
import { t } from "../i18n.js";
import { icon } from "../icons.js";
import { TurnView } from "../messages.js";
import { acceptDropAndPaste, addFiles, partsToSend } from "./attachments.js";
import { appendTurn } from "./messages-list.js";
import { reasoningSelect, showReasoning } from "./reasoning.js";
import { saveSetting } from "./settings-panel.js";
import { runTurn, stopTurn, targets } from "./turns.js";

export function createComposer(page) {
  const input = el("textarea", { rows: "2", placeholder: t("Type a message — Enter to send, Shift+Enter for a new line"), "aria-label": t("Message") });
  const fileInput = el("input", { type: "file", multiple: true, hidden: true, "aria-label": t("Files to attach") });
  const attach = el("button", { type: "button", class: "icon-btn", "aria-label": t("Attach files"), title: t("Attach text, code, PDF or image files (or paste or drop them here)") }, icon("paperclip"));
  const sendButton = el("button", { type: "button", class: "send-btn", "aria-label": t("Send"), title: t("Send (Enter)") }, icon("send"));
  const stopButton = el("button", { type: "button", class: "send-btn stop-btn", "aria-label": t("Stop"), title: t("Stop"), hidden: true }, icon("stop"));
  const reasoning = reasoningSelect({ "aria-label": t("Reasoning"), title: t("How hard the model thinks before it answers") });
  const reasoningControl = el("label", { class: "reasoning-control", hidden: true }, icon("reasoning"), reasoning);
  const pendingList = el("div", { class: "pending-files" });
  const error = el("p", { class: "form-error", role: "alert" });
  const element = el("div", { class: "composer" }, el("div", { class: "composer-box" },
    pendingList, input,
    el("div", { class: "composer-bar" }, attach, fileInput, page.ui.tools.button, reasoningControl, el("span", { class: "spacer" }),
      el("span", { class: "composer-hint", text: t("Shift+Enter: new line") }), sendButton, stopButton)),
  error);

  const send = page.handle(() => sendMessage(page));
  input.addEventListener("keydown", (event) => {
    // Enter while an input method composes (Chinese, Japanese, Korean…) picks a candidate: not a
    // send. Safari says so only by keyCode 229 on the Enter that ends the composition.
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing && event.keyCode !== 229) {
      event.preventDefault();
      send();
    }
  });
  input.addEventListener("input", () => {
    input.style.height = "auto";
    input.style.height = `${Math.min(input.scrollHeight, 240)}px`;
  });
  sendButton.addEventListener("click", send);
  stopButton.addEventListener("click", page.handle(() => stopTurn(page)));
  attach.addEventListener("click", () => fileInput.click());
  reasoning.addEventListener("change", page.handle(async () => {
    page.set({ error: "" });
    try {
      await saveSetting(page, "reasoning", reasoning.value || null);
    } finally {
      showReasoning(page);  // the panel's select follows; a refused change goes back
    }
  }));
  fileInput.addEventListener("change", page.handle(async () => {
    const files = [...fileInput.files];
    fileInput.value = "";
    await addFiles(page, files);
  }));
  acceptDropAndPaste(page, element, input);
  return { element, input, attach, reasoning, reasoningControl, sendButton, stopButton, pendingList, error };
}

/** Send, or Stop while a turn streams, and the reasoning level only for a model that reasons. */
export function renderComposer(page) {
  const { reasoningControl, sendButton, stopButton } = page.ui.composer;
  const streaming = page.state.running !== null;
  sendButton.hidden = streaming;
  stopButton.hidden = !streaming;
  reasoningControl.hidden = !page.picker.selected().some((m) => m.capabilities?.includes("reasoning"));
  showReasoning(page);
}

export function renderComposerError(page) {
  page.ui.composer.error.textContent = page.state.error;
}

/** Send what is typed (and attached) to the picked models; a new conversation is saved first. */
async function sendMessage(page) {
  const { input } = page.ui.composer;
  const text = input.value.trim();
  const { state } = page;
  if (state.running || (!text && !state.pendingFiles.length)) return;
  page.set({ error: "" });
  if (!targets(page).length) {
    page.set({ error: t("Pick a model first: press the model button at the top. Models come from Settings → Model services.") });
    return;
  }
  if (!state.conversation) {
    const created = await api.post("/conversations", { title: "", settings: state.draftSettings });
    history.replaceState(null, "", `/chat/${created.id}`);
    state.opensStarted += 1;  // an open still loading must not replace the new conversation
    page.set({ conversation: created, conversations: [created, ...state.conversations] });
  }
  const attached = state.pendingFiles;
  const parts = attached.length ? partsToSend(text, attached) : undefined;
  input.value = "";
  input.style.height = "";
  page.set({ pendingFiles: [] });
  const turn = new TurnView(page.turnHandlers);
  turn.setUser({ content: text, parts: attached });
  appendTurn(page, turn);
  await runTurn(page, `/conversations/${state.conversation.id}/messages`, { content: text, parts, targets: targets(page) }, turn);
}
