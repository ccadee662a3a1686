// One way for a page to report what failed in an async handler (a click, a change, a load):
// the error goes into the page's alert line in the server's own words, never only to the console.

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
