// Settings → Gateway: the address other programs reach drupe's /v1 API at, the gateway keys
// (gateway/keys.js), the routes (gateway/routes.js), the usage (gateway/usage.js) and examples
// filled in with the address and a key (gateway/examples.js). Everything the server sends
// (names, patterns, targets, errors) goes in as text.

import * as api from "../api.js";
import { el, replaceChildren } from "../dom.js";
import { copyButton } from "../copy.js";
import { errorReporter, reporting } from "../errors.js";
import { renderExamples, examplesSection } from "./examples.js";
import { keysSection, renderKeys } from "./keys.js";
import { renderRoutes, routesSection } from "./routes.js";
import { loadUsage, renderUsage, usageSection } from "./usage.js";
import { t } from "../i18n.js";

/** A fresh state for the tab; the comments say what each key holds. */
function createGatewayState() {
  return {
    info: null,  // GET /gateway/info: base_url, anthropic_base_url, enabled
    keys: [],  // GET /gateway/keys, by name, revoked ones too
    routes: [],  // GET /gateway/routes
    models: [],  // "PROVIDER/MODEL_ID" of every enabled provider's models, for route targets
    usage: { since: "7d", by: "key", rows: [] },  // GET /gateway/usage
    created: null,  // { name, secret } of the key created on this page, until the page is left
  };
}

/** Which renderers show which state keys. */
const RENDERERS = [
  [["info"], (page) => renderAddress(page)],
  [["keys"], (page) => renderKeys(page)],
  [["routes"], (page) => renderRoutes(page)],
  [["usage"], (page) => renderUsage(page)],
  [["info", "created", "routes", "models"], (page) => renderExamples(page)],
];

/** Builds the Gateway tab into `root` and loads it. */
export function createGatewayView(root) {
  const page = { state: createGatewayState(), ui: {} };
  page.set = (changes) => {
    Object.assign(page.state, changes);
    for (const [keys, render] of RENDERERS) {
      if (keys.some((key) => key in changes)) render(page);
    }
  };
  const alert = el("p", { class: "form-error page-error", role: "alert" });
  page.reportError = errorReporter((text) => { alert.textContent = text; });
  page.handle = (handler) => reporting(page.reportError, async (...args) => {
    alert.textContent = "";
    await handler(...args);
  });
  page.loadKeys = async () => page.set({ keys: await api.get("/gateway/keys") });
  page.loadRoutes = async () => page.set({ routes: await api.get("/gateway/routes") });

  page.ui.address = el("div", { class: "gateway-address" });
  root.append(el("section", { class: "provider-panel", "aria-label": t("Gateway settings") },
    el("div", { class: "panel-inner gateway" },
      el("header", { class: "panel-head" }, el("h2", { text: t("Gateway") })),
      el("p", { text: t("Other programs (editors, scripts, the openai and anthropic SDKs, agents) reach every model set up here through one OpenAI- and Anthropic-compatible API, with a gateway key of their own: they never see your providers' keys.") }),
      alert,
      el("section", { class: "section", "aria-label": t("Address") },
        el("div", { class: "section-head" }, el("h3", { text: t("Address") })), page.ui.address),
      keysSection(page),
      routesSection(page),
      usageSection(page),
      examplesSection(page))));

  return {
    async load() {
      try {
        const [info, keys, routes, models] = await Promise.all([
          api.get("/gateway/info"), api.get("/gateway/keys"), api.get("/gateway/routes"),
          api.get("/models?enabled=true"),
        ]);
        page.set({ info, keys, routes, models: models.map((m) => `${m.provider}/${m.model_id}`) });
        await loadUsage(page);
      } catch (error) {
        page.reportError(error);
      }
    },
  };
}

function renderAddress(page) {
  const { info } = page.state;
  replaceChildren(page.ui.address,
    el("div", { class: "copy-line" },
      el("code", { class: "base-url", "aria-label": t("Base URL"), text: info.base_url }),
      copyButton(t("Copy base URL"), () => page.state.info.base_url)),
    el("p", { class: "hint" }, withCode(t("OpenAI clients take it as their base URL; the anthropic SDK takes {address} (it adds /v1 itself). Every request needs a gateway key, sent as Authorization: Bearer KEY or x-api-key: KEY, also from this computer. Web pages may not use it."),
      "{address}", el("code", { text: info.anthropic_base_url }))),
    info.enabled ? null : el("p", { class: "warning", role: "note",
      text: t("This server does not answer /v1: start drupe serve without turning the gateway off.") }));
}

/** A translated sentence with an element where its `{placeholder}` is. */
function withCode(sentence, placeholder, node) {
  const at = sentence.indexOf(placeholder);
  return at < 0 ? [sentence, " ", node] : [sentence.slice(0, at), node, sentence.slice(at + placeholder.length)];
}
