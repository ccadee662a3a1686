// Settings → Model services: the provider list (providers/list.js) and the selected provider's
// panel (providers/panel.js, keys in providers/keys.js, plain fields in providers/fields.js).
// One state object holds what the tab shows; `page.set(changes)` changes it and redraws the list.

import { el } from "./dom.js";
import { errorReporter, reporting } from "./errors.js";
import { createList, loadProviders, renderList } from "./providers/list.js";
import { showPanel } from "./providers/panel.js";
import { t } from "./i18n.js";

/** A fresh state for the tab; the comments say what each key holds. */
function createProvidersState() {
  return {
    providers: [],  // the provider list, in the user's order, as GET /providers returns it
    selectedId: null,  // the provider whose panel is open (from the address)
    panelsOpened: 0,  // counts panel loads: a late answer for an earlier one is dropped
    draggedId: null,  // the row being dragged to a new place
  };
}

/** Builds the Model services tab into `root`; `select(id)` shows a provider. */
export function createProvidersView(root, meta, navigate) {
  const page = { state: createProvidersState(), meta, navigate, ui: {} };
  page.set = (changes) => {
    Object.assign(page.state, changes);
    if ("providers" in changes || "selectedId" in changes) renderList(page);
  };
  page.typeLabel = (type) => meta.types.find((entry) => entry.id === type)?.label ?? type;
  // The tab's alert line, above the panel: what a click or a load could not do, in the server's words.
  const alert = el("p", { class: "form-error page-error", role: "alert" });
  page.reportError = errorReporter((text) => { alert.textContent = text; });
  page.handle = (handler) => reporting(page.reportError, handler);

  page.ui.list = createList(page);
  page.ui.panel = { body: el("div") };
  root.append(page.ui.list.element,
    el("section", { class: "provider-panel", "aria-label": t("Provider settings") }, alert, page.ui.panel.body));

  return {
    async select(id) {
      alert.textContent = "";
      try {
        if (!page.state.providers.length) await loadProviders(page);
        page.set({ selectedId: id });
        await showPanel(page);
      } catch (error) {
        page.reportError(error);
      }
    },
  };
}
