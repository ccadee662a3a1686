// Settings → Model services, the provider list: search, the enable switch, drag to reorder, + Add (add.js).

import * as api from "../api.js";
import { avatar, el, matches, replaceChildren } from "../dom.js";
import { openAddDialog } from "./add.js";
import { icon } from "../icons.js";
import { t } from "../i18n.js";

/** The list's elements; `renderList` fills it from the state. */
export function createList(page) {
  const search = el("input", { type: "search", placeholder: t("Search providers"), "aria-label": t("Search providers") });
  const list = el("ul", { class: "sidebar-list", "aria-label": t("Provider list") });
  const addButton = el("button", { type: "button", class: "btn btn-block", title: t("Add provider"), text: t("+ Add") });
  const element = el("aside", { class: "sidebar", "aria-label": t("Providers") },
    el("div", { class: "sidebar-head" }, el("div", { class: "search-box" }, icon("search"), search)),
    list,
    el("div", { class: "sidebar-foot" }, addButton));
  search.addEventListener("input", () => renderList(page));
  addButton.addEventListener("click", page.handle(() => addProvider(page)));
  return { element, search, list };
}

/** The providers that match the search box, the selected one marked. */
export function renderList(page) {
  const { providers } = page.state;
  const { list, search } = page.ui.list;
  const shown = providers.filter((p) => matches(search.value, p.name, page.typeLabel(p.type)));
  replaceChildren(list, shown.length ? shown.map((provider) => providerRow(page, provider))
    : el("li", { class: "empty", text: providers.length ? t("No match") : t("No providers yet") }));
}

export async function loadProviders(page) {
  page.set({ providers: await api.get("/providers") });
}

function providerRow(page, provider) {
  const row = el("li", {
    class: `row${provider.id === page.state.selectedId ? " active" : ""}`, draggable: "true",
    dataset: { id: provider.id },
  },
  el("span", { class: "grip", title: t("Drag to reorder") }, icon("grip")),
  avatar(provider.name),
  el("div", { class: "row-main" },
    el("a", { class: "row-title", href: `/settings/providers/${provider.id}`, text: provider.name, draggable: "false" }),
    el("span", { class: "row-sub", text: page.typeLabel(provider.type) })),
  enableSwitch(page, provider));
  row.addEventListener("click", (event) => {
    if (!event.target.closest("a, button")) page.navigate(`/settings/providers/${provider.id}`);
  });
  enableDragging(page, row);
  return row;
}

/** The switch shows the new state at once and goes back if the server refuses it. */
function enableSwitch(page, provider) {
  const button = el("button", {
    type: "button", class: "switch", role: "switch",
    "aria-checked": String(provider.enabled), "aria-label": t("Enable {name}", { name: provider.name }),
  });
  button.addEventListener("click", page.handle(async (event) => {
    event.stopPropagation();
    const enabled = button.getAttribute("aria-checked") !== "true";
    button.setAttribute("aria-checked", String(enabled));
    try {
      Object.assign(provider, await api.patch(`/providers/${provider.id}`, { enabled }));
    } catch (error) {
      button.setAttribute("aria-checked", String(!enabled));
      throw error;
    }
  }));
  return button;
}

// Reordering by HTML5 drag and drop: drop above or below the hovered row.
function enableDragging(page, row) {
  const { list } = page.ui.list;
  const { state } = page;
  row.addEventListener("dragstart", (event) => {
    state.draggedId = row.dataset.id;
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", state.draggedId);
    row.classList.add("dragging");
  });
  row.addEventListener("dragend", () => {
    state.draggedId = null;
    for (const node of list.children) node.classList.remove("dragging", "drop-before", "drop-after");
  });
  row.addEventListener("dragover", (event) => {
    if (!state.draggedId || state.draggedId === row.dataset.id) return;
    event.preventDefault();
    const after = event.offsetY > row.offsetHeight / 2;
    row.classList.toggle("drop-after", after);
    row.classList.toggle("drop-before", !after);
  });
  row.addEventListener("dragleave", () => row.classList.remove("drop-before", "drop-after"));
  row.addEventListener("drop", page.handle(async (event) => {
    event.preventDefault();
    const movedId = state.draggedId || event.dataTransfer.getData("text/plain");
    const after = row.classList.contains("drop-after");
    row.classList.remove("drop-before", "drop-after");
    if (!movedId || movedId === row.dataset.id) return;
    const ids = state.providers.map((p) => p.id).filter((id) => id !== movedId);
    ids.splice(ids.indexOf(row.dataset.id) + (after ? 1 : 0), 0, movedId);
    page.set({ providers: await api.put("/providers/order", { ids }) });
  }));
}

async function addProvider(page) {
  const created = await openAddDialog(page);
  if (!created) return;
  await loadProviders(page);
  page.navigate(`/settings/providers/${created.id}`);
}
