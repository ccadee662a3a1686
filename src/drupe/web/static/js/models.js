// A provider's models: grouped list with Edit, Delete and Set as default per model, + Add and
// Manage (the dialogs are in models/edit.js and models/manage.js).

import * as api from "./api.js";
import { el, groupBy } from "./dom.js";
import { capabilityIcons, icon } from "./icons.js";
import { editModelDialog } from "./models/edit.js";
import { manageModelsDialog } from "./models/manage.js";
import { groupSection, modelPath } from "./models/parts.js";
import { t } from "./i18n.js";

/**
 * The "Models" section of a provider panel. `defaultModel` is the stored default (any provider's,
 * from /api/default-model) or null; `reload()` fetches the models and the default and draws
 * again; `whenSaved()` resolves once the panel's pending saves are done; `reportError` shows a
 * failure in the page's alert line.
 */
export function renderModelsSection({ provider, models, defaultModel, reload, whenSaved, reportError }) {
  const add = el("button", { type: "button", class: "btn btn-sm", title: t("Add model"), text: t("+ Add") });
  const manage = el("button", { type: "button", class: "btn btn-sm" }, icon("list"), t("Manage"));
  add.addEventListener("click", async () => { if (await editModelDialog(provider, null)) await reload(); });
  manage.addEventListener("click", async () => {
    await whenSaved();
    await manageModelsDialog(provider);
    await reload();
  });
  const isDefault = (model) => defaultModel?.provider_id === provider.id && defaultModel?.model_id === model.model_id;
  const context = { provider, reload, reportError };

  const groups = groupBy(models, (m) => m.group || t("Other"));
  const body = models.length
    ? el("div", { class: "model-groups" }, [...groups].map(([groupName, members]) =>
      groupSection(groupName, members.length, members.map((model) => modelRow(context, model, isDefault(model))))))
    : el("p", { class: "empty", text: t("No models yet. Fetch them with Manage, or add a model ID with + Add.") });

  return el("section", { class: "section", "aria-label": t("Models") },
    el("div", { class: "section-head" },
      el("h3", {}, t("Models"), el("span", { class: "badge", text: String(models.length) })),
      manage, add),
    body);
}

function modelRow({ provider, reload, reportError }, model, isDefault) {
  const edit = el("button", { type: "button", class: "icon-btn icon-btn-sm", "aria-label": t("Edit {model}", { model: model.model_id }), title: t("Edit") }, icon("edit"));
  const remove = el("button", { type: "button", class: "icon-btn icon-btn-sm danger", "aria-label": t("Delete {model}", { model: model.model_id }), title: t("Delete") }, icon("trash"));
  // Embedding and rerank models cannot answer a chat (drupe.catalog.is_chat_model): no star.
  const canChat = !model.capabilities.some((cap) => cap === "embedding" || cap === "rerank");
  const star = canChat || isDefault ? el("button", {
    type: "button", class: `icon-btn icon-btn-sm${isDefault ? " is-default" : ""}`,
    "aria-label": isDefault ? t("Unset {model} as default", { model: model.model_id }) : t("Set {model} as default", { model: model.model_id }),
    title: isDefault ? t("The default model: chats given no model use it. Click to unset.") : t("Set as default"),
  }, icon("star")) : null;
  const run = (button, work) => async () => {
    button.disabled = true;
    try {
      await work();
      await reload();
    } catch (error) {
      button.disabled = false;
      reportError(error);
    }
  };
  edit.addEventListener("click", async () => { if (await editModelDialog(provider, model)) await reload(); });
  remove.addEventListener("click", run(remove, () => api.del(modelPath(provider, model.model_id))));
  star?.addEventListener("click", run(star, () => (isDefault
    ? api.del("/default-model")
    : api.put("/default-model", { provider_id: provider.id, model_id: model.model_id }))));
  return el("div", { class: "model-row", dataset: { modelId: model.model_id } },
    el("span", { class: "model-name", title: model.model_id },
      model.name || model.model_id,
      model.name && model.name !== model.model_id ? el("span", { class: "model-id", text: model.model_id }) : null),
    capabilityIcons(model.capabilities),
    isDefault ? el("span", { class: "badge badge-ok", text: t("Default") }) : null,
    el("span", { class: "actions" }, star, edit, remove));
}
