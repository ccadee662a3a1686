// The Chat page's "Jump to latest" button. While an answer streams in, the list follows it
// only when the reader is at the bottom (turns.js asks `nearBottom`); scrolled up to read, the
// reader stays put and this button, over the composer, says there is more below and goes there.

import { el } from "../dom.js";
import { t } from "../i18n.js";
import { icon } from "../icons.js";
import { nearBottom, scrollToBottom } from "./messages-list.js";

export function createJumpButton(page) {
  const button = el("button", { type: "button", class: "btn jump-btn", hidden: true }, icon("down"), t("Jump to latest"));
  const { scroller, list } = page.ui.messages;
  const update = () => { button.hidden = scroller.hidden || nearBottom(page); };
  button.addEventListener("click", () => {
    scrollToBottom(page);
    update();
  });
  scroller.addEventListener("scroll", update, { passive: true });
  // The list grows while an answer streams in, without a scroll event.
  new ResizeObserver(update).observe(list);
  return button;
}
