// What the models section (models.js) and the Manage dialog (models/manage.js) both draw.

import * as api from "../api.js";
import { el } from "../dom.js";
import { icon } from "../icons.js";

export function modelPath(provider, modelId) {
  return `/providers/${provider.id}/models/${api.seg(modelId)}`;
}

/** A collapsible group of model rows, its name and count in the summary. `extra` controls sit on
 * the summary's line but outside it: a button inside a <summary> is a control inside a control,
 * which screen readers cannot reach. */
export function groupSection(groupName, count, rows, extra) {
  const section = el("details", { class: "model-group", open: true },
    el("summary", {},
      el("span", { class: "group-title" }, icon("chevronDown"), el("span", { text: groupName }), el("span", { class: "count", text: String(count) }))),
    rows);
  return extra ? el("div", { class: "model-group-box" }, section, el("div", { class: "group-extra" }, extra)) : section;
}
