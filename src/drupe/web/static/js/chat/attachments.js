// Files attached to a message: added by the composer's picker, by pasting or by dropping them on
// the composer; shown as chips (name, size, Remove) until sent, then in the sent message (file
// names as text, a file's text folded away). The server reads each file (text, code, PDF text,
// image) and refuses what it cannot attach; the limits checked here are the same as its own
// (drupe/chat/attachments.py), so a file too big is refused before it is uploaded.

import { el, replaceChildren } from "../dom.js";
import { formatNumber, t } from "../i18n.js";
import { icon } from "../icons.js";

const MIB = 1024 * 1024;
export const MAX_FILE_BYTES = 10 * MIB;
export const MAX_MESSAGE_BYTES = 20 * MIB;
export const MAX_FILES = 20;
const IMAGE_TYPES = ["image/png", "image/jpeg", "image/gif", "image/webp"];

/** A size as people read it, as the CLI and exports write it: 812 B, 14.2 KB, 3.1 MB. */
export function describeSize(size) {
  if (size < 1000) return `${formatNumber(size)} B`;
  if (size < 1000 * 1000) return `${oneDecimal(size / 1000)} KB`;
  return `${oneDecimal(size / 1000 / 1000)} MB`;
}

/** A number with one decimal, as the user's language writes it (3.1, 3,1). */
const oneDecimal = (n) => formatNumber(n, { minimumFractionDigits: 1, maximumFractionDigits: 1 });
const mib = (size) => `${oneDecimal(size / MIB)} MiB`;

/** A File as the part the API takes: an image, or a file the server reads; its bytes as base64. */
function readFile(file) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => {
      const data = String(reader.result).split(",", 2)[1] ?? "";
      const type = IMAGE_TYPES.includes(file.type) ? "image" : "file";
      resolve({ type, name: file.name || "file", size: file.size, media_type: file.type, data, url: "" });
    };
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(file);
  });
}

/** Add `files` (a FileList or array) to the message being written; what cannot go is said in the alert. */
export async function addFiles(page, files) {
  files = [...files];
  if (!files.length) return;
  const pending = page.state.pendingFiles;
  const problem = limitProblem(page, pending, files);
  if (problem) {
    page.set({ error: problem });
    return;
  }
  const read = await Promise.all(files.map(readFile));
  page.set({ pendingFiles: [...page.state.pendingFiles, ...read], error: "" });
}

function limitProblem(page, pending, files) {
  const big = files.find((file) => file.size > MAX_FILE_BYTES);
  if (big) return t("{name} is {size}; drupe attaches files of at most {limit}.", { name: big.name, size: mib(big.size), limit: mib(MAX_FILE_BYTES) });
  if (pending.length + files.length > MAX_FILES) return t("A message may carry at most {n} files.", { n: formatNumber(MAX_FILES) });
  const total = [...pending, ...files].reduce((sum, file) => sum + file.size, 0);
  if (total > MAX_MESSAGE_BYTES) {
    return t("The files attached come to {size}; one message may carry {limit} in all. Send them in several messages.",
      { size: mib(total), limit: mib(MAX_MESSAGE_BYTES) });
  }
  const canSee = page.picker.selected().some((m) => m.capabilities?.includes("vision"));
  const image = files.find((file) => IMAGE_TYPES.includes(file.type));
  if (image && !canSee) return t("{name}: the selected model cannot see images. Pick a model that can, or attach text, code or PDF files.", { name: image.name });
  return null;
}

/** Files dropped on `target` or pasted into `input` are attached; pasted text stays text. */
export function acceptDropAndPaste(page, target, input) {
  const add = (files) => addFiles(page, files).catch(page.reportError);
  const carriesFiles = (event) => [...(event.dataTransfer?.types ?? [])].includes("Files");
  target.addEventListener("dragover", (event) => {
    if (!carriesFiles(event)) return;
    event.preventDefault();
    target.classList.add("drop-target");
  });
  target.addEventListener("dragleave", (event) => {
    if (!target.contains(event.relatedTarget)) target.classList.remove("drop-target");
  });
  target.addEventListener("drop", (event) => {
    target.classList.remove("drop-target");
    if (!event.dataTransfer?.files.length) return;
    event.preventDefault();
    add(event.dataTransfer.files);
  });
  input.addEventListener("paste", (event) => {
    const files = event.clipboardData?.files;
    if (!files?.length) return;
    event.preventDefault();
    add(files);
  });
}

/** The parts to send: the text (if any), then each attachment. */
export function partsToSend(text, pending) {
  const parts = pending.map(({ type, name, media_type, data }) => (type === "image" ? { type, media_type, data } : { type, name, data }));
  return text ? [{ type: "text", text }, ...parts] : parts;
}

function chipLabel(part) {
  return [el("span", { class: "attachment-name", text: part.name }),
    part.size ? el("span", { class: "attachment-size", text: describeSize(part.size) }) : null];
}

/** The files to send, each a chip with a Remove button. */
export function renderPendingFiles(page) {
  const pending = page.state.pendingFiles;
  replaceChildren(page.ui.composer.pendingList, pending.map((part, index) => el("div", { class: "attachment-chip", role: "group", "aria-label": t("Attached: {name}", { name: part.name }) },
    part.type === "image"
      ? el("img", { alt: t("Image {n} to send", { n: formatNumber(index + 1) }), src: `data:${part.media_type};base64,${part.data}` })
      : icon("file"),
    ...chipLabel(part),
    el("button", {
      type: "button", class: "icon-btn icon-btn-sm", "aria-label": t("Remove {name}", { name: part.name }), title: t("Remove"),
      onclick: () => page.set({ pendingFiles: pending.filter((_, other) => other !== index) }),
    }, icon("close")))));
}

/** A sent message's images and files; a file's text (once stored) folds open under its name. */
export function attachmentsOf(message) {
  const parts = (message.parts ?? []).filter((part) => part.type !== "text");
  if (!parts.length) return null;
  return el("div", { class: "attachments" }, parts.map((part) => {
    if (part.type === "image") return el("img", { alt: t("Attached image"), src: part.url || `data:${part.media_type};base64,${part.data}` });
    if (!part.text) return el("div", { class: "attachment-file" }, el("div", { class: "attachment-chip" }, icon("file"), ...chipLabel(part)));
    return el("details", { class: "attachment-file" },
      el("summary", { class: "attachment-chip" }, icon("file"), ...chipLabel(part)),
      el("pre", { class: "attachment-text", text: part.text }));
  }));
}
