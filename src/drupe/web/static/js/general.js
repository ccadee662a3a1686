// Settings → General: the page's language and theme, stored on the server (which writes them
// into <html lang data-theme> when it serves the page).

import * as api from "./api.js";
import { el, field, flash } from "./dom.js";
import { t } from "./i18n.js";
import { applyTheme } from "./theme.js";

const BROWSER = "";

/** Fill `content` with the General page. */
export async function showGeneral(content) {
  const general = await api.get("/settings/general");
  const language = el("select", {},
    el("option", { value: BROWSER, text: t("The browser's language") }),
    Object.entries(general.languages).map(([code, name]) =>
      el("option", { value: code, lang: code === "zh" ? "zh-Hans" : code, text: name })));
  const chosen = general.language ?? BROWSER;
  language.value = chosen;
  const theme = el("select", {},
    el("option", { value: "system", text: t("Follow the system") }),
    el("option", { value: "light", text: t("Light") }),
    el("option", { value: "dark", text: t("Dark") }));
  theme.value = general.theme;
  const status = el("span", { class: "flash", role: "status" });
  const error = el("p", { class: "form-error", role: "alert" });

  async function save() {
    error.textContent = "";
    try {
      const saved = await api.put("/settings/general", { language: language.value || null, theme: theme.value });
      applyTheme(saved.theme);
      // Another language: the server serves the page again with its lang, and every text is drawn in it.
      if ((saved.language ?? BROWSER) !== chosen) location.reload();
      else flash(status, t("Saved"));
    } catch (failure) {
      error.textContent = failure.message;
    }
  }
  language.addEventListener("change", save);
  theme.addEventListener("change", save);

  content.append(el("div", { class: "provider-panel" }, el("div", { class: "panel-inner" },
    el("header", { class: "panel-head" }, el("h2", { text: t("General") }), status),
    el("div", { class: "section" },
      field(t("Language"), language,
        el("p", { class: "hint", text: t("The browser's language is used when none is chosen here.") })).wrapper,
      field(t("Theme"), theme).wrapper),
    error)));
}
