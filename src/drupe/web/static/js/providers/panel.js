// Settings → Model services, the selected provider's panel: name, keys and Check, address and
// the type's fields, models, headers, body fields, connection (proxy, timeout, stream usage), notes,
// delete. Fields save on change.

import * as api from "../api.js";
import { avatar, el, field, flash, replaceChildren } from "../dom.js";
import { confirmDialog } from "../dialogs.js";
import { icon } from "../icons.js";
import { renderModelsSection } from "../models.js";
import { connectionSection, notesSection } from "./connection.js";
import { addressSection, bodySection, headersSection, typeForm } from "./fields.js";
import { healthControls } from "./health.js";
import { keySection } from "./keys.js";
import { loadProviders } from "./list.js";
import { t, tn } from "../i18n.js";

/** The panel for the selected provider (or the welcome text), loaded from the server. */
export async function showPanel(page) {
  const opened = ++page.state.panelsOpened;
  const { body } = page.ui.panel;
  const { selectedId, providers } = page.state;
  if (!selectedId) {
    replaceChildren(body, el("div", { class: "welcome" },
      el("h2", { text: t("Model services") }),
      el("p", { text: providers.length ? t("Pick a provider on the left to set it up.") : t("Add a provider to start: press + Add.") })));
    return;
  }
  let provider;
  try {
    provider = await api.get(`/providers/${api.seg(selectedId)}`);
  } catch (error) {
    if (opened === page.state.panelsOpened) replaceChildren(body, el("p", { class: "form-error", text: error.message }));
    return;
  }
  if (opened === page.state.panelsOpened) replaceChildren(body, providerPanel(page, provider));
}

/**
 * Saves of one panel: they run one after another, and Check and Manage wait for them
 * (`whenSaved`), so they use what was just typed. Each save updates the list too.
 */
function createSaver(page, provider, savedFlash) {
  let saving = Promise.resolve();
  const update = (changes) => {
    const done = saving.then(async () => {
      const updated = await api.patch(`/providers/${provider.id}`, changes);
      Object.assign(provider, updated);
      page.set({ providers: page.state.providers.map((p) => (p.id === provider.id ? { ...p, ...updated } : p)) });
      flash(savedFlash, t("Saved"));
      return updated;
    });
    saving = done.catch(() => {});
    return done;
  };
  /** An input that saves `key` when it changes, with its own inline error line (returned). */
  const savingInput = (key, input, toValue, afterSave) => {
    const error = el("p", { class: "form-error", role: "alert" });
    input.addEventListener("change", async () => {
      error.textContent = "";
      try {
        await update({ [key]: toValue(input.value) });
        afterSave?.();
      } catch (failure) {
        error.textContent = failure.message;
      }
    });
    return error;
  };
  return { update, savingInput, whenSaved: () => saving };
}

function providerPanel(page, provider) {
  const form = typeForm(page.meta, provider.type);
  const savedFlash = el("span", { class: "flash", role: "status" });
  const saver = createSaver(page, provider, savedFlash);
  const title = el("span", { text: provider.name });
  const nameInput = el("input", { type: "text", value: provider.name, maxlength: "32" });
  const nameError = saver.savingInput("name", nameInput, (v) => v.trim(), () => { title.textContent = provider.name; });
  return el("div", { class: "panel-inner" },
    el("header", { class: "panel-head" },
      avatar(provider.name),
      el("h2", {}, title, el("span", { class: "badge", text: form.label })),
      savedFlash),
    el("div", { class: "section" }, field(t("Name"), nameInput, nameError).wrapper),
    keySection(provider, saver),
    addressSection(provider, form, saver),
    modelsSection(page, provider, saver),
    headersSection(provider, saver),
    bodySection(provider, saver),
    connectionSection(provider, form, saver),
    notesSection(provider, saver),
    el("div", { class: "section danger-zone" }, deleteButton(page, provider)));
}

/**
 * The Models section (models.js), drawn again from the server after each change, with Check all
 * (health.js); the default model (any provider's) is asked for too, to mark its row.
 */
function modelsSection(page, provider, saver) {
  const holder = el("div");
  const removeKeys = async (masks) => {
    const left = [...provider.api_keys];
    for (const mask of masks) {
      const at = left.indexOf(mask);
      if (at >= 0) left.splice(at, 1);
    }
    await saver.update({ api_keys: left });
    await showPanel(page);
  };
  const health = healthControls(provider, saver.whenSaved, (masks) => removeKeys(masks).catch(page.reportError));
  let defaultModel = null;
  const draw = () => {
    const section = renderModelsSection({
      provider, models: provider.models ?? [], defaultModel, reload, whenSaved: saver.whenSaved, reportError: page.reportError,
    });
    section.querySelector(".section-head")?.append(...health.controls);
    replaceChildren(holder, section, health.result);
  };
  const reload = () => Promise.all([api.get(`/providers/${provider.id}/models`), api.get("/default-model")])
    .then(([models, chosen]) => {
      provider.models = models;
      defaultModel = chosen.model;
      draw();
    }).catch(page.reportError);
  draw();
  api.get("/default-model").then((chosen) => {
    defaultModel = chosen.model;
    draw();
  }).catch(page.reportError);
  return holder;
}

function deleteButton(page, provider) {
  const button = el("button", { type: "button", class: "btn btn-danger" }, icon("trash"), t("Delete provider"));
  button.addEventListener("click", page.handle(async () => {
    const count = provider.models?.length ?? 0;
    const ok = await confirmDialog(t("Delete provider"), tn("Delete {name} and its {n} model? This cannot be undone.",
      "Delete {name} and its {n} models? This cannot be undone.", count, { name: provider.name }), t("Delete"));
    if (!ok) return;
    await api.del(`/providers/${provider.id}`);
    await loadProviders(page);
    page.navigate("/settings/providers");
  }));
  return button;
}
