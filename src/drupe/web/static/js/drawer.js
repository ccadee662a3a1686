// On a phone (narrower than 640 px, see app.css) a side list becomes a drawer: a labelled menu
// button opens it over the page, and a tap outside it, Escape or choosing an item in it closes
// it and gives the focus back to that button. Wider screens show the list and hide the button.

import { el } from "./dom.js";
import { t } from "./i18n.js";
import { icon } from "./icons.js";

const PHONE = matchMedia("(max-width: 639.98px)");

/**
 * Make `drawer` (already in the page) a drawer opened by the returned menu button, named
 * `label`. It closes when the page `root` goes to another address (a conversation, a tab was
 * chosen in it). Returns { button, close, destroy }.
 */
export function makeDrawer(drawer, root, label) {
  const button = el("button", {
    type: "button", class: "icon-btn drawer-btn", "aria-label": label, title: label, "aria-expanded": "false",
  }, icon("menu"));
  const backdrop = el("div", { class: "drawer-backdrop", hidden: true });
  drawer.classList.add("drawer");
  drawer.after(backdrop);

  const isOpen = () => drawer.classList.contains("open");
  function open() {
    drawer.classList.add("open");
    backdrop.hidden = false;
    button.setAttribute("aria-expanded", "true");
    (drawer.querySelector("[aria-current=page], [aria-selected=true], .active a, input, a, button") ?? drawer).focus();
  }
  function close({ refocus = true } = {}) {
    if (!isOpen()) return;
    drawer.classList.remove("open");
    backdrop.hidden = true;
    button.setAttribute("aria-expanded", "false");
    if (refocus && PHONE.matches) button.focus();
  }

  button.addEventListener("click", () => (isOpen() ? close() : open()));
  backdrop.addEventListener("click", () => close());
  const listening = new AbortController();
  // Choosing an item shows it: the focus goes back to the menu button if it was in the drawer.
  root.addEventListener("route", () => close({ refocus: drawer.contains(document.activeElement) }),
    { signal: listening.signal });
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && isOpen() && !document.querySelector("dialog[open]")) {
      event.preventDefault();
      close();
    }
  }, { signal: listening.signal });
  // Back to a wide screen: the list is part of the page again.
  PHONE.addEventListener("change", () => close({ refocus: false }), { signal: listening.signal });
  return { button, close, destroy: () => listening.abort() };
}

/** A phone-only link back from an item (a provider, an MCP server) to the list it is part of. */
export function backLink(href) {
  return el("a", { class: "icon-btn back-link", href, "aria-label": t("Back to the list"), title: t("Back to the list") }, icon("back"));
}
