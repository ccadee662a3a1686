// "Manage models": the provider's own list, filtered by capability (or free) and by a search;
// add or remove per model, per group, or all shown at once; Refresh asks the provider again.

import * as api from "../api.js";
import { el, groupBy, matches } from "../dom.js";
import { confirmDialog, openDialog } from "../dialogs.js";
import { capabilityIcons, icon } from "../icons.js";
import { editModelDialog } from "./edit.js";
import { groupSection, modelPath } from "./parts.js";
import { t, tn } from "../i18n.js";

/** The filter tabs: a capability (`drupe.catalog.CAPABILITIES`), or the free mark of the remote list. */
const FILTERS = [
  { id: "all", label: () => t("All"), keep: () => true },
  { id: "reasoning", label: () => t("Reasoning"), keep: (m) => m.capabilities.includes("reasoning") },
  { id: "vision", label: () => t("Vision"), keep: (m) => m.capabilities.includes("vision") },
  { id: "tools", label: () => t("Tools"), keep: (m) => m.capabilities.includes("function_calling") },
  { id: "embedding", label: () => t("Embedding"), keep: (m) => m.capabilities.includes("embedding") },
  { id: "rerank", label: () => t("Rerank"), keep: (m) => m.capabilities.includes("rerank") },
  { id: "free", label: () => t("Free"), keep: (m) => m.free },
];

/** Tabs that pick one filter; arrow keys move between them, as a tablist does. */
function filterTabs(onPick) {
  let current = FILTERS[0];
  const tabs = FILTERS.map((filter) => {
    const count = el("span", { class: "count" });
    const tab = el("button", { type: "button", role: "tab", class: "filter-tab", "aria-selected": String(filter === current) },
      filter.label(), " ", count);
    tab.addEventListener("click", () => pick(filter));
    tab.addEventListener("keydown", (event) => {
      const step = { ArrowRight: 1, ArrowLeft: -1 }[event.key];
      if (!step) return;
      const next = FILTERS[(FILTERS.indexOf(filter) + step + FILTERS.length) % FILTERS.length];
      pick(next);
      tabs[FILTERS.indexOf(next)].focus();
    });
    return { tab, count };
  });
  function pick(filter, notify = true) {
    current = filter;
    tabs.forEach(({ tab }, index) => {
      tab.setAttribute("aria-selected", String(FILTERS[index] === filter));
      tab.tabIndex = FILTERS[index] === filter ? 0 : -1;
    });
    if (notify) onPick();
  }
  pick(current, false);
  return {
    element: el("div", { class: "filter-tabs", role: "tablist", "aria-label": t("Filter by capability") }, tabs.map((item) => item.tab)),
    keep: (model) => current.keep(model),
    /** Show how many of `models` each tab keeps. */
    count: (models) => tabs.forEach(({ count }, index) => { count.textContent = String(models.filter(FILTERS[index].keep).length); }),
  };
}

/** Opens the dialog; resolves when it is closed (its changes are saved as they are made). */
export async function manageModelsDialog(provider) {
  const search = el("input", { type: "search", placeholder: t("Search models"), "aria-label": t("Search models") });
  const refresh = el("button", { type: "button", class: "btn btn-sm", title: t("Ask the provider for its list again") }, icon("refresh"), t("Refresh"));
  const addAll = el("button", { type: "button", class: "btn btn-sm", title: t("Add every model shown") }, icon("plus"), t("Add all"));
  const status = el("p", { class: "hint", role: "status" });
  const list = el("div", { class: "manage-list", "aria-label": t("Remote models") });
  let remote = [];
  let fetches = 0;

  const addModels = async (models) => {
    await api.post(`/providers/${provider.id}/models`, { models: models.map((m) => ({
      model_id: m.model_id, name: m.name, group: m.group, capabilities: m.capabilities,
      context_window: m.context_window,
    })) });
    for (const m of models) m.added = true;
  };
  const removeModels = async (models) => {
    for (const m of models) {
      await api.del(modelPath(provider, m.model_id));
      m.added = false;
    }
  };
  const editModel = async (model) => {
    const stored = (await api.get(`/providers/${provider.id}/models`)).find((m) => m.model_id === model.model_id);
    const saved = stored && await editModelDialog(provider, stored);
    if (saved) Object.assign(model, { model_id: saved.model_id, capabilities: saved.capabilities });
  };
  const act = async (button, work) => {
    button.disabled = true;
    status.classList.remove("form-error");
    try {
      await work();
      render();
    } catch (error) {
      button.disabled = false;
      status.classList.add("form-error");
      status.textContent = error.message;
    }
  };

  const shownModels = () => remote.filter((m) => tabs.keep(m) && matches(search.value, m.model_id, m.name, m.group));
  const render = () => {
    const shown = shownModels();
    tabs.count(remote);
    addAll.disabled = !shown.some((m) => !m.added);
    const groups = groupBy(shown, (m) => m.group || t("Other"));
    list.replaceChildren(...[...groups].map(([groupName, members]) => {
      const allAdded = members.every((m) => m.added);
      const groupButton = el("button", {
        type: "button", class: "icon-btn icon-btn-sm",
        "aria-label": allAdded ? t("Remove group {group}", { group: groupName }) : t("Add group {group}", { group: groupName }),
        title: allAdded ? t("Remove the whole group") : t("Add the whole group"),
      }, icon(allAdded ? "minus" : "plus"));
      groupButton.addEventListener("click", (event) => {
        event.preventDefault();
        act(groupButton, () => allAdded ? removeModels(members) : addModels(members.filter((m) => !m.added)));
      });
      return groupSection(groupName, members.length, members.map((model) => remoteRow(model)), groupButton);
    }));
    if (!shown.length) list.append(el("p", { class: "empty", text: remote.length ? t("No match") : t("The provider lists no models.") }));
  };
  const remoteRow = (model) => {
    const toggle = el("button", {
      type: "button", class: `icon-btn icon-btn-sm${model.added ? " danger" : ""}`,
      "aria-label": model.added ? t("Remove {model}", { model: model.model_id }) : t("Add {model}", { model: model.model_id }),
      title: model.added ? t("Remove") : t("Add"),
    }, icon(model.added ? "minus" : "plus"));
    toggle.addEventListener("click", () => act(toggle, () => model.added ? removeModels([model]) : addModels([model])));
    let edit = null;
    if (model.added) {
      edit = el("button", { type: "button", class: "icon-btn icon-btn-sm", "aria-label": t("Edit {model}", { model: model.model_id }), title: t("Edit") }, icon("edit"));
      edit.addEventListener("click", () => act(edit, () => editModel(model)));
    }
    return el("div", { class: "model-row" },
      el("span", { class: "model-name", title: model.model_id, text: model.model_id }),
      capabilityIcons(model.capabilities),
      model.free ? el("span", { class: "badge", text: t("Free") }) : null,
      model.added ? el("span", { class: "badge badge-ok", text: t("Added") }) : null,
      edit, toggle);
  };
  const tabs = filterTabs(render);

  /** Ask the provider (never a cache: Refresh must show what it lists now); a late answer is dropped. */
  const load = async () => {
    const mine = ++fetches;
    refresh.disabled = true;
    status.classList.remove("form-error");
    status.textContent = t("Fetching the model list…");
    try {
      const answer = await api.getFresh(`/providers/${provider.id}/remote-models`);
      if (mine !== fetches) return;
      remote = answer.models;
      status.textContent = tn("{n} model from {url}", "{n} models from {url}", remote.length, { url: answer.url });
      render();
    } catch (error) {
      if (mine !== fetches) return;
      status.classList.add("form-error");
      status.textContent = [error.kind, error.message, error.hint].filter(Boolean).join(": ");
    } finally {
      if (mine === fetches) refresh.disabled = false;
    }
  };
  search.addEventListener("input", render);
  refresh.addEventListener("click", load);
  addAll.addEventListener("click", async () => {
    const adding = shownModels().filter((m) => !m.added);
    const ok = await confirmDialog(t("Add all models"),
      tn("Add the {n} model shown to {provider}?", "Add the {n} models shown to {provider}?", adding.length, { provider: provider.name }),
      t("Add {n}", { n: adding.length }));
    if (ok) await act(addAll, () => addModels(adding));
  });
  load();

  await openDialog({
    title: t("Manage models"),
    className: "dialog-wide",
    cancellable: false,
    content: [
      el("div", { class: "manage-toolbar" }, el("div", { class: "search-box" }, icon("search"), search), refresh, addAll),
      tabs.element, status, list,
    ],
    actions: [{ label: t("Done"), kind: "primary", run: () => true }],
  });
}
