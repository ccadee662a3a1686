// The Chat page: conversation list, model picker, conversation settings, messages and composer.

import * as api from "./api.js";
import { debounce, el, field, matches, replaceChildren } from "./dom.js";
import { confirmDialog, promptDialog } from "./dialogs.js";
import { icon } from "./icons.js";
import { localStatusLine } from "./local.js";
import { turnsFrom, TurnView } from "./messages.js";
import { createModelPicker } from "./picker.js";

const PAGE_SIZE = 50;
const SETTINGS = [
  { key: "temperature", label: "Temperature", min: "0", max: "2", step: "0.1" },
  { key: "top_p", label: "Top P", min: "0", max: "1", step: "0.05" },
  { key: "max_tokens", label: "Max tokens", min: "1", step: "1" },
  { key: "context_count", label: "Context count", min: "0", step: "1" },
];

export function showChat(root, navigate) {
  let conversations = [];
  let conversation = null;
  let draftSettings = {};
  let turns = [];
  let hasOlder = false;
  let loadingOlder = false;
  let running = null; // the turn streaming now: { controller, views: Map(answer id → AnswerView), turn }
  let openToken = 0;
  let pendingImages = [];

  // ---- Layout ----
  const newButton = el("button", { type: "button", class: "icon-btn", "aria-label": "New conversation", title: "New conversation" }, icon("plus"));
  const search = el("input", { type: "search", placeholder: "Search conversations", "aria-label": "Search conversations" });
  const convList = el("ul", { class: "sidebar-list", "aria-label": "Conversations" });
  const sidebar = el("aside", { class: "sidebar", "aria-label": "Conversation list" },
    el("div", { class: "sidebar-head" }, el("h1", { text: "Conversations" }), newButton),
    el("div", { class: "sidebar-head" }, el("div", { class: "search-box" }, icon("search"), search)),
    convList,
    el("div", { class: "sidebar-foot" }, localStatusLine()));

  const title = el("h1", { text: "New conversation" });
  const exportLink = el("a", { class: "icon-btn", "aria-label": "Export as Markdown", title: "Export as Markdown", download: "", hidden: true }, icon("download"));
  exportLink.addEventListener("click", (event) => {
    event.preventDefault();  // fetched, so the access token goes along off loopback
    api.download(exportLink.getAttribute("href").replace(/^\/api/, "")).catch((error) => { composerError.textContent = error.message; });
  });
  const picker = createModelPicker({ onChange: updateComposer });
  const settingsToggle = el("button", { type: "button", class: "icon-btn", "aria-label": "Conversation settings", "aria-expanded": "false", title: "Conversation settings" }, icon("sliders"));
  const settingsPanel = el("aside", { class: "conv-settings", "aria-label": "Conversation settings", hidden: true });
  const messageList = el("div", { class: "message-list", "aria-live": "off" });
  const scroller = el("div", { class: "message-scroller" }, messageList);
  const empty = el("div", { class: "welcome" }, el("h2", { text: "Start a conversation" }),
    el("p", { text: "Pick a model above, type below, press Enter." }));

  const input = el("textarea", { rows: "2", placeholder: "Type a message — Enter to send, Shift+Enter for a new line", "aria-label": "Message" });
  const fileInput = el("input", { type: "file", accept: "image/*", multiple: true, hidden: true, "aria-label": "Image file" });
  const attach = el("button", { type: "button", class: "icon-btn", "aria-label": "Attach image" }, icon("image"));
  const sendButton = el("button", { type: "button", class: "send-btn", "aria-label": "Send", title: "Send (Enter)" }, icon("send"));
  const stopButton = el("button", { type: "button", class: "send-btn stop-btn", "aria-label": "Stop", title: "Stop", hidden: true }, icon("stop"));
  const pendingList = el("div", { class: "pending-images" });
  const composerError = el("p", { class: "form-error", role: "alert" });
  const composer = el("div", { class: "composer" }, el("div", { class: "composer-box" },
    pendingList, input,
    el("div", { class: "composer-bar" }, attach, fileInput, el("span", { class: "spacer" }),
      el("span", { class: "composer-hint", text: "Shift+Enter: new line" }), sendButton, stopButton)),
  composerError);

  const column = el("div", { class: "chat-column" }, scroller, empty, composer);
  root.append(el("div", { class: "chat" }, sidebar, el("div", { class: "chat-main" },
    el("header", { class: "chat-topbar" }, title, picker.button, exportLink, settingsToggle),
    el("div", { class: "chat-body" }, column, settingsPanel))));

  // ---- Conversations ----
  async function refreshConversations() {
    conversations = await api.get("/conversations");
    await renderConversations();
  }

  const searchMessages = debounce(() => renderConversations(), 250);
  async function renderConversations() {
    const query = search.value.trim();
    let shown = conversations;
    if (query) {
      const hits = await api.get(`/search${api.query({ q: query })}`).catch(() => []);
      const hitIds = new Set(hits.map((hit) => hit.conversation_id));
      shown = conversations.filter((c) => hitIds.has(c.id) || matches(query, c.title));
    }
    replaceChildren(convList, shown.length ? shown.map(conversationItem)
      : el("li", { class: "empty", text: query ? "No match" : "No conversations yet" }));
  }

  function conversationItem(item) {
    const name = item.title || "New conversation";
    const rename = el("button", { type: "button", class: "icon-btn icon-btn-sm", "aria-label": `Rename ${name}`, title: "Rename" }, icon("edit"));
    const remove = el("button", { type: "button", class: "icon-btn icon-btn-sm danger", "aria-label": `Delete ${name}`, title: "Delete" }, icon("trash"));
    rename.addEventListener("click", async () => {
      const newTitle = await promptDialog("Rename conversation", "Title", item.title);
      if (newTitle === null) return;
      const updated = await api.patch(`/conversations/${item.id}`, { title: newTitle });
      Object.assign(item, updated);
      if (conversation?.id === item.id) {
        conversation = updated;
        title.textContent = updated.title || "New conversation";
      }
      renderConversations();
    });
    remove.addEventListener("click", async () => {
      if (!await confirmDialog("Delete conversation", `Delete “${name}” and all its messages?`)) return;
      await api.del(`/conversations/${item.id}`);
      conversations = conversations.filter((c) => c.id !== item.id);
      if (conversation?.id === item.id) navigate("/chat");
      else renderConversations();
    });
    return el("li", { class: `conv-item${conversation?.id === item.id ? " active" : ""}` },
      el("a", { class: "conv-title", href: `/chat/${item.id}`, text: name, title: name }),
      rename, remove);
  }

  // ---- Opening a conversation and its history pages ----
  async function open(id) {
    const token = ++openToken;
    stopRunning();
    turns = [];
    messageList.replaceChildren();
    hasOlder = false;
    pendingImages = [];
    renderPending();
    if (!id) {
      conversation = null;
      draftSettings = {};
      title.textContent = "New conversation";
      showEmptyState();
      renderSettings();
      renderConversations();
      input.focus();
      return;
    }
    try {
      const [loaded, page] = await Promise.all([
        api.get(`/conversations/${id}`),
        api.get(`/conversations/${id}/messages${api.query({ limit: PAGE_SIZE })}`),
      ]);
      if (token !== openToken) return;
      conversation = loaded;
      title.textContent = loaded.title || "New conversation";
      showPage(page);
    } catch (error) {
      if (token !== openToken) return;
      conversation = null;
      title.textContent = "Conversation not found";
      messageList.replaceChildren(el("p", { class: "form-error", text: error.message }));
      empty.hidden = true;
      scroller.hidden = false;
    }
    renderSettings();
    renderConversations();
    scrollToBottom();
  }

  function showPage(page) {
    turns = turnsFrom(page.messages, handlers);
    hasOlder = page.has_more;
    messageList.replaceChildren(...turns.map((t) => t.element));
    showEmptyState();
  }

  async function loadOlder() {
    if (!hasOlder || loadingOlder || !conversation) return;
    const firstId = turns[0]?.user?.id ?? turns[0]?.answerViews[0]?.message?.id;
    if (!firstId) return;
    loadingOlder = true;
    const conversationId = conversation.id;
    try {
      const page = await api.get(`/conversations/${conversationId}/messages${api.query({ limit: PAGE_SIZE, before: firstId })}`);
      if (conversation?.id !== conversationId) return;
      const older = turnsFrom(page.messages, handlers);
      // A page may end with a user message whose answer opens the next page: join them.
      const lastOlder = older[older.length - 1];
      if (lastOlder && !lastOlder.answerViews.length && turns[0] && !turns[0].user) {
        turns[0].setUser(lastOlder.user);
        older.pop();
      }
      const previousHeight = scroller.scrollHeight;
      messageList.prepend(...older.map((t) => t.element));
      turns = [...older, ...turns];
      scroller.scrollTop += scroller.scrollHeight - previousHeight;
      hasOlder = page.has_more;
    } finally {
      loadingOlder = false;
    }
  }

  scroller.addEventListener("scroll", () => { if (scroller.scrollTop < 300) loadOlder(); }, { passive: true });

  function showEmptyState() {
    const nothing = turns.length === 0;
    empty.hidden = !nothing;
    scroller.hidden = nothing;
  }

  const nearBottom = () => scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 80;
  function scrollToBottom() {
    scroller.scrollTop = scroller.scrollHeight;
  }

  // ---- Conversation settings ----
  function renderSettings() {
    exportLink.hidden = !conversation;
    if (conversation) exportLink.href = `/api/conversations/${conversation.id}/export?format=markdown`;
    const values = conversation?.settings ?? draftSettings;
    const save = async (key, value) => {
      if (!conversation) { draftSettings[key] = value; return; }
      conversation = await api.patch(`/conversations/${conversation.id}`, { settings: { [key]: value } });
    };
    const withError = (control, key, parse) => {
      const error = el("p", { class: "form-error", role: "alert" });
      control.addEventListener("change", async () => {
        error.textContent = "";
        try { await save(key, parse(control.value)); } catch (failure) { error.textContent = failure.message; }
      });
      return error;
    };
    const prompt = el("textarea", { rows: "5", placeholder: "You are a helpful assistant." });
    prompt.value = values.system_prompt ?? "";
    const parts = [el("h2", { text: "Conversation settings" }),
      field("System prompt", prompt, withError(prompt, "system_prompt", (v) => v.trim() || null)).wrapper];
    for (const setting of SETTINGS) {
      const number = el("input", { type: "number", min: setting.min, max: setting.max, step: setting.step, placeholder: "Default" });
      number.value = values[setting.key] ?? "";
      parts.push(field(setting.label, number, withError(number, setting.key, (v) => (v === "" ? null : Number(v)))).wrapper);
    }
    parts.push(el("p", { class: "hint", text: "Empty fields use the provider's default. Context count: how many earlier messages are sent." }));
    replaceChildren(settingsPanel, parts);
  }

  settingsToggle.addEventListener("click", () => {
    settingsPanel.hidden = !settingsPanel.hidden;
    settingsToggle.setAttribute("aria-expanded", String(!settingsPanel.hidden));
  });

  // ---- Composer ----
  function updateComposer() {
    const streaming = running !== null;
    sendButton.hidden = streaming;
    stopButton.hidden = !streaming;
    const canSee = picker.selected().some((m) => m.capabilities?.includes("vision"));
    attach.disabled = !canSee;
    attach.title = canSee ? "Attach image" : "The selected model cannot see images";
  }

  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      send();
    }
  });
  input.addEventListener("input", () => {
    input.style.height = "auto";
    input.style.height = `${Math.min(input.scrollHeight, 240)}px`;
  });
  sendButton.addEventListener("click", send);
  stopButton.addEventListener("click", stop);
  attach.addEventListener("click", () => fileInput.click());
  fileInput.addEventListener("change", async () => {
    for (const file of fileInput.files) pendingImages.push(await readImage(file));
    fileInput.value = "";
    renderPending();
  });

  function readImage(file) {
    return new Promise((resolve, reject) => {
      const reader = new FileReader();
      reader.onload = () => {
        const [head, data] = String(reader.result).split(",", 2);
        resolve({ type: "image", data, media_type: head.slice(5).replace(";base64", "") || file.type, url: "" });
      };
      reader.onerror = () => reject(reader.error);
      reader.readAsDataURL(file);
    });
  }

  function renderPending() {
    replaceChildren(pendingList, pendingImages.map((image, index) => el("div", { class: "pending-image" },
      el("img", { alt: `Image ${index + 1} to send`, src: `data:${image.media_type};base64,${image.data}` }),
      el("button", {
        type: "button", class: "icon-btn", "aria-label": `Remove image ${index + 1}`,
        onclick: () => { pendingImages.splice(index, 1); renderPending(); },
      }, icon("close")))));
  }

  function targets() {
    return picker.selected().map((m) => ({ provider: m.provider_id, model: m.model_id }));
  }

  async function send() {
    const text = input.value.trim();
    if (running || (!text && !pendingImages.length)) return;
    composerError.textContent = "";
    if (!targets().length) {
      composerError.textContent = "Pick a model first: press the model button at the top. Models come from Settings → Model services.";
      return;
    }
    try {
      if (!conversation) {
        conversation = await api.post("/conversations", { title: "", settings: draftSettings });
        conversations.unshift(conversation);
        history.replaceState(null, "", `/chat/${conversation.id}`);
        openToken += 1;
        renderSettings();
        renderConversations();
      }
    } catch (error) {
      composerError.textContent = error.message;
      return;
    }
    const images = pendingImages;
    const parts = images.length ? [{ type: "text", text }, ...images] : undefined;
    input.value = "";
    input.style.height = "";
    pendingImages = [];
    renderPending();
    const turn = new TurnView(handlers);
    turn.setUser({ content: text, parts: images });
    appendTurn(turn);
    await runTurn(`/conversations/${conversation.id}/messages`, { content: text, parts, targets: targets() }, turn);
  }

  function appendTurn(turn) {
    turns.push(turn);
    messageList.append(turn.element);
    showEmptyState();
    scrollToBottom();
  }

  /** Drop `turn` and every turn after it (a new branch replaces them). */
  function removeFrom(turn) {
    const index = turns.indexOf(turn);
    if (index < 0) return;
    for (const gone of turns.splice(index)) gone.element.remove();
  }

  /** Run one streamed turn into `turn`: create answers on `start`, fill them, finish on `done`. */
  async function runTurn(path, body, turn) {
    const views = new Map();
    running = { controller: new AbortController(), views, turn };
    updateComposer();
    const follow = () => { if (nearBottom()) scrollToBottom(); };
    const onEvent = (event) => {
      const view = views.get(event.answer_id);
      switch (event.type) {
        case "user": turn.setUser(event.message); break;
        case "start": views.set(event.answer_id, turn.addAnswer(event)); break;
        case "delta": view?.appendDelta(event.text); return;
        case "reasoning": view?.appendReasoning(event.text); break;
        case "block": view?.appendBlock(event.html); break;
        case "tail": view?.setTail(event.html); break;
        case "done": view?.finish(event.message); break;
        case "error": (view ?? turn).showError(event.error); break;
        default: return;
      }
      follow();
    };
    try {
      await api.stream(path, body, onEvent, running.controller.signal);
    } catch (error) {
      turn.showError(error);
    } finally {
      for (const view of views.values()) {
        if (view.element.classList.contains("streaming")) view.showError({ kind: "stopped", message: "The stream ended early." });
      }
      running = null;
      updateComposer();
      showAlternativeCounts(turn);
      refreshConversations().then(() => {
        const current = conversations.find((c) => c.id === conversation?.id);
        if (current) { conversation = current; title.textContent = current.title || "New conversation"; }
      });
    }
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

  async function stop() {
    if (!running) return;
    const streamingId = [...running.views.entries()].find(([, view]) => view.element.classList.contains("streaming"))?.[0];
    if (streamingId === undefined) {
      running.controller.abort();
      return;
    }
    try {
      await api.post(`/answers/${streamingId}/stop`);
    } catch {
      running?.controller.abort();
    }
  }

  function stopRunning() {
    running?.controller.abort();
  }

  // ---- Message actions ----
  const handlers = {
    async regenerate(answer) {
      if (running || !answer.message) return;
      const turn = answer.turn;
      removeFrom(turns[turns.indexOf(turn) + 1] ?? null);
      turn.removeAnswers();
      const body = targets().length ? { targets: targets() } : {};
      await runTurn(`/answers/${answer.message.id}/regenerate`, body, turn);
    },
    async edit(turn, content) {
      if (running || !turn.user?.id) return;
      const messageId = turn.user.id;
      const replacement = new TurnView(handlers);
      replacement.setUser({ content, parts: [] });
      removeFrom(turn);
      appendTurn(replacement);
      await runTurn(`/messages/${messageId}/edit`, { content, targets: targets() }, replacement);
    },
    async browse(message, step) {
      if (running) return;
      const alternatives = await api.get(`/messages/${message.id}/alternatives`);
      const index = alternatives.findIndex((m) => m.id === message.id) + step;
      if (!alternatives[index]) return;
      const result = await api.post(`/messages/${alternatives[index].id}/select`);
      const keepScroll = scroller.scrollTop;
      conversation = result.conversation;
      showPage(result);
      scroller.scrollTop = keepScroll;
    },
  };

  // ---- Routing ----
  async function onRoute(event) {
    const id = event.detail.id;
    if (id && id === conversation?.id && turns.length) return;
    await open(id);
  }

  newButton.addEventListener("click", () => navigate("/chat"));
  search.addEventListener("input", searchMessages);
  root.addEventListener("route", onRoute);
  picker.load().then(updateComposer);
  refreshConversations();
  return () => {
    stopRunning();
    picker.destroy();
    root.removeEventListener("route", onRoute);
  };
}
