// The composer's Tools menu: which MCP servers (or single tools) the model may call in this
// conversation (`settings.tools`: server names, `server.tool`, or `all`), and the tools the user
// chose to always allow here (`settings.allowed_tools`), each removable. Every change is saved at
// once; before the first message it is kept in the draft settings the conversation is made with.

import * as api from "../api.js";
import { el, replaceChildren } from "../dom.js";
import { formatNumber, t } from "../i18n.js";
import { icon } from "../icons.js";

const ALL = "all";

/** The selectors turned on where the page is: the open conversation, or the draft of a new one. */
function chosenTools(page) {
  const { conversation, draftSettings } = page.state;
  return (conversation ? conversation.settings.tools : draftSettings.tools) ?? [];
}

export function createToolsMenu(page) {
  const count = el("span", { class: "tools-count" });
  const button = el("button", { type: "button", class: "tools-btn", "aria-haspopup": "dialog", "aria-expanded": "false" },
    icon("function_calling"), el("span", { text: t("Tools") }), count);
  const list = el("div", { class: "tools-list" });
  const allowed = el("div", { class: "tools-allowed" });
  const error = el("p", { class: "form-error", role: "alert" });
  const popover = el("div", { class: "picker-pop tools-pop", role: "dialog", "aria-label": t("Choose tools"), hidden: true },
    el("p", { class: "tools-pop-head", text: t("Tools the model may call. Each call waits for your Run unless its server or the tool is always allowed.") }),
    list, allowed, error);
  document.body.append(popover);
  const menu = { button, count, list, allowed, error, popover, servers: [], tools: new Map() };

  button.addEventListener("click", page.handle(async () => {
    if (!popover.hidden) return close(menu);
    popover.hidden = false;
    button.setAttribute("aria-expanded", "true");
    place(menu);
    await loadServers(page, menu);
  }));
  const listening = new AbortController();
  document.addEventListener("pointerdown", (event) => {
    if (!popover.hidden && !popover.contains(event.target) && !button.contains(event.target)) close(menu);
  }, { signal: listening.signal });
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && !popover.hidden) { close(menu); button.focus(); }
  }, { signal: listening.signal });
  menu.destroy = () => { listening.abort(); popover.remove(); };
  return menu;
}

function close(menu) {
  menu.popover.hidden = true;
  menu.button.setAttribute("aria-expanded", "false");
}

/** Above the button: the composer sits at the bottom of the window. */
function place(menu) {
  const box = menu.button.getBoundingClientRect();
  menu.popover.style.bottom = `${window.innerHeight - box.top + 6}px`;
  menu.popover.style.left = `${Math.max(8, Math.min(box.left, window.innerWidth - 372))}px`;
}

async function loadServers(page, menu) {
  menu.error.textContent = "";
  try {
    menu.servers = (await api.get("/mcp-servers")).filter((server) => server.enabled);
  } catch (failure) {
    menu.servers = [];
    menu.error.textContent = failure.message;
  }
  renderToolsMenu(page);
}

/** The button's count and, when open, the list, from the conversation's settings. */
export function renderToolsMenu(page) {
  const menu = page.ui.tools;
  const chosen = chosenTools(page);
  const all = chosen.includes(ALL);
  const n = formatNumber(chosen.length);
  menu.count.textContent = all ? t("All") : chosen.length ? n : "";
  menu.button.setAttribute("aria-label", all ? t("Tools: every enabled server") : chosen.length ? t("Tools: {n} on", { n }) : t("Tools: off"));
  menu.button.title = all ? t("Tools: every enabled MCP server") : chosen.length ? t("Tools: {names}", { names: chosen.join(", ") }) : t("Tools: none");
  menu.button.classList.toggle("on", chosen.length > 0);
  if (menu.popover.hidden) return;
  renderChoices(page, menu, chosen);
  renderAllowed(page, menu);
}

function renderChoices(page, menu, chosen) {
  const all = chosen.includes(ALL);
  const names = new Set(menu.servers.map((server) => server.name));
  const gone = chosen.filter((item) => item !== ALL && !names.has(item.split(".")[0]));
  const rows = [checkRow(t("All enabled servers"), all, false, (on) => save(page, on ? [ALL] : []))];
  for (const server of menu.servers) {
    const on = all || chosen.includes(server.name);
    const row = checkRow(server.name, on, all, (checked) => save(page, toggled(chosen, server.name, checked)),
      server.approval === "always" ? t("runs without asking") : "");
    const tools = menu.tools.get(server.name);
    rows.push(el("div", { class: "tools-server" }, row,
      tools ? toolRows(page, server.name, tools, chosen, on) : showToolsButton(page, menu, server.name)));
  }
  for (const item of gone) {
    rows.push(checkRow(item, true, false, (checked) => save(page, toggled(chosen, item, checked)), t("not available")));
  }
  if (!menu.servers.length && !menu.error.textContent) {
    rows.push(el("p", { class: "empty", text: t("No MCP servers are enabled. Add one in Settings → MCP servers.") }));
  }
  replaceChildren(menu.list, rows);
}

/** A server's tools, each a selector of its own (`server.tool`); all on while the whole server is. */
function toolRows(page, server, tools, chosen, serverOn) {
  if (typeof tools === "string") return el("p", { class: "form-error", text: tools });
  return el("div", { class: "tools-of-server" }, tools.map((tool) => {
    const selector = `${server}.${tool.name}`;
    return checkRow(tool.name, serverOn || chosen.includes(selector), serverOn,
      (checked) => save(page, toggled(chosen, selector, checked)), tool.description ?? "");
  }));
}

function showToolsButton(page, menu, server) {
  return el("button", {
    type: "button", class: "btn btn-sm tools-show", text: t("Show its tools"),
    onclick: page.handle(async () => {
      try {
        const checked = await api.post(`/mcp-servers/${api.seg(server)}/check`);
        menu.tools.set(server, checked.connected ? checked.tools : checked.error.message);
      } catch (failure) {
        menu.tools.set(server, failure.message);
      }
      renderToolsMenu(page);
    }),
  });
}

/** Tools always allowed in this conversation, each with a button that asks again from now on. */
function renderAllowed(page, menu) {
  const allowed = page.state.conversation?.settings.allowed_tools ?? [];
  replaceChildren(menu.allowed, allowed.length ? [
    el("p", { class: "tools-pop-head", text: t("Always allowed here (run without asking)") }),
    allowed.map((title) => el("div", { class: "tools-allowed-row" }, el("code", { text: title }),
      el("button", {
        type: "button", class: "icon-btn icon-btn-sm", "aria-label": t("Ask again before running {tool}", { tool: title }), title: t("Ask again"),
        onclick: page.handle(() => saveAllowed(page, allowed.filter((other) => other !== title))),
      }, icon("close")))),
  ] : []);
}

function checkRow(label, checked, disabled, onChange, note = "") {
  const box = el("input", { type: "checkbox", checked, disabled });
  box.addEventListener("change", () => onChange(box.checked));
  return el("div", { class: "tools-row" }, el("label", {}, box, el("span", { class: "name", text: label })),
    note ? el("span", { class: "hint", text: note }) : null);
}

function toggled(chosen, item, on) {
  const rest = chosen.filter((other) => other !== item && other !== ALL);
  return on ? [...rest, item] : rest;
}

async function save(page, tools) {
  const { conversation, draftSettings } = page.state;
  page.ui.tools.error.textContent = "";
  if (!conversation) {
    page.set({ draftSettings: { ...draftSettings, tools } });
    return;
  }
  try {
    const updated = await api.patch(`/conversations/${conversation.id}`, { settings: { tools } });
    if (page.state.conversation?.id === updated.id) page.set({ conversation: updated });
  } catch (failure) {
    page.ui.tools.error.textContent = failure.message;
    renderToolsMenu(page);
  }
}

async function saveAllowed(page, allowedTools) {
  const { conversation } = page.state;
  const updated = await api.patch(`/conversations/${conversation.id}`, { settings: { allowed_tools: allowedTools } });
  if (page.state.conversation?.id === updated.id) page.set({ conversation: updated });
}
