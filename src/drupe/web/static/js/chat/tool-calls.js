// Tool calls in an answer: each round of calls (what the model said first, then one card per call)
// comes before the answer's final text. A card shows the tool, its arguments, where the call is,
// Run / Deny / "Always allow this tool" while it waits for the user, and its result in a fold.
// Everything from the model, the tools and the servers goes in as text (textContent); only the
// server's sanitised Markdown html of a round's text goes in with innerHTML.

import { el, formatMs, replaceChildren } from "../dom.js";
import { t } from "../i18n.js";
import { icon } from "../icons.js";
import { showRemoteImages } from "../images.js";

/** A word from `table` (a function, read in the language loaded by then), else `otherwise`. */
function wordFor(table, key, otherwise) {
  const words = table();
  return Object.hasOwn(words, key) ? words[key] : otherwise;
}

const statusWords = () => ({
  awaiting: t("Waiting for your approval"),
  running: t("Running"),
  ok: t("Done"),
  error: t("Failed"),
  denied: t("Not run"),
  cancelled: t("Cancelled"),
});

const resultWords = () => ({
  ok: t("Result"),
  error: t("Error"),
  denied: t("Why it did not run"),
  cancelled: t("Why it did not finish"),
});

/** How a person reads a call: `server.tool`, or the name the model used for a tool it was not offered. */
export function callTitle(call) {
  return call.server ? `${call.server}.${call.tool}` : call.name;
}

/** The arguments as indented JSON when they are JSON; as the model wrote them when not. */
export function prettyArguments(text) {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

/** One round: its reasoning and text (moved in from the streaming answer, or drawn from the stored
 * step), then its cards. `decide(callId, decision)` posts a decision and resolves when it is taken. */
export function createRound(decide, markdown, reasoningBlock = null) {
  markdown.classList.remove("typing");
  const calls = el("div", { class: "tool-calls" });
  const element = el("div", { class: "tool-round" }, reasoningBlock, markdown, calls);
  return { element, calls, cards: new Map(), decide };
}

/** A stored step (`tool_steps[i]` of a message, its text rendered as `html`) as a round. */
export function storedRound(step, html, decide) {
  const markdown = el("div", { class: "markdown" });
  markdown.innerHTML = html;
  showRemoteImages(markdown);
  const reasoning = step.reasoning
    ? el("details", { class: "reasoning" }, el("summary", { text: t("Reasoning") }), el("div", { class: "reasoning-text", text: step.reasoning }))
    : null;
  const round = createRound(decide, markdown, reasoning);
  for (const call of step.calls) showCall(round, call);
  return round;
}

/** Show `call` in its round: a new card, or the card of the same call redrawn. */
export function showCall(round, call) {
  let card = round.cards.get(call.id);
  if (!card) {
    card = el("div", { class: "tool-call", role: "group" });
    round.cards.set(call.id, card);
    round.calls.append(card);
  }
  drawCard(card, call, round.decide);
}

function drawCard(card, call, decide) {
  const title = callTitle(call);
  card.className = `tool-call tool-call-${call.status}`;
  card.setAttribute("aria-label", t("Tool call {tool}", { tool: title }));
  card.dataset.status = call.status;
  const badge = el("span", { class: "badge tool-status", text: wordFor(statusWords, call.status, call.status) });
  const head = el("div", { class: "tool-call-head" },
    icon("function_calling", "icon icon-xs"),
    el("code", { class: "tool-name", text: title }),
    badge,
    call.duration_ms != null ? el("span", { class: "tool-time", text: formatMs(call.duration_ms) }) : null);
  const args = el("pre", { class: "tool-args", "aria-label": t("Arguments") }, el("code", { text: prettyArguments(call.arguments) }));
  replaceChildren(card, head, args,
    call.status === "awaiting" ? decisionButtons(call, decide, badge) : null,
    call.result ? resultFold(call) : null);
}

const decidedWords = () => ({
  run: [t("Approved"), t("It runs once every call of this round is decided.")],
  always: [t("Approved"), t("Always allowed in this conversation from now on. It runs once every call of this round is decided.")],
  deny: [t("Denied"), ""],
});

/** Run / Deny / Always allow this tool. An approved call only runs once the round's other calls are
 * decided, so the card says so until then; a refused decision (the answer ended meanwhile) says why. */
function decisionButtons(call, decide, badge) {
  const error = el("p", { class: "form-error", role: "alert" });
  const decision = el("div", { class: "tool-decision" });
  const buttons = [
    el("button", { type: "button", class: "btn btn-sm btn-primary", text: t("Run"), dataset: { decision: "run" } }),
    el("button", { type: "button", class: "btn btn-sm btn-danger", text: t("Deny"), dataset: { decision: "deny" } }),
    el("button", { type: "button", class: "btn btn-sm", text: t("Always allow this tool"), dataset: { decision: "always" } }),
  ];
  buttons[2].title = t("Run {tool} without asking from now on, in this conversation", { tool: callTitle(call) });
  for (const button of buttons) {
    button.addEventListener("click", async () => {
      error.textContent = "";
      for (const other of buttons) other.disabled = true;
      try {
        await decide(call.id, button.dataset.decision);
        const [status, note] = decidedWords()[button.dataset.decision];
        badge.textContent = status;
        replaceChildren(decision, note ? el("p", { class: "tool-decided", text: note }) : null);
      } catch (failure) {
        error.textContent = failure.message ?? String(failure);
        for (const other of buttons) other.disabled = false;
      }
    });
  }
  return replaceChildren(decision, el("div", { class: "buttons" }, buttons), error);
}

function resultFold(call) {
  const label = wordFor(resultWords, call.status, t("Result"));
  return el("details", { class: "tool-result" },
    el("summary", { text: label }),
    el("pre", { "aria-label": label }, el("code", { text: call.result })));
}
