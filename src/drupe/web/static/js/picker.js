// The chat's model picker: enabled providers' models grouped by provider; one model, or
// several ("Pick several models") whose answers stream side by side. Opening a conversation picks
// the models of its latest turn (`follow`).

import * as api from "./api.js";
import { avatar, el, groupBy, matches, replaceChildren } from "./dom.js";
import { t } from "./i18n.js";
import { capabilityIcons, icon } from "./icons.js";

const STORAGE_KEY = "drupe.selectedModels";
const keyOf = (model) => `${model.provider_id}\u0000${model.model_id}`;

export function createModelPicker({ onChange }) {
  let models = [];
  let chosen = new Set(JSON.parse(localStorage.getItem(STORAGE_KEY) ?? "[]"));
  let several = chosen.size > 1;

  const label = el("span", { class: "label" });
  const button = el("button", { type: "button", class: "model-picker-btn", "aria-haspopup": "dialog", "aria-expanded": "false" },
    icon("cpu"), label, icon("chevronDown", "icon icon-xs"));
  const search = el("input", { type: "search", placeholder: t("Search models"), "aria-label": t("Search models") });
  const list = el("div", { class: "picker-list", role: "listbox", "aria-label": t("Models"), "aria-multiselectable": "false" });
  const severalSwitch = el("button", { type: "button", class: "switch switch-sm", role: "switch", "aria-label": t("Pick several models"), "aria-checked": "false" });
  const popover = el("div", { class: "picker-pop", role: "dialog", "aria-label": t("Choose models"), hidden: true },
    el("div", { class: "search-box" }, icon("search"), search),
    list,
    el("label", { class: "picker-foot field-row" }, severalSwitch, el("span", { text: t("Pick several models: their answers stream side by side") })));
  document.body.append(popover);

  const selected = () => models.filter((m) => chosen.has(keyOf(m)));

  function save() {
    localStorage.setItem(STORAGE_KEY, JSON.stringify([...chosen]));
    renderButton();
    onChange();
  }

  function renderButton() {
    const picked = selected();
    const text = picked.length ? picked.map((m) => m.name || m.model_id).join(", ")
      : models.length ? t("Choose a model") : t("No models: add one in Settings");
    label.textContent = text;
    button.setAttribute("aria-label", t("Model: {models}", { models: text }));
    button.title = picked.map((m) => `${m.provider} · ${m.model_id}`).join("\n");
  }

  function renderList() {
    severalSwitch.setAttribute("aria-checked", String(several));
    list.setAttribute("aria-multiselectable", String(several));
    const shown = models.filter((m) => matches(search.value, m.model_id, m.name, m.provider));
    const groups = groupBy(shown, (m) => m.provider_id);
    replaceChildren(list, shown.length ? [...groups.values()].map((members) => el("div", { role: "group", "aria-label": members[0].provider },
      el("div", { class: "picker-group", "aria-hidden": "true" }, avatar(members[0].provider, true), members[0].provider),
      members.map(option)))
      : el("p", { class: "empty", text: models.length ? t("No match") : t("No enabled provider has models. Add them in Settings → Model services.") }));
  }

  function option(model) {
    const isChosen = chosen.has(keyOf(model));
    const item = el("button", {
      type: "button", class: "picker-option", role: "option", "aria-selected": String(isChosen),
      "aria-label": `${model.name || model.model_id} (${model.provider})`,
    }, el("span", { class: "tick" }, icon("check")), el("span", { class: "name", text: model.name || model.model_id }), capabilityIcons(model.capabilities));
    item.addEventListener("click", () => {
      if (several) {
        if (chosen.has(keyOf(model))) chosen.delete(keyOf(model)); else chosen.add(keyOf(model));
        renderList();
      } else {
        chosen = new Set([keyOf(model)]);
        close();
      }
      save();
    });
    return item;
  }

  function place() {
    const box = button.getBoundingClientRect();
    popover.style.top = `${box.bottom + 6}px`;
    popover.style.left = `${Math.max(8, Math.min(box.left, window.innerWidth - 372))}px`;
  }

  async function openPopover() {
    await load();
    renderList();
    popover.hidden = false;
    button.setAttribute("aria-expanded", "true");
    place();
    search.focus();
  }

  function close() {
    popover.hidden = true;
    button.setAttribute("aria-expanded", "false");
  }

  async function load() {
    try {
      models = await api.get(`/models${api.query({ enabled: "true" })}`);
    } catch {
      models = [];
    }
    const available = new Set(models.map(keyOf));
    chosen = new Set([...chosen].filter((key) => available.has(key)));
    if (!chosen.size && models.length) chosen.add(keyOf(models.find((m) => !m.capabilities?.includes("embedding")) ?? models[0]));
    renderButton();
  }

  button.addEventListener("click", () => (popover.hidden ? openPopover() : close()));
  search.addEventListener("input", renderList);
  severalSwitch.addEventListener("click", () => {
    several = !several;
    if (!several && chosen.size > 1) chosen = new Set([[...chosen][0]]);
    renderList();
    save();
  });
  const listening = new AbortController();
  document.addEventListener("pointerdown", (event) => {
    if (!popover.hidden && !popover.contains(event.target) && !button.contains(event.target)) close();
  }, { signal: listening.signal });
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && !popover.hidden) { close(); button.focus(); }
  }, { signal: listening.signal });

  /** Pick these models ([{provider, model}], the provider by name), as an opened conversation
   * asks; nothing changes when one of them is not offered any more, or none is given. */
  async function follow(wanted) {
    if (!wanted.length) return;
    await load();
    const found = wanted.map((w) => models.find((m) => m.provider === w.provider && m.model_id === w.model));
    if (found.some((m) => !m)) return;
    chosen = new Set(found.map(keyOf));
    several = chosen.size > 1;
    save();
  }

  return {
    button,
    selected,
    load,
    follow,
    destroy() { listening.abort(); popover.remove(); },
  };
}
