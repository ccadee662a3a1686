// Remote images in answers. The server writes each one as an inert placeholder naming its host
// (render.py): a model fed hostile text can write an image whose address carries the
// conversation, and the browser would fetch it as the answer renders. Here a placeholder gets
// "Load image" (this one, this page) and "Always load from HOST" (a stored setting, removable
// under Settings → Images); data: images and the user's own attachments are not placeholders.

import * as api from "./api.js";
import { el } from "./dom.js";
import { t } from "./i18n.js";

const SETTING = "/settings/trusted-image-hosts";
const PLACEHOLDERS = "span.remote-image";

let trusted = null;
/** Addresses loaded by a click: still images when their answer is rendered again (until reload). */
const loadedHere = new Set();

/** The hosts whose images load without a click (a Promise of a Set, fetched once per page). */
export function trustedHosts() {
  trusted ??= api.get(SETTING).then((body) => new Set(body.hosts), () => new Set());
  return trusted;
}

/** Store the list; resolves to the hosts as saved. */
export async function saveTrustedHosts(hosts) {
  const body = await api.put(SETTING, { hosts: [...hosts] });
  trusted = Promise.resolve(new Set(body.hosts));
  return body.hosts;
}

function imageFor(placeholder) {
  const { src, alt } = placeholder.dataset;
  return el("img", { class: "remote-image-loaded", src, alt: alt ?? "", title: src });
}

function load(placeholder) {
  if (placeholder.isConnected) placeholder.replaceWith(imageFor(placeholder));
}

function offer(placeholder) {
  const { src, host, alt } = placeholder.dataset;
  const loadButton = el("button", { type: "button", class: "btn btn-sm", "aria-label": t("Load image from {host}", { host }), text: t("Load image") });
  const trustButton = el("button", { type: "button", class: "btn btn-sm", text: t("Always load from {host}", { host }) });
  loadButton.addEventListener("click", (event) => {
    event.preventDefault();  // the placeholder may sit inside a link
    loadedHere.add(src);
    load(placeholder);
  });
  trustButton.addEventListener("click", async (event) => {
    event.preventDefault();
    trustButton.disabled = true;
    const hosts = await trustedHosts();
    try {
      await saveTrustedHosts([...hosts, host]);
    } catch (error) {
      trustButton.disabled = false;
      placeholder.append(el("span", { class: "form-error", role: "alert", text: error.message }));
      return;
    }
    for (const other of document.querySelectorAll(PLACEHOLDERS)) if (other.dataset.host === host) load(other);
  });
  placeholder.dataset.ready = "";
  placeholder.replaceChildren(
    el("span", { class: "remote-image-label", text: alt ? t("Image from {host} (not loaded): {alt}", { host, alt }) : t("Image from {host} (not loaded)", { host }) }),
    loadButton, trustButton);
}

/** Give the new placeholders in `root` their buttons, or load them if the user allowed it already. */
export function showRemoteImages(root) {
  const fresh = [...root.querySelectorAll(`${PLACEHOLDERS}:not([data-ready])`)];
  if (!fresh.length) return;
  trustedHosts().then((hosts) => {
    for (const placeholder of fresh) {
      if (!placeholder.isConnected || placeholder.hasAttribute("data-ready")) continue;
      if (hosts.has(placeholder.dataset.host) || loadedHere.has(placeholder.dataset.src)) load(placeholder);
      else offer(placeholder);
    }
  });
}
