// The page's words in the user's language. Every text a person reads is written in English in
// the JS, wrapped in t() or tn(); that English text is the key. `make i18n` extracts the keys into
// the "web" catalogs (src/drupe/locale/LANG/LC_MESSAGES/web.po) and compiles each language to
// /static/i18n/LANG.json, loaded once before the page is drawn. A key not translated shows in English.

let language = "en";
let messages = {};
let pluralIndex = (n) => (n === 1 ? 0 : 1);

/** The plural rules of the languages drupe speaks, by their gettext expression (no eval). */
const PLURAL_RULES = {
  "(n != 1)": (n) => (n === 1 ? 0 : 1),
  "(n > 1)": (n) => (n > 1 ? 1 : 0),
  "0": () => 0,
};

/** Load `code`'s catalog (English needs none) and set <html lang>. */
export async function loadLanguage(code) {
  language = code || "en";
  messages = {};
  pluralIndex = PLURAL_RULES["(n != 1)"];
  if (language !== "en") {
    const response = await fetch(`/static/i18n/${encodeURIComponent(language)}.json`);
    if (response.ok) {
      const catalog = await response.json();
      messages = catalog.messages ?? {};
      pluralIndex = PLURAL_RULES[catalog.plural] ?? pluralIndex;
    }
  }
  document.documentElement.lang = language === "zh" ? "zh-Hans" : language;
}

/** The page's language code (en, zh, es, pt, fr, id). */
export function currentLanguage() {
  return language;
}

function fill(text, params) {
  return params ? text.replace(/\{(\w+)\}/g, (whole, name) => (name in params ? String(params[name]) : whole)) : text;
}

/** `key` (English text) in the page's language, its {placeholders} filled from `params`. */
export function t(key, params) {
  const found = messages[key];
  return fill(typeof found === "string" ? found : key, params);
}

/** The singular or plural for the count `n` by the language's rule; {n} is the count. */
export function tn(singular, plural, n, params) {
  const forms = messages[singular];
  const text = Array.isArray(forms) ? forms[Math.min(pluralIndex(n), forms.length - 1)] : n === 1 ? singular : plural;
  return fill(text, { n: formatNumber(n), ...params });
}

/** A number as the user's language writes it. */
export function formatNumber(n, options) {
  return new Intl.NumberFormat(language === "zh" ? "zh-Hans" : language, options).format(n);
}

/** A date and time as the user's language writes it. */
export function formatDate(date, options = { dateStyle: "medium", timeStyle: "short" }) {
  return new Intl.DateTimeFormat(language === "zh" ? "zh-Hans" : language, options).format(date);
}
