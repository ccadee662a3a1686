// The first stop of the Tab key: a link that skips the navigation to the message box (on the
// Chat page) or to the page's content (elsewhere). Hidden until it has the focus.

import { el } from "./dom.js";
import { t } from "./i18n.js";

const link = el("a", { class: "skip-link", href: "#page" });
const messageBox = () => document.querySelector(".composer textarea");

// Named when it gets the focus, so it says where it goes on the page shown now.
link.addEventListener("focus", () => {
  link.textContent = messageBox() ? t("Skip to message box") : t("Skip to main content");
});
link.addEventListener("click", (event) => {
  event.preventDefault();
  const target = messageBox() ?? document.getElementById("page");
  if (target.id === "page") target.tabIndex = -1;
  target.focus();
});
link.textContent = t("Skip to message box");
document.body.prepend(link);
