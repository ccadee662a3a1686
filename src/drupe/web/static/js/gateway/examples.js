// Settings → Gateway, the examples: curl, the openai SDK and the anthropic SDK, filled in with
// this server's address, a model (the first route, else the first enabled model) and a
// placeholder key, or the key just created on this page.

import { el, replaceChildren } from "../dom.js";
import { copyButton } from "../copy.js";
import { t } from "../i18n.js";

const PLACEHOLDER_KEY = "DRUPE_KEY";

export function examplesSection(page) {
  page.ui.examples = el("div", { class: "examples" });
  page.ui.examplesNote = el("p", { class: "hint" });
  return el("section", { class: "section", "aria-label": t("Examples") },
    el("div", { class: "section-head" }, el("h3", { text: t("Examples") })),
    page.ui.examplesNote, page.ui.examples);
}

/** Text for a Python string literal, or a shell one in single quotes. */
const py = (text) => JSON.stringify(text);
const sh = (text) => `'${text.replaceAll("'", "'\\''")}'`;

export function examples({ baseUrl, anthropicUrl, key, model }) {
  const body = JSON.stringify({ model, stream: true, messages: [{ role: "user", content: "Hi" }] });
  return [
    {
      id: "curl",
      title: "curl",
      code: `curl ${sh(`${baseUrl}/chat/completions`)} \\\n`
        + `  -H ${sh(`Authorization: Bearer ${key}`)} \\\n`
        + "  -H 'content-type: application/json' \\\n"
        + `  -d ${sh(body)}`,
    },
    {
      id: "openai",
      title: t("Python: the openai SDK"),
      code: "from openai import OpenAI\n\n"
        + `client = OpenAI(base_url=${py(baseUrl)}, api_key=${py(key)})\n`
        + "answer = client.chat.completions.create(\n"
        + `    model=${py(model)},\n`
        + '    messages=[{"role": "user", "content": "Hi"}],\n'
        + ")\n"
        + "print(answer.choices[0].message.content)",
    },
    {
      id: "anthropic",
      title: t("Python: the anthropic SDK"),
      code: "from anthropic import Anthropic\n\n"
        + `client = Anthropic(base_url=${py(anthropicUrl)}, api_key=${py(key)})\n`
        + "answer = client.messages.create(\n"
        + `    model=${py(model)},\n`
        + "    max_tokens=1024,\n"
        + '    messages=[{"role": "user", "content": "Hi"}],\n'
        + ")\n"
        + "print(answer.content[0].text)",
    },
  ];
}

export function renderExamples(page) {
  const { info, created, routes, models } = page.state;
  if (!info) return;
  const model = routes[0]?.name ?? models[0] ?? "PROVIDER/MODEL";
  const key = created?.secret ?? PLACEHOLDER_KEY;
  page.ui.examplesNote.textContent = created
    ? t("With the key just created ({name}), until you leave this page.", { name: created.name })
    : t("Put a gateway key in place of {placeholder} (+ Create key above).", { placeholder: PLACEHOLDER_KEY });
  const filled = examples({ baseUrl: info.base_url, anthropicUrl: info.anthropic_base_url, key, model });
  replaceChildren(page.ui.examples, filled.map((example) => el("figure", { class: "example", "aria-label": t("{title} example", { title: example.title }) },
    el("figcaption", {}, el("span", { text: example.title }), copyButton(t("Copy {name} example", { name: example.id }), () => example.code)),
    el("pre", {}, el("code", { text: example.code })))));
}
