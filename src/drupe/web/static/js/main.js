// Entry point: the left navigation and a tiny path router (/chat/ID, /settings/providers/ID).

import * as api from "./api.js";
import { promptDialog } from "./dialogs.js";
import { icon } from "./icons.js";
import { showChat } from "./chat.js";
import { showSettings } from "./settings.js";

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

// The server's code-highlighting CSS has a dark variant under `.dark`.
const darkScheme = matchMedia("(prefers-color-scheme: dark)");
const followScheme = () => document.documentElement.classList.toggle("dark", darkScheme.matches);
darkScheme.addEventListener("change", followScheme);
followScheme();

document.querySelector('.nav-item[data-page="chat"]').append(icon("chat"));
document.querySelector('.nav-item[data-page="settings"]').append(icon("gear"));
/** Off loopback the API needs the access token: from the printed link, else asked for here. */
async function ensureToken() {
  api.adoptTokenFromAddress();
  for (;;) {
    try {
      await api.get("/meta");
      return;
    } catch (error) {
      if (error.kind !== "token") return;  // other problems show where they happen
      const token = await promptDialog("Access token",
        "This drupe server needs its access token: paste the one `drupe serve` printed.", "", "Continue");
      if (!token) return;
      api.setToken(token);
    }
  }
}

document.addEventListener("click", interceptLinks);
window.addEventListener("popstate", route);
await ensureToken();
route();
