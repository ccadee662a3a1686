// A provider's models: grouped list, Add / Edit dialogs, and "Manage" (the remote list).

import * as api from "./api.js";
import { el, field, groupBy, matches } from "./dom.js";
import { openDialog } from "./dialogs.js";
import { CAPABILITY_LABELS, capabilityIcons, icon } from "./icons.js";

const CAPABILITIES = Object.keys(CAPABILITY_LABELS);

function modelPath(provider, modelId) {
  return `/providers/${provider.id}/models/${api.seg(modelId)}`;
}

function groupSection(groupName, count, rows, extra) {
  return el("details", { class: "model-group", open: true },
    el("summary", {},
      el("span", { class: "group-title" }, icon("chevronDown"), el("span", { text: groupName }), el("span", { class: "count", text: String(count) })),
      extra),
    rows);
}

/**
 * The "Models" section of a provider panel. `reload()` fetches the models and re-renders;
 * `whenSaved()` resolves once the panel's pending saves are done.
 */
export function renderModelsSection(provider, models, reload, whenSaved) {
  const add = el("button", { type: "button", class: "btn btn-sm", title: "Add model", text: "+ Add" });
  const manage = el("button", { type: "button", class: "btn btn-sm" }, icon("list"), "Manage");
  add.addEventListener("click", async () => { if (await editModelDialog(provider, null)) await reload(); });
  manage.addEventListener("click", async () => {
    await whenSaved();
    await manageModelsDialog(provider);
    await reload();
  });

  const groups = groupBy(models, (m) => m.group || "Other");
  const body = models.length
    ? el("div", { class: "model-groups" }, [...groups].map(([groupName, members]) =>
      groupSection(groupName, members.length, members.map((model) => modelRow(provider, model, reload)))))
    : el("p", { class: "empty", text: "No models yet. Fetch them with Manage, or add a model ID with + Add." });

  return el("section", { class: "section", "aria-label": "Models" },
    el("div", { class: "section-head" },
      el("h3", {}, "Models", el("span", { class: "badge", text: String(models.length) })),
      manage, add),
    body);
}

function modelRow(provider, model, reload) {
  const edit = el("button", { type: "button", class: "icon-btn icon-btn-sm", "aria-label": `Edit ${model.model_id}`, title: "Edit" }, icon("edit"));
  const remove = el("button", { type: "button", class: "icon-btn icon-btn-sm danger", "aria-label": `Delete ${model.model_id}`, title: "Delete" }, icon("trash"));
  edit.addEventListener("click", async () => { if (await editModelDialog(provider, model)) await reload(); });
  remove.addEventListener("click", async () => {
    remove.disabled = true;
    await api.del(modelPath(provider, model.model_id));
    await reload();
  });
  return el("div", { class: "model-row", dataset: { modelId: model.model_id } },
    el("span", { class: "model-name", title: model.model_id },
      model.name || model.model_id,
      model.name && model.name !== model.model_id ? el("span", { class: "model-id", text: model.model_id }) : null),
    capabilityIcons(model.capabilities),
    el("span", { class: "actions" }, edit, remove));
}

function capabilityToggles(selected) {
  const chosen = new Set(selected);
  const chips = CAPABILITIES.map((cap) => {
    const chip = el("button", { type: "button", class: "chip", "aria-pressed": String(chosen.has(cap)) },
      icon(cap, "icon icon-xs"), CAPABILITY_LABELS[cap]);
    chip.addEventListener("click", () => {
      if (chosen.has(cap)) chosen.delete(cap); else chosen.add(cap);
      chip.setAttribute("aria-pressed", String(chosen.has(cap)));
    });
    return chip;
  });
  const group = el("div", { class: "chips", role: "group", "aria-label": "Capabilities" }, chips);
  return { element: el("div", { class: "field" }, el("span", { class: "field-label", text: "Capabilities" }), group), chosen };
}

/** "Add model" (model null) or "Edit model"; resolves the saved model or null. */
function editModelDialog(provider, model) {
  const modelId = el("input", { type: "text", value: model?.model_id ?? "", placeholder: "e.g. gpt-4o-mini", spellcheck: "false" });
  const name = el("input", { type: "text", value: model?.name ?? "", placeholder: "Same as the model ID" });
  const group = el("input", { type: "text", value: model?.group ?? "", placeholder: "Inferred from the ID" });
  const caps = capabilityToggles(model?.capabilities ?? []);
  const capsHint = model ? null : el("p", { class: "hint", text: "No capability picked: inferred from the model ID." });
  return openDialog({
    title: model ? "Edit model" : "Add model",
    content: [field("Model ID", modelId).wrapper, field("Model name", name).wrapper, field("Group", group).wrapper, caps.element, capsHint],
    actions: [{
      label: model ? "Save" : "Add", kind: "primary",
      run: () => {
        const body = { name: name.value.trim(), group: group.value.trim() };
        if (caps.chosen.size) body.capabilities = [...caps.chosen];
        if (!model) return api.post(`/providers/${provider.id}/models`, { ...body, model_id: modelId.value.trim() });
        if (modelId.value.trim() !== model.model_id) body.model_id = modelId.value.trim();
        return api.patch(modelPath(provider, model.model_id), body);
      },
    }],
  });
}

/** "Manage models": the provider's remote list; add or remove per model and per group, edit added ones. */
async function manageModelsDialog(provider) {
  const search = el("input", { type: "search", placeholder: "Search models", "aria-label": "Search models" });
  const status = el("p", { class: "hint", role: "status", text: "Fetching the model list…" });
  const list = el("div", { class: "manage-list", "aria-label": "Remote models" });
  let remote = [];

  const addModels = async (models) => {
    await api.post(`/providers/${provider.id}/models`, { models: models.map((m) => ({
      model_id: m.model_id, name: m.name, group: m.group, capabilities: m.capabilities,
      context_window: m.context_window, max_output: m.max_output,
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

  const render = () => {
    const shown = remote.filter((m) => matches(search.value, m.model_id, m.name, m.group));
    const groups = groupBy(shown, (m) => m.group || "Other");
    list.replaceChildren(...[...groups].map(([groupName, members]) => {
      const allAdded = members.every((m) => m.added);
      const groupButton = el("button", {
        type: "button", class: "icon-btn icon-btn-sm",
        "aria-label": `${allAdded ? "Remove" : "Add"} group ${groupName}`, title: allAdded ? "Remove the whole group" : "Add the whole group",
      }, icon(allAdded ? "minus" : "plus"));
      groupButton.addEventListener("click", (event) => {
        event.preventDefault();
        act(groupButton, () => allAdded ? removeModels(members) : addModels(members.filter((m) => !m.added)));
      });
      return groupSection(groupName, members.length, members.map((model) => {
        const toggle = el("button", {
          type: "button", class: `icon-btn icon-btn-sm${model.added ? " danger" : ""}`,
          "aria-label": `${model.added ? "Remove" : "Add"} ${model.model_id}`, title: model.added ? "Remove" : "Add",
        }, icon(model.added ? "minus" : "plus"));
        toggle.addEventListener("click", () => act(toggle, () => model.added ? removeModels([model]) : addModels([model])));
        let edit = null;
        if (model.added) {
          edit = el("button", { type: "button", class: "icon-btn icon-btn-sm", "aria-label": `Edit ${model.model_id}`, title: "Edit" }, icon("edit"));
          edit.addEventListener("click", () => act(edit, () => editModel(model)));
        }
        return el("div", { class: "model-row" },
          el("span", { class: "model-name", title: model.model_id, text: model.model_id }),
          capabilityIcons(model.capabilities),
          model.added ? el("span", { class: "badge badge-ok", text: "Added" }) : null,
          edit, toggle);
      }), groupButton);
    }));
    if (!shown.length) list.append(el("p", { class: "empty", text: remote.length ? "No match" : "The provider lists no models." }));
  };
  search.addEventListener("input", render);

  api.get(`/providers/${provider.id}/remote-models`).then((answer) => {
    remote = answer.models;
    status.textContent = `${remote.length} models from ${answer.url}`;
    render();
  }, (error) => {
    status.classList.add("form-error");
    status.textContent = [error.kind, error.message, error.hint].filter(Boolean).join(": ");
  });

  await openDialog({
    title: "Manage models",
    className: "dialog-wide",
    cancellable: false,
    content: [el("div", { class: "manage-toolbar" }, el("div", { class: "search-box" }, icon("search"), search)), status, list],
    actions: [{ label: "Done", kind: "primary", run: () => true }],
  });
}
