// The settings panel's custom parameters: rows of name, type (number, text, boolean, JSON) and
// value, added to every request body over the provider's own extra fields. The whole list is
// saved when a row changes; the server checks it and says which parameter to fix.

import { el, replaceChildren } from "../dom.js";
import { formatNumber, t } from "../i18n.js";
import { icon } from "../icons.js";

/** The value types, named when drawn (in the language loaded by then). */
const types = () => [["number", t("Number")], ["text", t("Text")], ["boolean", t("Boolean")], ["json", "JSON"]];

/** The editor for `params` (as stored); `save(list)` stores a new list and may throw. */
export function paramsEditor(params, save) {
  const rows = params.map((param) => ({ name: param.name, type: param.type, value: shown(param) }));
  const list = el("div", { class: "param-rows" });
  const error = el("p", { class: "form-error", role: "alert" });
  const add = el("button", { type: "button", class: "btn", text: t("Add parameter") });

  const commit = async () => {
    error.textContent = "";
    const filled = rows.filter((row) => row.name.trim() || row.value !== "");
    try {
      await save(filled.map((row) => ({ name: row.name, type: row.type, value: row.value })));
    } catch (failure) {
      error.textContent = failure.message;
    }
  };
  const draw = () => replaceChildren(list, rows.map((row, index) => rowElement(row, index, {
    changed: commit,
    retyped: () => { draw(); commit(); },
    removed: () => { rows.splice(index, 1); draw(); commit(); },
  })));
  add.addEventListener("click", () => {
    rows.push({ name: "", type: "number", value: "" });
    draw();
    list.lastElementChild?.querySelector("input")?.focus();
  });
  draw();
  return el("div", { class: "field params-editor" },
    el("span", { class: "field-label", text: t("Custom parameters") }), list, add, error,
    el("p", { class: "hint", text: t("Added to every request, over the provider's own body fields. JSON values are sent parsed (objects merge; null removes a field).") }));
}

/** A stored value as the text its input shows. */
function shown(param) {
  return param.type === "number" || param.type === "boolean" ? String(param.value) : param.value;
}

function rowElement(row, index, on) {
  const n = formatNumber(index + 1);
  const label = () => (row.name ? t("Remove {name}", { name: row.name }) : t("Remove parameter {n}", { n }));
  const name = el("input", { type: "text", class: "param-name", placeholder: "top_k", "aria-label": t("Name of parameter {n}", { n }) });
  name.value = row.name;
  name.addEventListener("change", () => {
    row.name = name.value;
    remove.setAttribute("aria-label", label());
    on.changed();
  });
  const type = el("select", { class: "param-type", "aria-label": t("Type of parameter {n}", { n }) },
    types().map(([value, text]) => el("option", { value, text })));
  type.value = row.type;
  type.addEventListener("change", () => {
    if (row.type === "boolean") row.value = "";  // "true" means nothing as a number or JSON text
    row.type = type.value;
    if (row.type === "boolean" && !["true", "false"].includes(row.value)) row.value = "true";
    on.retyped();
  });
  const value = row.type === "boolean"
    ? el("select", { class: "param-value" }, el("option", { value: "true", text: "true" }), el("option", { value: "false", text: "false" }))
    : el("input", { type: "text", class: "param-value", placeholder: row.type === "json" ? '{"key": 1}' : t("value") });
  value.setAttribute("aria-label", t("Value of parameter {n}", { n }));
  value.value = row.value;
  value.addEventListener("change", () => { row.value = value.value; on.changed(); });
  const remove = el("button", { type: "button", class: "icon-btn param-remove", "aria-label": label(), title: t("Remove") }, icon("close"));
  remove.addEventListener("click", on.removed);
  return el("div", { class: "param-row" }, name, type, value, remove);
}
