// The Add / Edit MCP server dialog: name, transport (stdio or HTTP), the command and its
// arguments or the URL, environment variables or headers as NAME = value rows, timeout, and
// whether its tool calls wait for the user. Secrets come masked and go back as they came:
// the server keeps the stored value behind an unchanged mask.

import * as api from "../api.js";
import { el, field, uniqueId } from "../dom.js";
import { openDialog } from "../dialogs.js";
import { icon } from "../icons.js";
import { t } from "../i18n.js";

const STDIO_WARNING = () => t("An stdio server is a program drupe starts on this computer, as you (the user running drupe), with exactly the command and arguments typed here: it can read, change and send anything you can. Add only commands you trust.");

/** "Add MCP server" (`server` null) or "Edit MCP server"; resolves the saved server or null. */
export function serverDialog(server) {
  const form = serverForm(server);
  return openDialog({
    title: server ? t("Edit MCP server {name}", { name: server.name }) : t("Add MCP server"),
    className: "dialog-wide",
    content: form.element,
    actions: [{
      label: server ? t("Save") : t("Add"), kind: "primary",
      run: () => (server
        ? api.patch(`/mcp-servers/${api.seg(server.name)}`, form.read())
        : api.post("/mcp-servers", form.read())),
    }],
  });
}

/** The form's parts and `read()`, the body to send: every field, the other transport's emptied. */
function serverForm(server) {
  const name = el("input", { type: "text", value: server?.name ?? "", placeholder: t("e.g. {example}", { example: "time" }), maxlength: "32", spellcheck: "false" });
  const transport = radioGroup(t("Transport"), "transport", [
    { value: "stdio", label: "stdio", hint: t("a command drupe starts") },
    { value: "http", label: "HTTP", hint: t("a Streamable HTTP URL") },
  ], server?.transport ?? "stdio");
  const command = el("input", { type: "text", value: server?.command ?? "", placeholder: t("e.g. {example}", { example: "uvx" }), spellcheck: "false" });
  const args = el("textarea", { rows: "3", spellcheck: "false", placeholder: "mcp-server-time\n--local-timezone=UTC" });
  args.value = (server?.args ?? []).join("\n");
  const env = pairRows({
    title: t("Environment variables"), add: t("Add variable"), pairs: server?.env, namePlaceholder: t("NAME"),
    nameLabel: (n) => t("Variable {n} name", { n }), valueLabel: (n) => t("Variable {n} value", { n }),
    removeLabel: (n) => t("Remove variable {n}", { n }),
  });
  const url = el("input", { type: "url", value: server?.url ?? "", placeholder: "http://127.0.0.1:8000/mcp", spellcheck: "false" });
  const headers = pairRows({
    title: t("Headers"), add: t("Add header"), pairs: server?.headers, namePlaceholder: t("Header"),
    nameLabel: (n) => t("Header {n} name", { n }), valueLabel: (n) => t("Header {n} value", { n }),
    removeLabel: (n) => t("Remove header {n}", { n }),
  });
  const timeout = el("input", { type: "number", min: "1", step: "1", value: String(server?.timeout ?? 60) });
  const approval = radioGroup(t("Tool calls"), "approval", [
    { value: "ask", label: t("Ask before each call") },
    { value: "always", label: t("Always allow") },
  ], server?.approval ?? "ask");

  const stdioPart = el("div", { class: "transport-part" },
    el("p", { class: "warning", role: "note" }, el("strong", { text: t("Runs as you.") }), " ", STDIO_WARNING()),
    field(t("Command"), command).wrapper,
    field(t("Arguments"), args, el("p", { class: "hint", text: t("One per line, each passed as it is (no shell).") })).wrapper,
    env.element);
  const httpPart = el("div", { class: "transport-part" }, field(t("URL"), url).wrapper, headers.element);
  const showTransport = () => {
    const stdio = transport.value() === "stdio";
    stdioPart.hidden = !stdio;
    httpPart.hidden = stdio;
  };
  transport.element.addEventListener("change", showTransport);
  showTransport();

  const read = () => {
    const stdio = transport.value() === "stdio";
    return {
      name: name.value.trim(),
      transport: transport.value(),
      command: stdio ? command.value.trim() : "",
      args: stdio ? args.value.split("\n").map((line) => line.trim()).filter(Boolean) : [],
      env: stdio ? env.read() : {},
      url: stdio ? "" : url.value.trim(),
      headers: stdio ? {} : headers.read(),
      timeout: Number(timeout.value),
      approval: approval.value(),
    };
  };
  return {
    element: [field(t("Name"), name, el("p", { class: "hint", text: t("Letters, digits, - and _: it prefixes its tools' names.") })).wrapper,
      transport.element, stdioPart, httpPart, field(t("Timeout (seconds)"), timeout).wrapper, approval.element],
    read,
  };
}

/** Radio buttons in a labelled group; `value()` is the checked one's. */
function radioGroup(legend, name, options, checked) {
  const group = uniqueId(name);
  const element = el("fieldset", { class: "field radio-group" },
    el("legend", { class: "field-label", text: legend }),
    el("div", { class: "segmented" }, options.map((option) => el("label", { class: "segment" },
      el("input", { type: "radio", name: group, value: option.value, checked: option.value === checked }),
      el("span", { text: option.label }),
      option.hint ? el("span", { class: "hint", text: option.hint }) : null))));
  return { element, value: () => element.querySelector("input:checked")?.value };
}

/** NAME = value rows, with + Add and a remove button per row; `read()` is them as an object. */
function pairRows({ title, add: addLabel, pairs = {}, namePlaceholder, nameLabel, valueLabel, removeLabel }) {
  const rows = el("div", { class: "header-rows" });
  const addRow = (key = "", value = "") => {
    const number = rows.children.length + 1;
    const nameInput = el("input", { type: "text", value: key, placeholder: namePlaceholder, spellcheck: "false", "aria-label": nameLabel(number) });
    const valueInput = el("input", { type: "text", value, placeholder: t("Value"), spellcheck: "false", "aria-label": valueLabel(number) });
    const remove = el("button", { type: "button", class: "icon-btn danger", "aria-label": removeLabel(number) }, icon("trash"));
    const row = el("div", { class: "header-row" }, nameInput, el("span", { class: "pair-equals", text: "=" }), valueInput, remove);
    remove.addEventListener("click", () => row.remove());
    rows.append(row);
    return nameInput;
  };
  for (const [key, value] of Object.entries(pairs ?? {})) addRow(key, value);
  const add = el("button", { type: "button", class: "btn btn-sm" }, icon("plus"), addLabel);
  add.addEventListener("click", () => addRow().focus());
  const read = () => {
    const values = {};
    for (const row of rows.children) {
      const [key, value] = row.querySelectorAll("input");
      if (key.value.trim()) values[key.value.trim()] = value.value;
    }
    return values;
  };
  return {
    element: el("div", { class: "section" }, el("div", { class: "section-head" }, el("h3", { text: title }), add), rows),
    read,
  };
}
