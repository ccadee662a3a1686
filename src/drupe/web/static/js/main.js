// Entry point: the page's language first, then the left navigation and a tiny path router
// (/chat/ID, /settings/providers/ID).
//
// Every other module is imported only once the language is loaded, so a t() anywhere (even at a
// module's top level) finds its catalog. api.js is the exception: the access token is taken from
// the address (#token=…) first, so a link followed before the page is ready still has it
// (api.js translates only inside its functions).

import * as api from "./api.js";
import { loadLanguage, t } from "./i18n.js";

/** Our language code for the page's <html lang> (the server writes it; zh-Hans is our zh). */
function languageOf(tag) {
  const code = (tag || "en").toLowerCase().split("-")[0];
  return code === "in" ? "id" : code;
}

api.adoptTokenFromAddress();
await loadLanguage(languageOf(document.documentElement.lang));
const [{ promptDialog }, { icon }, { showChat }, { showSettings }, { followSystemScheme }] = await Promise.all([
  import("./dialogs.js"), import("./icons.js"), import("./chat.js"), import("./settings.js"),
  import("./theme.js"), import("./skip.js"),
]);

const pageRoot = document.getElementById("page");
let leavePage = () => {};
let currentPage = "";

function parseRoute(pathname) {
  const [section = "chat", ...rest] = pathname.split("/").filter(Boolean).map(decodeURIComponent);
  return section === "settings"
    ? { page: "settings", tab: rest[0] ?? "providers", id: rest[1] ?? null }
    : { page: "chat", id: rest[0] ?? null };
}

/** Go to `path` (a new history entry) and show its page. */
function navigate(path) {
  if (path !== location.pathname) history.pushState(null, "", path);
  route();
}

function route() {
  const target = parseRoute(location.pathname);
  for (const item of document.querySelectorAll(".nav-item")) {
    const active = item.dataset.page === target.page;
    item.classList.toggle("active", active);
    if (active) item.setAttribute("aria-current", "page");
    else item.removeAttribute("aria-current");
  }
  if (target.page !== currentPage) {
    leavePage();
    pageRoot.replaceChildren();
    currentPage = target.page;
    leavePage = (target.page === "settings" ? showSettings : showChat)(pageRoot, navigate);
  }
  pageRoot.dispatchEvent(new CustomEvent("route", { detail: target }));
}

function interceptLinks(event) {
  const link = event.target.closest("a[href^='/']");
  if (!link || link.target || link.hasAttribute("download") || event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) return;
  event.preventDefault();
  navigate(link.getAttribute("href"));
}

/** index.html's fixed navigation, named in the page's language. */
function nameNavigation() {
  document.querySelector(".nav-rail").setAttribute("aria-label", t("Main"));
  document.querySelector(".nav-logo").setAttribute("aria-label", t("drupe home"));
  for (const [page, label, iconName] of [["chat", t("Chat"), "chat"], ["settings", t("Settings"), "gear"]]) {
    const item = document.querySelector(`.nav-item[data-page="${page}"]`);
    item.setAttribute("aria-label", label);
    item.title = label;
    item.append(icon(iconName));
  }
}

/** Off loopback the API needs the access token: from the printed link, else asked for here. */
async function ensureToken() {
  for (;;) {
    try {
      await api.get("/meta");
      return;
    } catch (error) {
      if (error.kind !== "token") return;  // other problems show where they happen
      const token = await promptDialog(t("Access token"),
        t("This drupe server needs its access token: paste the one `drupe serve` printed."), "", t("Continue"));
      if (!token) return;
      api.setToken(token);
    }
  }
}

followSystemScheme();
nameNavigation();
document.addEventListener("click", interceptLinks);
window.addEventListener("popstate", route);
await ensureToken();
route();
