// The message list: turns (a user message and its answers), history pages, streaming answers.
// Server HTML (already sanitised Markdown) goes in with innerHTML; all other text via textContent.
// Remote images in it are placeholders that load on request (images.js).

import { copyToClipboard } from "./copy.js";
import { avatar, el, formatMs, replaceChildren } from "./dom.js";
import { kindWords } from "./errors.js";
import { formatNumber, t, tn } from "./i18n.js";
import { icon } from "./icons.js";
import { showRemoteImages } from "./images.js";
import { attachmentsOf } from "./chat/attachments.js";
import { createRound, showCall, storedRound } from "./chat/tool-calls.js";

function actionButton(label, iconName, onClick) {
  return el("button", { type: "button", class: "icon-btn icon-btn-sm", "aria-label": label, title: label, onclick: onClick }, icon(iconName));
}

async function copyText(text, button) {
  await copyToClipboard(text);
  button.replaceChildren(icon("check"));
  setTimeout(() => button.replaceChildren(icon("copy")), 1200);
}

/** ‹ 2/3 › for a message that has alternatives; `browse(+1|-1)` switches. */
function alternativesNav(siblings, browse) {
  if (!siblings || siblings.count < 2) return null;
  const previous = actionButton(t("Previous alternative"), "chevronLeft", () => browse(-1));
  const next = actionButton(t("Next alternative"), "chevronRight", () => browse(1));
  previous.disabled = siblings.index === 0;
  next.disabled = siblings.index >= siblings.count - 1;
  return el("span", { class: "alt-nav" }, previous, el("span", { text: `${formatNumber(siblings.index + 1)}/${formatNumber(siblings.count)}` }), next);
}

/** Why an answer ended, in plain words; a normal finish (`stop`) and errors (shown as such) have none.
 * A function, as every table of words here: the words are read in the language loaded by then. */
const stopReasons = () => ({
  length: t("Stopped: token limit"),
  tool_calls: t("Stopped: the model asked to use a tool"),
  content_filter: t("Stopped by the provider's content filter"),
  cut_off: t("Cut off: the provider's answer ended early"),
  size_limit: t("Stopped: size limit reached"),
  step_limit: t("Stopped: reached this conversation's cap on rounds of tool calls"),
  cancelled: t("Stopped by you"),
  interrupted: t("Interrupted: drupe stopped while this answer came"),
});

/** What to do about an answer's error, where the page can say more than the error itself. */
const errorAdvice = (kind) => ({
  tools_refused: t("This model or provider may not support tool calls: turn tools off in the Tools menu below, or pick a model that can use them."),
  mcp: t("Check the MCP server in Settings → MCP servers, or turn it off for this conversation in the Tools menu below."),
})[kind] ?? null;

/** Earlier messages the server left out of the request to fit the model's context window. */
function leftOutWords(count) {
  return tn("{n} earlier message left out to fit the context window", "{n} earlier messages left out to fit the context window", count);
}

function stopWords(message) {
  if (message.status === "error" || message.stop_reason === "stop") return null;
  const reason = message.stop_reason;
  const words = stopReasons();
  if (reason) return Object.hasOwn(words, reason) ? words[reason] : t("Stopped: {reason}", { reason });
  return message.status === "stopped" ? t("Stopped") : null;
}

/** A count of tokens as the language writes numbers; a dash when the provider did not say. */
const tokenCount = (count) => (count == null ? "–" : formatNumber(count));

/** One answer: built empty and streamed into, or filled at once from a stored message. Rounds of
 * tool calls (chat/tool-calls.js) come before the text being streamed, which is the final one. */
export class AnswerView {
  constructor({ answer_id: answerId, id, provider, model }, handlers) {
    this.handlers = handlers;
    this.answerId = answerId ?? id;
    this.message = null;
    this.text = "";
    this.rounds = el("div", { class: "tool-rounds" });
    this.roundViews = [];
    this.newText();
    this.reasoningText = null;
    this.reasoningBlock = null;
    this.meta = el("div", { class: "message-meta" });
    this.actions = el("div", { class: "message-actions" });
    this.head = el("div", { class: "message-head" },
      avatar(provider || model || "?", true),
      el("span", { class: "model", text: model ?? "" }),
      provider ? el("span", { text: `· ${provider}` }) : null);
    this.body = el("div", { class: "message-content" }, this.head, this.rounds, this.markdown, this.meta, this.actions);
    this.element = el("article", { class: "message message-assistant streaming", "aria-label": t("Answer from {model}", { model: model ?? "?" }) }, this.body);
  }

  /** Stream into a finished answer again (Continue): what it shows stays, the new text follows. */
  resume() {
    this.element.classList.add("streaming");
    this.tail = el("div", { class: "md-tail" });
    this.markdown.append(this.tail);
    this.actions.replaceChildren();
    this.meta.replaceChildren();
    return this;
  }

  /** An empty text to stream into (the answer's first, or the one after a round of calls). */
  newText() {
    this.text = "";
    this.markdown = el("div", { class: "markdown typing" });
    this.tail = el("div", { class: "md-tail" });
    this.markdown.append(this.tail);
  }

  /** A `tool_call` event: the first of a round ends the text streamed so far, which becomes the
   * round's; a later one redraws its call's card. */
  toolCall(step, call) {
    if (!this.roundViews[step]) {
      const round = createRound(this.decider(), this.markdown, this.reasoningBlock);
      this.roundViews[step] = round;
      this.rounds.append(round.element);
      this.reasoningBlock = this.reasoningText = null;
      this.newText();
      this.rounds.after(this.markdown);
    }
    showCall(this.roundViews[step], call);
  }

  decider() {
    return (callId, decision) => this.handlers.decide(this.answerId, callId, decision);
  }

  appendReasoning(text) {
    if (!this.reasoningText) {
      this.reasoningText = el("div", { class: "reasoning-text" });
      this.reasoningBlock = el("details", { class: "reasoning", open: true }, el("summary", { text: t("Reasoning") }), this.reasoningText);
      this.markdown.before(this.reasoningBlock);
    }
    this.reasoningText.append(text);
  }

  appendDelta(text) {
    this.text += text;
  }

  /** A finished Markdown block: appended once, never rendered again. */
  appendBlock(html) {
    this.markdown.classList.remove("typing");
    this.tail.insertAdjacentHTML("beforebegin", html);
    showRemoteImages(this.markdown);
  }

  /** The unfinished rest: only the tail element is replaced. */
  setTail(html) {
    this.markdown.classList.remove("typing");
    this.tail.innerHTML = html;
    showRemoteImages(this.tail);
  }

  /** The answer as stored: its whole html, metrics, and actions. */
  finish(message) {
    this.message = message;
    this.answerId = message.id;
    this.text = message.content ?? this.text;
    this.roundViews = (message.tool_steps ?? []).map((step, index) =>
      storedRound(step, message.tool_steps_html?.[index] ?? "", this.decider()));
    this.rounds.replaceChildren(...this.roundViews.map((round) => round.element));
    this.element.classList.remove("streaming");
    this.element.dataset.id = message.id;
    this.element.dataset.status = message.status;
    this.markdown.classList.remove("typing");
    this.markdown.innerHTML = message.html ?? "";
    showRemoteImages(this.markdown);
    if (message.reasoning) {
      if (!this.reasoningText) this.appendReasoning("");
      this.reasoningText.textContent = message.reasoning;
      this.reasoningBlock.open = false;
    } else if (this.reasoningBlock) {
      this.reasoningBlock.remove();
    }
    this.body.querySelector(".message-error")?.remove();
    if (message.status === "error") {
      const advice = errorAdvice(message.error_kind);
      this.meta.before(el("div", { class: "message-error", role: "alert" },
        el("span", { class: "kind", text: kindWords(message.error_kind) }), message.error ?? t("The answer failed."),
        advice ? el("div", { class: "hint", text: advice }) : null));
    }
    if (message.save_error) {
      this.meta.before(el("div", { class: "message-error", role: "alert" },
        el("span", { class: "kind", text: t("not saved") }),
        t("This answer could not be saved ({reason}); copy it if you need it. The server tries again with the next message.",
          { reason: message.save_error.message })));
    }
    this.renderMeta(message);
    this.renderActions();
  }

  /** Where this answer sits among its alternatives ({index, count}), for ‹ 1/2 ›. */
  setSiblings(siblings) {
    this.message = { ...this.message, siblings };
    this.renderActions();
  }

  renderActions() {
    const cut = this.message.stop_reason === "length";
    replaceChildren(this.actions,
      cut ? el("button", { type: "button", class: "btn btn-sm", text: t("Continue"), title: t("Have the model go on from where it stopped"),
        onclick: () => this.handlers.continueAnswer(this) }) : null,
      actionButton(t("Regenerate"), "refresh", () => this.handlers.regenerate(this)),
      actionButton(t("Copy"), "copy", (event) => copyText(this.text, event.currentTarget)),
      actionButton(t("Delete answer"), "trash", () => this.handlers.remove(this.message)),
      alternativesNav(this.message.siblings, (step) => this.handlers.browse(this.message, step)));
  }

  /** Why it stopped, earlier messages left out, tokens in/out, time to first token, tokens per second. */
  renderMeta(message) {
    const { input_tokens: tokensIn, output_tokens: tokensOut } = message.usage ?? {};
    const { time_to_first_token_ms: firstToken, tokens_per_second: rate } = message.timings ?? {};
    const stopped = stopWords(message);
    const items = [
      stopped ? el("span", { class: "badge", title: t("Why the answer ended"), text: stopped }) : null,
      message.left_out ? el("span", { class: "left-out", title: t("What was sent to the model"), text: leftOutWords(message.left_out) }) : null,
      tokensIn != null || tokensOut != null
        ? el("span", { class: "tokens", title: t("Tokens in / out"),
          text: t("Tokens {input} in · {output} out", { input: tokenCount(tokensIn), output: tokenCount(tokensOut) }) }) : null,
      firstToken != null
        ? el("span", { class: "first-token", title: t("Time to first token"), text: t("First token {time}", { time: formatMs(firstToken) }) }) : null,
      rate != null ? el("span", { class: "rate", title: t("Output speed"),
        text: t("{rate} tokens/s", { rate: formatNumber(rate, { minimumFractionDigits: 1, maximumFractionDigits: 1 }) }) }) : null,
    ];
    this.meta.replaceChildren(...items.filter(Boolean));
  }

  showError(error) {
    this.element.classList.remove("streaming");
    this.markdown.classList.remove("typing");
    this.meta.before(el("div", { class: "message-error", role: "alert" },
      el("span", { class: "kind", text: kindWords(error.kind) }), error.message ?? ""));
  }
}

/** A user message and the answers to it. */
export class TurnView {
  constructor(handlers) {
    this.handlers = handlers;
    this.user = null;
    this.userElement = null;
    this.answers = el("div", { class: "answers" });
    this.answerViews = [];
    this.element = el("section", { class: "turn" }, this.answers);
  }

  /** Show the user message (a draft `{content, parts}` until the server stores it). */
  setUser(message) {
    this.user = message;
    const bubble = el("div", { class: "bubble", text: message.content, hidden: !message.content });  // files alone: no bubble
    const actions = el("div", { class: "message-actions" },
      message.id ? actionButton(t("Edit"), "edit", () => this.startEditing(bubble)) : null,
      actionButton(t("Copy"), "copy", (event) => copyText(message.content, event.currentTarget)),
      message.id ? actionButton(t("Delete message"), "trash", () => this.handlers.remove(message)) : null,
      alternativesNav(message.siblings, (step) => this.handlers.browse(message, step)));
    const cleaned = message.cleaned
      ? el("div", { class: "message-note", text: tn("Removed {n} character that cannot be stored (NUL or a broken surrogate).",
        "Removed {n} characters that cannot be stored (NUL or a broken surrogate).", message.cleaned) })
      : null;
    const content = el("div", { class: "message-content" }, attachmentsOf(message), bubble, cleaned, actions);
    const element = el("article", { class: "message message-user", "aria-label": t("Your message"), dataset: { id: message.id ?? "" } }, content);
    if (this.userElement) this.userElement.replaceWith(element);
    else this.element.prepend(element);
    this.userElement = element;
  }

  startEditing(bubble) {
    const box = el("textarea", { "aria-label": t("Edit message"), rows: "3" });
    box.value = this.user.content;
    const cancel = el("button", { type: "button", class: "btn btn-sm", text: t("Cancel") });
    const send = el("button", { type: "button", class: "btn btn-sm btn-primary", text: t("Save and send") });
    const editor = el("div", { class: "edit-box" }, box, el("div", { class: "buttons" }, cancel, send));
    bubble.replaceWith(editor);
    box.focus();
    cancel.addEventListener("click", () => editor.replaceWith(bubble));
    send.addEventListener("click", () => {
      if (box.value.trim()) this.handlers.edit(this, box.value);
    });
  }

  addAnswer(info) {
    const view = new AnswerView(info, this.handlers);
    view.turn = this;
    this.answerViews.push(view);
    this.answers.append(view.element);
    this.answers.classList.toggle("side-by-side", this.answerViews.length > 1);
    return view;
  }

  removeAnswers() {
    this.answerViews = [];
    this.answers.replaceChildren();
    this.answers.classList.remove("side-by-side");
  }

  showError(error) {
    this.answers.append(el("div", { class: "message-error", role: "alert" },
      el("span", { class: "kind", text: kindWords(error.kind) }), error.message ?? ""));
  }
}

/** Group a page of branch messages (oldest first) into turns. */
export function turnsFrom(messages, handlers) {
  const turns = [];
  let turn = null;
  for (const message of messages) {
    if (message.role === "user" || !turn) {
      turn = new TurnView(handlers);
      turns.push(turn);
      if (message.role === "user") {
        turn.setUser(message);
        continue;
      }
    }
    if (message.role === "assistant") turn.addAnswer(message).finish(message);
  }
  return turns;
}
