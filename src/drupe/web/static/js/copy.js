// Copying text to the clipboard: the Clipboard API where the page may use it (HTTPS, localhost),
// else the older select-and-copy, which also works on a plain-HTTP address off loopback.

import { el } from "./dom.js";
import { t } from "./i18n.js";
import { icon } from "./icons.js";

export async function copyToClipboard(text) {
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    const scratch = el("textarea", { class: "sr-only" });
    scratch.value = text;
    document.body.append(scratch);
    scratch.select();
    document.execCommand("copy");
    scratch.remove();
  }
}

/** A "Copy" button named `label` that copies `text()` and says "Copied" for a moment. */
export function copyButton(label, text) {
  const words = el("span", { text: t("Copy") });
  const button = el("button", { type: "button", class: "btn btn-sm", "aria-label": label, title: label }, icon("copy"), words);
  button.addEventListener("click", async () => {
    await copyToClipboard(text());
    words.textContent = t("Copied");
    clearTimeout(button._copiedTimer);
    button._copiedTimer = setTimeout(() => { words.textContent = t("Copy"); }, 1500);
  });
  return button;
}
