// Settings → Titles: whether a conversation gets a title from a model after its first answer,
// and which model gives it (the one that answered, or one picked here). Each change is saved at
// once; when the server refuses it, the controls go back to what is stored.

import * as api from "./api.js";
import { el, field, replaceChildren } from "./dom.js";

const SETTING = "/settings/titles";
const OWN = "";  // the select's value for "the model that answered"
const keyOf = (providerId, modelId) => `${providerId}\u0000${modelId}`;

/** Fill `content` with the titles panel. */
export async function showTitles(content) {
  const toggle = el("button", { type: "button", class: "switch", role: "switch", "aria-checked": "true",
    "aria-label": "Name conversations automatically" });
  const select = el("select", {});
  const error = el("p", { class: "form-error", role: "alert" });
  content.append(el("div", { class: "provider-panel" }, el("div", { class: "panel-inner" },
    el("header", { class: "panel-head" }, el("h2", { text: "Conversation titles" })),
    el("p", { text: "After a conversation's first answer, a model gives it a short title. Until then, and "
      + "when that fails or takes too long, its first message is the title. A title you give by renaming stays." }),
    el("label", { class: "field-row" }, toggle, el("span", { text: "Name conversations automatically" })),
    field("Title model", select).wrapper,
    error)));

  const [stored, models] = await Promise.all([api.get(SETTING), api.get(`/models${api.query({ enabled: "true" })}`)]);
  let current = stored;
  const show = (settings) => {
    current = settings;
    toggle.setAttribute("aria-checked", String(settings.enabled));
    select.disabled = !settings.enabled;
    const chosen = settings.model ? keyOf(settings.provider, settings.model) : OWN;
    const options = [el("option", { value: OWN, text: "The model that answered" }),
      ...models.map((m) => el("option", { value: keyOf(m.provider_id, m.model_id), text: `${m.provider} · ${m.name || m.model_id}` }))];
    if (chosen !== OWN && !models.some((m) => keyOf(m.provider_id, m.model_id) === chosen)) {
      options.push(el("option", { value: chosen, text: `${settings.model} (not available)` }));
    }
    replaceChildren(select, options);
    select.value = chosen;
  };
  const save = async (changes) => {
    error.textContent = "";
    const [provider, model] = select.value === OWN ? [null, null] : select.value.split("\u0000");
    try {
      show(await api.put(SETTING, { enabled: current.enabled, provider, model, ...changes }));
    } catch (problem) {
      error.textContent = problem.message;
      show(current);
    }
  };
  toggle.addEventListener("click", () => save({ enabled: toggle.getAttribute("aria-checked") !== "true" }));
  select.addEventListener("change", () => save({}));
  show(stored);
}
