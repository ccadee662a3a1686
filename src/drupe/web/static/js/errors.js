// One way for a page to report what failed in an async handler (a click, a change, a load):
// the error goes into the page's alert line in the server's own words, never only to the console.
// The page's own words are the short names of the kinds of failure (`kindWords`).

import { t } from "./i18n.js";

/** The kinds of failure the server and the page name (drupe.errors, drupe.hints), in words. */
function kindNames() {
  return {
    auth: t("authentication"),
    not_found: t("not found"),
    unknown_model: t("unknown model"),
    rate_limit: t("rate limit"),
    rate_limited: t("rate limit"),
    timeout: t("timed out"),
    connection: t("cannot connect"),
    dropped: t("connection dropped"),
    bad_response: t("bad response"),
    server: t("server error"),
    over_limit: t("over drupe's limit"),
    tools_refused: t("tools refused"),
    mcp: t("tool server"),
    start: t("cannot start"),
    invalid: t("invalid"),
    conflict: t("conflict"),
    unavailable: t("unavailable"),
    provider: t("provider"),
    provider_disabled: t("provider off"),
    secrets_unreadable: t("keys unreadable"),
    storage: t("storage"),
    internal: t("internal error"),
    too_large: t("too large"),
    network: t("network"),
    stopped: t("stopped"),
    unknown: t("error"),
    error: t("error"),
  };
}

/** A failure's kind (`rate_limit`) as a short name in the page's language; one it does not know, as is. */
export function kindWords(kind) {
  const names = kindNames();
  const key = kind ?? "error";
  return Object.hasOwn(names, key) ? names[key] : key;
}

/** The words to show for `error`: an ApiError's message and hint, or any Error's message. */
export function errorText(error) {
  const message = error?.message || String(error);
  return error?.hint ? `${message}\n${error.hint}` : message;
}

/**
 * A page's `reportError(error)`: `show(text)` puts the words in the page's alert line.
 * An aborted request is not a failure (the page moved on), so it is not reported.
 */
export function errorReporter(show) {
  return function reportError(error) {
    if (error?.name === "AbortError") return;
    show(errorText(error));
  };
}

/**
 * The async function `handler` as an event listener whose failure is reported, not lost.
 * It is called at once, so it can still call `event.preventDefault()`.
 */
export function reporting(reportError, handler) {
  return (...args) => { handler(...args).catch(reportError); };
}
