// Settings → Gateway, the routes: a model name of the user's own for PROVIDER/MODEL targets tried
// in order. + Add route (targets picked from the enabled providers' models, or typed), Remove.

import * as api from "../api.js";
import { el, field, replaceChildren, uniqueId } from "../dom.js";
import { confirmDialog, openDialog } from "../dialogs.js";
import { icon } from "../icons.js";
import { t } from "../i18n.js";

export function routesSection(page) {
  const add = el("button", { type: "button", class: "btn btn-sm", text: t("+ Add route") });
  add.addEventListener("click", page.handle(() => addRoute(page)));
  page.ui.routes = el("div", { class: "table-wrap" });
  return el("section", { class: "section", "aria-label": t("Routes") },
    el("div", { class: "section-head" }, el("h3", { text: t("Routes") }), add),
    el("p", { class: "hint", text: t("A client asks for a route by its name, like a model. Its targets are tried in order: the next one when a target cannot be reached, answers 5xx or 429, or times out before its first token.") }),
    page.ui.routes);
}

export function renderRoutes(page) {
  const { routes } = page.state;
  if (!routes.length) {
    replaceChildren(page.ui.routes, el("p", { class: "hint", text: t("No routes yet.") }));
    return;
  }
  replaceChildren(page.ui.routes, el("table", { class: "data-table", "aria-label": t("Routes") },
    el("thead", {}, el("tr", {}, [t("Name"), t("Targets, in order"), ""].map((text) => el("th", { scope: "col", text })))),
    el("tbody", {}, routes.map((route) => {
      const remove = el("button", { type: "button", class: "btn btn-sm btn-danger", "aria-label": t("Remove {name}", { name: route.name }), text: t("Remove") });
      remove.addEventListener("click", page.handle(() => removeRoute(page, route)));
      return el("tr", { dataset: { name: route.name } },
        el("th", { scope: "row", text: route.name }),
        el("td", {}, el("ol", { class: "targets" }, route.targets.map((target) => el("li", {}, el("code", { text: target }))))),
        el("td", { class: "actions" }, remove));
    }))));
}

async function addRoute(page) {
  const name = el("input", { type: "text", maxlength: "64", spellcheck: "false", placeholder: t("e.g. {example}", { example: "fast" }) });
  const targets = targetRows(page.state.models);
  const added = await openDialog({
    title: t("Add route"),
    className: "dialog-wide",
    content: [
      field(t("Name"), name, el("p", { class: "hint", text: t("What clients ask for as their model: no '/' or spaces.") })).wrapper,
      targets.element,
    ],
    actions: [{
      label: t("Add"), kind: "primary",
      run: () => api.post("/gateway/routes", { name: name.value.trim(), targets: targets.read() }),
    }],
  });
  if (added) await page.loadRoutes();
}

/** Target rows in the order they are tried: each a text field offering the enabled models
 * (any PROVIDER/MODEL may be typed), with Move up and Remove; + Add target. */
function targetRows(models) {
  const listId = uniqueId("route-models");
  const options = el("datalist", { id: listId }, models.map((model) => el("option", { value: model })));
  const rows = el("ol", { class: "target-rows" });
  const renumber = () => {
    [...rows.children].forEach((row, index) => {
      const number = index + 1;
      row.querySelector("input").setAttribute("aria-label", t("Target {n}", { n: number }));
      row.querySelector(".move").setAttribute("aria-label", t("Move target {n} up", { n: number }));
      row.querySelector(".move").disabled = index === 0;
      row.querySelector(".remove").setAttribute("aria-label", t("Remove target {n}", { n: number }));
    });
  };
  const addRow = (value = "") => {
    const input = el("input", { type: "text", value, list: listId, spellcheck: "false", placeholder: "PROVIDER/MODEL" });
    const up = el("button", { type: "button", class: "icon-btn move" }, icon("chevronUp"));
    const remove = el("button", { type: "button", class: "icon-btn danger remove" }, icon("trash"));
    const row = el("li", { class: "header-row" }, input, up, remove);
    up.addEventListener("click", () => {
      if (row.previousElementSibling) rows.insertBefore(row, row.previousElementSibling);
      renumber();
    });
    remove.addEventListener("click", () => { row.remove(); renumber(); });
    rows.append(row);
    renumber();
    return input;
  };
  addRow();
  const add = el("button", { type: "button", class: "btn btn-sm" }, icon("plus"), t("Add target"));
  add.addEventListener("click", () => addRow().focus());
  return {
    element: el("div", { class: "section" },
      el("div", { class: "section-head" }, el("h3", { text: t("Targets") }), add),
      el("p", { class: "hint", text: models.length
        ? t("Pick one of your enabled models or type PROVIDER/MODEL (the model need not be added to drupe).")
        : t("Type PROVIDER/MODEL: the provider must exist in Settings → Model services.") }),
      rows, options),
    read: () => [...rows.querySelectorAll("input")].map((input) => input.value.trim()).filter(Boolean),
  };
}

async function removeRoute(page, route) {
  const ok = await confirmDialog(t("Remove route"),
    t("Remove {name}? Clients asking for it get 404 from now on.", { name: route.name }), t("Remove"));
  if (!ok) return;
  await api.del(`/gateway/routes/${api.seg(route.name)}`);
  await page.loadRoutes();
}
