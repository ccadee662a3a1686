// Light, dark or the system's colours. The server writes the stored choice into
// <html data-theme> (so the first paint is right); the stylesheet does the rest. The `dark` class
// is for the code-highlighting CSS, which has its dark variant under `.dark`.

const darkScheme = matchMedia("(prefers-color-scheme: dark)");

/** The theme now shown: "light", "dark" or "system". */
export function currentTheme() {
  return document.documentElement.dataset.theme || "system";
}

/** Show `theme` ("light", "dark" or "system") at once. */
export function applyTheme(theme) {
  document.documentElement.dataset.theme = theme;
  document.documentElement.classList.toggle("dark", theme === "dark" || (theme === "system" && darkScheme.matches));
}

/** Keep the `dark` class in step when the system's scheme changes while the page is open. */
export function followSystemScheme() {
  darkScheme.addEventListener("change", () => applyTheme(currentTheme()));
  applyTheme(currentTheme());
}
