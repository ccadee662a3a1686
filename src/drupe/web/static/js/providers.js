// Settings → Model services: the provider list (search, enable, drag to reorder, add)
// and the selected provider's panel (keys, check, address, version, headers, body fields, timeout, delete).

import * as api from "./api.js";
import { avatar, debounce, el, field, flash, formatMs, matches, replaceChildren, uniqueId } from "./dom.js";
import { chooseDialog, confirmDialog, openDialog } from "./dialogs.js";
import { icon } from "./icons.js";
import { renderModelsSection } from "./models.js";

function enableSwitch(provider, onToggle) {
  const button = el("button", {
    type: "button", class: "switch", role: "switch",
    "aria-checked": String(provider.enabled), "aria-label": `Enable ${provider.name}`,
  });
  button.addEventListener("click", async (event) => {
    event.stopPropagation();
    const enabled = button.getAttribute("aria-checked") !== "true";
    button.setAttribute("aria-checked", String(enabled));
    try {
      await onToggle(enabled);
    } catch (error) {
      button.setAttribute("aria-checked", String(!enabled));
      button.title = error.message;
    }
  });
  return button;
}

/** Builds the Model services tab into `root`; `select(id)` shows a provider. */
export function createProvidersView(root, meta, navigate) {
  const typeLabel = (type) => meta.types.find((t) => t.id === type)?.label ?? type;
  let providers = [];
  let selectedId = null;
  let panelToken = 0;

  const search = el("input", { type: "search", placeholder: "Search providers", "aria-label": "Search providers" });
  const list = el("ul", { class: "sidebar-list", "aria-label": "Provider list" });
  const addButton = el("button", { type: "button", class: "btn btn-block", title: "Add provider", text: "+ Add" });
  const sidebar = el("aside", { class: "sidebar", "aria-label": "Providers" },
    el("div", { class: "sidebar-head" }, el("div", { class: "search-box" }, icon("search"), search)),
    list,
    el("div", { class: "sidebar-foot" }, addButton));
  const panel = el("section", { class: "provider-panel", "aria-label": "Provider settings" });
  root.append(sidebar, panel);

  search.addEventListener("input", renderList);
  addButton.addEventListener("click", addProvider);

  async function refreshList() {
    providers = await api.get("/providers");
    renderList();
  }

  function renderList() {
    const shown = providers.filter((p) => matches(search.value, p.name, typeLabel(p.type)));
    replaceChildren(list, shown.length ? shown.map(providerRow) : el("li", { class: "empty", text: providers.length ? "No match" : "No providers yet" }));
  }

  function providerRow(provider) {
    const row = el("li", {
      class: `row${provider.id === selectedId ? " active" : ""}`, draggable: "true",
      dataset: { id: provider.id },
    },
    el("span", { class: "grip", title: "Drag to reorder" }, icon("grip")),
    avatar(provider.name),
    el("div", { class: "row-main" },
      el("a", { class: "row-title", href: `/settings/providers/${provider.id}`, text: provider.name, draggable: "false" }),
      el("span", { class: "row-sub", text: typeLabel(provider.type) })),
    enableSwitch(provider, async (enabled) => {
      Object.assign(provider, await api.patch(`/providers/${provider.id}`, { enabled }));
    }));
    row.addEventListener("click", (event) => {
      if (!event.target.closest("a, button")) navigate(`/settings/providers/${provider.id}`);
    });
    enableDragging(row);
    return row;
  }

  // Reordering by HTML5 drag and drop: drop above or below the hovered row.
  let draggedId = null;
  function enableDragging(row) {
    row.addEventListener("dragstart", (event) => {
      draggedId = row.dataset.id;
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", draggedId);
      row.classList.add("dragging");
    });
    row.addEventListener("dragend", () => {
      draggedId = null;
      for (const node of list.children) node.classList.remove("dragging", "drop-before", "drop-after");
    });
    row.addEventListener("dragover", (event) => {
      if (!draggedId || draggedId === row.dataset.id) return;
      event.preventDefault();
      const after = event.offsetY > row.offsetHeight / 2;
      row.classList.toggle("drop-after", after);
      row.classList.toggle("drop-before", !after);
    });
    row.addEventListener("dragleave", () => row.classList.remove("drop-before", "drop-after"));
    row.addEventListener("drop", async (event) => {
      event.preventDefault();
      const movedId = draggedId || event.dataTransfer.getData("text/plain");
      const after = row.classList.contains("drop-after");
      row.classList.remove("drop-before", "drop-after");
      if (!movedId || movedId === row.dataset.id) return;
      const ids = providers.map((p) => p.id).filter((id) => id !== movedId);
      ids.splice(ids.indexOf(row.dataset.id) + (after ? 1 : 0), 0, movedId);
      providers = await api.put("/providers/order", { ids });
      renderList();
    });
  }

  async function addProvider() {
    const name = el("input", { type: "text", placeholder: "e.g. vLLM", maxlength: "32" });
    const type = el("select", {}, meta.types.map((t) => el("option", { value: t.id, text: t.label })));
    const created = await openDialog({
      title: "Add provider",
      content: [field("Provider name", name).wrapper, field("Provider type", type).wrapper],
      actions: [{
        label: "Add", kind: "primary",
        run: () => api.post("/providers", { name: name.value.trim(), type: type.value, enabled: false }),
      }],
    });
    if (!created) return;
    await refreshList();
    navigate(`/settings/providers/${created.id}`);
  }

  async function showPanel() {
    const token = ++panelToken;
    if (!selectedId) {
      replaceChildren(panel, el("div", { class: "welcome" },
        el("h2", { text: "Model services" }),
        el("p", { text: providers.length ? "Pick a provider on the left to set it up." : "Add a provider to start: press + Add." })));
      return;
    }
    let provider;
    try {
      provider = await api.get(`/providers/${api.seg(selectedId)}`);
    } catch (error) {
      if (token === panelToken) replaceChildren(panel, el("p", { class: "form-error", text: error.message }));
      return;
    }
    if (token !== panelToken) return;
    replaceChildren(panel, providerPanel(provider));
  }

  function providerPanel(provider) {
    const savedFlash = el("span", { class: "flash", role: "status" });
    // Saves run one after another; Check and Manage wait for them, so they use what was just typed.
    let saving = Promise.resolve();
    const whenSaved = () => saving;
    const updateProvider = (changes) => {
      const update = saving.then(async () => {
        const updated = await api.patch(`/providers/${provider.id}`, changes);
        Object.assign(provider, updated);
        const listed = providers.find((p) => p.id === provider.id);
        if (listed) Object.assign(listed, updated);
        flash(savedFlash, "Saved");
        return updated;
      });
      saving = update.catch(() => {});
      return update;
    };
    const title = el("span", { text: provider.name });
    const head = el("header", { class: "panel-head" },
      avatar(provider.name),
      el("h2", {}, title, el("span", { class: "badge", text: typeLabel(provider.type) })),
      savedFlash);

    /** An input that PATCHes `key` when it changes, with its own inline error line. */
    const savingInput = (key, input, toValue, afterSave) => {
      const error = el("p", { class: "form-error", role: "alert" });
      input.addEventListener("change", async () => {
        error.textContent = "";
        try {
          await updateProvider({ [key]: toValue(input.value) });
          afterSave?.();
        } catch (failure) {
          error.textContent = failure.message;
        }
      });
      return error;
    };

    const nameInput = el("input", { type: "text", value: provider.name, maxlength: "32" });
    const nameError = savingInput("name", nameInput, (v) => v.trim(), () => {
      title.textContent = provider.name;
      renderList();
    });

    const keys = keySection(provider, updateProvider, whenSaved);
    const address = addressSection(provider, savingInput);

    const timeout = el("input", { type: "number", min: "1", step: "1", value: String(provider.timeout) });
    const timeoutError = savingInput("timeout", timeout, (v) => Number(v));

    const models = el("div");
    const reloadModels = async () => {
      const fresh = await api.get(`/providers/${provider.id}/models`);
      provider.models = fresh;
      replaceChildren(models, renderModelsSection(provider, fresh, reloadModels, whenSaved));
    };
    models.append(renderModelsSection(provider, provider.models ?? [], reloadModels, whenSaved));

    const deleteButton = el("button", { type: "button", class: "btn btn-danger" }, icon("trash"), "Delete provider");
    deleteButton.addEventListener("click", async () => {
      const ok = await confirmDialog("Delete provider",
        `Delete ${provider.name} and its ${provider.models?.length ?? 0} models? This cannot be undone.`);
      if (!ok) return;
      await api.del(`/providers/${provider.id}`);
      await refreshList();
      navigate("/settings/providers");
    });

    keys.setCheckModels(() => provider.models ?? []);
    return el("div", { class: "panel-inner" },
      head,
      el("div", { class: "section" }, field("Name", nameInput, nameError).wrapper),
      keys.element,
      address,
      models,
      headersSection(provider, updateProvider),
      bodySection(provider, updateProvider),
      el("div", { class: "section" }, field("Timeout (seconds)", timeout, timeoutError).wrapper),
      el("div", { class: "section danger-zone" }, deleteButton));
  }

  function keySection(provider, updateProvider, whenSaved) {
    const input = el("input", {
      type: "password", autocomplete: "off", spellcheck: "false",
      value: provider.api_keys.join(", "), placeholder: "API key; several keys separated by commas",
    });
    const reveal = el("button", { type: "button", class: "icon-btn", "aria-label": "Show key", "aria-pressed": "false" }, icon("eye"));
    reveal.addEventListener("click", () => {
      const showing = input.type === "text";
      input.type = showing ? "password" : "text";
      reveal.setAttribute("aria-pressed", String(!showing));
      reveal.setAttribute("aria-label", showing ? "Show key" : "Hide key");
      reveal.replaceChildren(icon(showing ? "eye" : "eyeOff"));
    });
    const checkButton = el("button", { type: "button", class: "btn", text: "Check" });
    const result = el("div", { class: "check-result", role: "status", "aria-live": "polite" });
    const keyList = el("ul", { class: "key-list", "aria-label": "Keys" });
    const error = el("p", { class: "form-error", role: "alert" });
    if (provider.secrets_unreadable) {
      error.textContent = "The stored keys and secret headers cannot be decrypted with this secret key. "
        + "Restore the original DRUPE_HOME/secret.key, or type new keys here.";
    }
    let checkModels = () => [];

    const renderKeyList = () => {
      keyList.hidden = provider.api_keys.length < 2;
      replaceChildren(keyList, provider.api_keys.map((key, index) => {
        const status = el("span", { class: "key-status" });
        const test = el("button", { type: "button", class: "btn btn-sm", "aria-label": `Test key ${index + 1}`, text: "Test" });
        test.addEventListener("click", () => runCheck(index, status, test));
        return el("li", {}, el("code", { text: key }), status, test);
      }));
    };

    input.addEventListener("change", async () => {
      error.textContent = "";
      try {
        await updateProvider({ api_keys: input.value });
        input.value = provider.api_keys.join(", ");
        renderKeyList();
      } catch (failure) {
        error.textContent = failure.message;
      }
    });
    checkButton.addEventListener("click", () => runCheck(undefined, result, checkButton));

    /** Check one key (index) or all; show ✓ and latency, or the error kind, message and hint. */
    async function runCheck(keyIndex, target, button) {
      button.disabled = true;
      target.classList.remove("ok", "fail");
      target.replaceChildren(el("span", { class: "hint", text: "Checking…" }));
      try {
        await whenSaved();
        const model = await pickCheckModel();
        if (!model) { target.replaceChildren(); return; }
        const body = keyIndex === undefined ? { model } : { model, key_index: keyIndex };
        const outcome = await api.post(`/providers/${provider.id}/check`, body);
        showCheck(target, outcome.results, keyIndex === undefined);
      } catch (failure) {
        showFailure(target, failure);
      } finally {
        button.disabled = false;
      }
    }

    /** The model to test with: the one there is, or the user's choice among several. */
    async function pickCheckModel() {
      let ids = checkModels().map((m) => m.model_id);
      if (!ids.length) ids = (await api.get(`/providers/${provider.id}/remote-models`)).models.map((m) => m.model_id);
      if (!ids.length) throw new Error("This provider lists no models. Add a model ID with + Add, then check again.");
      if (ids.length === 1) return ids[0];
      return chooseDialog("Choose a model to check", "Model", ids.map((id) => ({ value: id, label: id })), "Use this model");
    }

    function showCheck(target, results, summary) {
      const failed = results.filter((r) => !r.ok);
      if (!failed.length) {
        const fastest = Math.min(...results.map((r) => r.latency_ms ?? Infinity));
        target.classList.add("ok");
        const keys = summary && results.length > 1 ? `all ${results.length} keys work` : "Connected";
        target.replaceChildren(el("strong", { text: `✓ ${keys}` }), el("span", { text: formatMs(fastest) }));
      } else {
        showFailure(target, failed[0].error, summary && results.length > 1 ? `Key ${failed[0].index + 1}: ` : "");
      }
      if (summary && results.length > 1) renderKeyResults(results);
    }

    function renderKeyResults(results) {
      for (const result of results) {
        const status = keyList.children[result.index]?.querySelector(".key-status");
        if (!status) continue;
        status.className = `key-status ${result.ok ? "ok" : "fail"}`;
        status.textContent = result.ok ? `✓ ${formatMs(result.latency_ms)}` : `✗ ${result.error.kind}`;
        status.title = result.ok ? "" : result.error.message;
      }
    }

    function showFailure(target, failure, prefix = "") {
      target.classList.add("fail");
      replaceChildren(target,
        el("strong", { text: `✗ ${prefix}${failure.kind ?? "error"}` }),
        el("span", { text: failure.message }),
        failure.hint ? el("span", { class: "hint", text: failure.hint }) : null);
    }

    renderKeyList();
    input.id = uniqueId("api-key");
    const element = el("div", { class: "section" },
      el("div", { class: "field" },
        el("label", { for: input.id, text: "API key" }),
        el("div", { class: "field-row" }, input, reveal, checkButton),
        error, result, keyList));
    return { element, setCheckModels: (fn) => { checkModels = fn; } };
  }

  function addressSection(provider, savingInput) {
    // What differs by type (placeholders, hints, extra fields) comes from the type's entry in /api/meta.
    const spec = meta.types.find((t) => t.id === provider.type) ?? {};
    const address = el("input", { type: "url", value: provider.base_url, placeholder: spec.address_placeholder ?? "", spellcheck: "false" });
    const resolved = el("p", { class: "hint resolved-url", "aria-live": "polite" });
    const version = el("input", { type: "text", value: provider.api_version, placeholder: spec.api_version_placeholder ?? "" });

    const preview = debounce(async () => {
      try {
        const urls = await api.get(`/resolve-url${api.query({
          type: provider.type, base_url: address.value, api_version: version.value, model: provider.models?.[0]?.model_id,
        })}`);
        resolved.classList.remove("form-error");
        resolved.textContent = `Chat requests go to ${urls.chat_url}`;
      } catch (failure) {
        resolved.classList.add("form-error");
        resolved.textContent = failure.message;
      }
    }, 250);
    address.addEventListener("input", preview);
    version.addEventListener("input", preview);
    preview();

    const addressError = savingInput("base_url", address, (v) => v.trim());
    const addressHelp = el("p", { class: "hint", text: spec.address_help ?? "" });
    const parts = [field("API address", address, [resolved, addressError, addressHelp]).wrapper];
    if (spec.fields?.includes("api_version")) {
      parts.push(field("API version", version, savingInput("api_version", version, (v) => v.trim())).wrapper);
    }
    return el("div", { class: "section" }, parts);
  }

  function headersSection(provider, updateProvider) {
    return pairsSection({
      title: "Extra headers", noun: "header", namePlaceholder: "Header", valuePlaceholder: "Value",
      pairs: provider.headers ?? {}, show: (value) => value, read: (text) => text,
      save: (headers) => updateProvider({ headers }),
    });
  }

  function bodySection(provider, updateProvider) {
    return pairsSection({
      title: "Extra body fields", noun: "body field", namePlaceholder: "Field, e.g. top_k", valuePlaceholder: "Value (JSON or text)",
      pairs: provider.options?.extra_body ?? {},
      // Text that would read back as JSON (the string "20") is shown quoted, so it stays text.
      show: (value) => (typeof value === "string" && readJson(value) === undefined ? value : JSON.stringify(value)),
      read: (text) => { const value = readJson(text); return value === undefined ? text : value; },
      save: (fields) => updateProvider({ options: { ...provider.options, extra_body: fields } }),
      hint: "Added to every chat request's body: values are read as JSON (20, false, {\"enable_thinking\": false}), else as text.",
    });
  }

  function readJson(text) {
    try { return JSON.parse(text); } catch { return undefined; }
  }

  // Rows of name/value inputs saved as one object whenever a row changes.
  function pairsSection({ title, noun, namePlaceholder, valuePlaceholder, pairs, show, read, save, hint }) {
    const rows = el("div", { class: "header-rows" });
    const error = el("p", { class: "form-error", role: "alert" });
    const capital = noun[0].toUpperCase() + noun.slice(1);
    const saveRows = async () => {
      error.textContent = "";
      const values = {};
      for (const row of rows.children) {
        const [name, value] = row.querySelectorAll("input");
        if (name.value.trim()) values[name.value.trim()] = read(value.value);
      }
      try {
        await save(values);
      } catch (failure) {
        error.textContent = failure.message;
      }
    };
    const addRow = (name = "", value = "") => {
      const number = rows.children.length + 1;
      const nameInput = el("input", { type: "text", value: name, placeholder: namePlaceholder, "aria-label": `${capital} ${number} name` });
      const valueInput = el("input", { type: "text", value, placeholder: valuePlaceholder, "aria-label": `${capital} ${number} value` });
      const remove = el("button", { type: "button", class: "icon-btn danger", "aria-label": `Remove ${noun} ${number}` }, icon("trash"));
      const row = el("div", { class: "header-row" }, nameInput, valueInput, remove);
      nameInput.addEventListener("change", saveRows);
      valueInput.addEventListener("change", saveRows);
      remove.addEventListener("click", () => { row.remove(); saveRows(); });
      rows.append(row);
      return nameInput;
    };
    for (const [name, value] of Object.entries(pairs)) addRow(name, show(value));
    const add = el("button", { type: "button", class: "btn btn-sm" }, icon("plus"), `Add ${noun}`);
    add.addEventListener("click", () => addRow().focus());
    return el("div", { class: "section" },
      el("div", { class: "section-head" }, el("h3", { text: title }), add),
      rows, hint ? el("p", { class: "hint", text: hint }) : null, error);
  }

  return {
    async select(id) {
      selectedId = id;
      if (!providers.length) await refreshList();
      else renderList();
      await showPanel();
    },
  };
}
