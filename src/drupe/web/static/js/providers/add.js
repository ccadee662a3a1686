// Settings → Model services, + Add: pick a well-known service (GET /presets) or Custom. A preset
// fills the type, the API address and its popular models, and links to its key page and docs;
// every field stays editable, and Reset puts the preset's address back.

import * as api from "../api.js";
import { el, field, matches, replaceChildren } from "../dom.js";
import { openDialog } from "../dialogs.js";
import { icon } from "../icons.js";
import { t, tn } from "../i18n.js";

let presetsLoaded = null;

/** The catalog, fetched once per page. */
function loadPresets() {
  presetsLoaded ??= api.get("/presets").catch((error) => { presetsLoaded = null; throw error; });
  return presetsLoaded;
}

/** Opens the dialog; resolves with the created provider, or null when cancelled. */
export async function openAddDialog(page) {
  const presets = await loadPresets();
  let chosen = null;  // the selected preset; null = Custom

  const search = el("input", { type: "search", placeholder: t("Search services"), "aria-label": t("Search services") });
  const list = el("ul", { class: "preset-list", role: "listbox", "aria-label": t("Services") });
  const name = el("input", { type: "text", placeholder: t("e.g. vLLM"), maxlength: "32" });
  const type = el("select", {}, page.meta.types.map((entry) => el("option", { value: entry.id, text: entry.label })));
  const address = el("input", { type: "text", placeholder: t("Empty: the type's official address"), spellcheck: "false" });
  const reset = el("button", { type: "button", class: "btn btn-sm preset-reset", text: t("Reset"), title: t("Put the preset's address back") });
  const details = el("div", { class: "preset-details", "aria-live": "polite" });

  function option(preset) {
    const label = preset ? preset.name : t("Custom");
    const sub = preset ? `${page.typeLabel(preset.type)} · ${preset.base_url}` : t("Any server: choose the type and address");
    const item = el("li", {
      role: "option", tabindex: "0", class: "preset-option", "aria-selected": String(preset === chosen),
      dataset: { preset: preset ? preset.id : "" },
    }, el("span", { class: "row-title", text: label }), el("span", { class: "row-sub", text: sub }));
    const pick = () => choose(preset);
    item.addEventListener("click", pick);
    item.addEventListener("keydown", (event) => {
      if (event.key === "Enter" || event.key === " ") { event.preventDefault(); pick(); }
    });
    return item;
  }

  function renderOptions() {
    const shown = presets.filter((p) => matches(search.value, p.name, p.id, p.type, p.base_url));
    replaceChildren(list, option(null), shown.map(option),
      shown.length || !search.value.trim() ? null : el("li", { class: "empty", text: t("No match: use Custom") }));
  }

  function renderDetails() {
    if (!chosen) {
      replaceChildren(details);
      return;
    }
    const links = [
      chosen.key_url ? el("a", { href: chosen.key_url, target: "_blank", rel: "noopener noreferrer", text: t("Get a key") }) : null,
      el("a", { href: chosen.docs_url, target: "_blank", rel: "noopener noreferrer", text: t("Docs") }),
    ].filter(Boolean);
    replaceChildren(details,
      el("p", { class: "hint", text: tn("Adds {n} model: {models}", "Adds {n} models: {models}", chosen.models.length, { models: chosen.models.join(", ") }) }),
      chosen.alternates.length ? el("p", {
        class: "hint",
        text: t("Also offered: {services}", { services: chosen.alternates.map((a) => `${a.name} (${page.typeLabel(a.type)}) ${a.base_url}`).join("; ") }),
      }) : null,
      chosen.note ? el("p", { class: "hint", text: chosen.note }) : null,
      el("p", { class: "preset-links" }, links.flatMap((link, i) => (i ? [" · ", link] : [link]))));
  }

  function choose(preset) {
    const previous = chosen;
    chosen = preset;
    if (preset) {
      if (!name.value.trim() || name.value === previous?.name) name.value = preset.name;
      type.value = preset.type;
      address.value = preset.base_url;
    } else if (previous) {
      if (name.value === previous.name) name.value = "";
      address.value = "";
    }
    reset.hidden = !preset;
    renderOptions();
    renderDetails();
  }

  search.addEventListener("input", renderOptions);
  reset.addEventListener("click", () => { if (chosen) address.value = chosen.base_url; });
  reset.hidden = true;
  renderOptions();

  const addressField = field(t("API address"), address);
  addressField.wrapper.append(reset);
  return openDialog({
    title: t("Add provider"),
    className: "dialog-wide",
    content: [
      el("div", { class: "search-box" }, icon("search"), search), list,
      field(t("Provider name"), name).wrapper, field(t("Provider type"), type).wrapper, addressField.wrapper, details,
    ],
    actions: [{
      label: t("Add"), kind: "primary",
      run: async () => {
        const created = await api.post("/providers", {
          name: name.value.trim(), type: type.value, base_url: address.value.trim(), enabled: false,
        });
        if (chosen) {
          await api.post(`/providers/${created.id}/models`, { models: chosen.models.map((id) => ({ model_id: id })) });
        }
        return created;
      },
    }],
  });
}
