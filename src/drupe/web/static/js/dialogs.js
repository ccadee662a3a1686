// Modal dialogs on the native <dialog> element: role dialog, named by its title.

import { el, field, uniqueId } from "./dom.js";
import { icon } from "./icons.js";
import { t } from "./i18n.js";

/**
 * Open a modal dialog. `actions`: [{ label, kind: "primary"|"danger"|undefined, run }]
 * where `run()` returns the dialog's result (or a Promise of it); if it throws, the
 * message is shown inside the dialog and it stays open. Resolves with the result,
 * or null when cancelled (Escape, Cancel, close button). `cancellable: false` leaves out
 * the Cancel button, for dialogs whose changes apply at once.
 */
export function openDialog({ title, content = [], actions = [], className = "", cancellable = true }) {
  return new Promise((resolve) => {
    const titleId = uniqueId("dialog-title");
    const errorLine = el("p", { class: "form-error", role: "alert" });
    const body = el("div", { class: "dialog-body" }, content, errorLine);
    const cancel = el("button", { type: "button", class: "btn", text: t("Cancel") });
    const buttons = actions.map((action) => {
      const button = el("button", {
        type: action.kind === "primary" ? "submit" : "button",
        class: `btn ${action.kind ? `btn-${action.kind}` : ""}`,
        text: action.label,
      });
      button.addEventListener("click", (event) => { event.preventDefault(); runAction(action, button); });
      return button;
    });
    const form = el("form", { class: "dialog-form", method: "dialog" },
      el("header", { class: "dialog-header" },
        el("h2", { id: titleId, text: title }),
        el("button", { type: "button", class: "icon-btn", "aria-label": t("Close"), onclick: () => finish(null) }, icon("close"))),
      body,
      el("footer", { class: "dialog-footer" }, cancellable ? cancel : null, buttons));
    const dialog = el("dialog", { class: `dialog ${className}`, "aria-labelledby": titleId }, form);

    // The focus goes back to what opened the dialog (a button), if it is still on the page.
    const opener = document.activeElement;
    let settled = false;
    function finish(result) {
      if (settled) return;
      settled = true;
      dialog.close();
      dialog.remove();
      if (opener?.isConnected && !document.querySelector("dialog[open]")) opener.focus();
      resolve(result);
    }

    async function runAction(action, button) {
      errorLine.textContent = "";
      button.disabled = true;
      try {
        const result = await action.run();
        finish(result === undefined ? true : result);
      } catch (error) {
        errorLine.textContent = error.message ?? String(error);
      } finally {
        button.disabled = false;
      }
    }

    cancel.addEventListener("click", () => finish(null));
    dialog.addEventListener("cancel", (event) => { event.preventDefault(); finish(null); });
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const primary = actions.findIndex((action) => action.kind === "primary");
      if (primary >= 0) runAction(actions[primary], buttons[primary]);
    });
    document.body.append(dialog);
    dialog.showModal();
    const firstInput = body.querySelector("input, select, textarea");
    (firstInput ?? buttons[0] ?? cancel).focus();
  });
}

/** Ask a yes/no question; resolves true when confirmed. */
export async function confirmDialog(title, message, confirmLabel = t("Delete")) {
  const result = await openDialog({
    title,
    content: [el("p", { text: message })],
    actions: [{ label: confirmLabel, kind: "danger", run: () => true }],
  });
  return result === true;
}

/** Ask for one choice among `options` ([{ value, label }]); resolves the value or null. */
export function chooseDialog(title, labelText, options, confirmLabel = t("OK")) {
  const select = el("select", {}, options.map((option) => el("option", { value: option.value, text: option.label })));
  return openDialog({
    title,
    content: [field(labelText, select).wrapper],
    actions: [{ label: confirmLabel, kind: "primary", run: () => select.value }],
  });
}

/** Ask for one line of text; resolves the trimmed text or null. */
export function promptDialog(title, labelText, initial = "", confirmLabel = t("Save")) {
  const input = el("input", { type: "text", value: initial });
  return openDialog({
    title,
    content: [field(labelText, input).wrapper],
    actions: [{ label: confirmLabel, kind: "primary", run: () => input.value.trim() }],
  });
}
