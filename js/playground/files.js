// A file field: the drop zone of FileInput (picker.js for the ways in, the model's DropZone for the transfer),
// one entry group per field. Entry ids are "<field>:<token>", so the kernel files each entry under its field.

import { h } from "../ui/dom.js";
import { attachPicker } from "../ui/picker.js";
import { formatBytes } from "../wire/transfer.js";
import { LIMITS } from "../wire/protocol.js";
import { hintText, stateText } from "../file-input/view.js";
import { fieldRow } from "./fields.js";
import { checkFileCount, checkFileUrl } from "./validate.js";

/** @typedef {import("./types.js").FieldSpec} FieldSpec */
/** @typedef {import("../wire/dropzone.js").ShownEntry} ShownEntry */

let counter = 0;

/**
 * @param {FieldSpec} spec
 * @param {import("../wire/dropzone.js").DropZone} zone  the model's drop zone, shared by every view and field
 */
export function createFileField(spec, zone) {
  const id = `rwp-${spec.name}-file-${++counter}`;
  const { root, slot, flag } = fieldRow(spec, id);
  const many = spec.kind === "files";
  const place = { group: spec.name, multiple: many };
  const dropZone = h("div", "rwp-drop");
  dropZone.id = id;
  dropZone.tabIndex = 0;
  dropZone.setAttribute("role", "button");
  dropZone.setAttribute("aria-label", `${spec.label}: drop, paste or choose ${many ? "files" : "a file"}`);
  const prompt = h("span", "rwp-drop-text", many ? "Drop files here, paste, or click to choose" : "Drop a file here, paste, or click to choose");
  const input = h("input", "rwp-file-input");
  input.type = "file";
  input.multiple = many;
  if (spec.accept) input.accept = spec.accept;
  input.hidden = true;
  // The same hint as FileInput's: what the field takes and up to what size.
  const hint = h("span", "rwp-drop-hint", hintText(spec.accept, many, zone.config.maxBytes?.() || LIMITS.MAX_FILE_BYTES));
  dropZone.append(prompt, hint, input);
  const urlBox = h("input", "rwp-url");
  urlBox.type = "url";
  urlBox.placeholder = "…or paste a file URL and press Enter";
  urlBox.setAttribute("aria-label", `${spec.label}: file URL`);
  const list = h("ul", "rwp-entries");
  const notice = h("div", "rwp-notice");
  slot.append(dropZone, urlBox, notice, list);

  /** @param {string} url */
  const addUrl = (url) => {
    const problem = checkFileUrl(url);
    flag(problem);
    if (problem) return;
    zone.addUrl(url.trim(), place);
    urlBox.value = "";
  };
  const detach = attachPicker({ root: dropZone, zone: dropZone, input }, {
    onFiles(files) {
      zone.setNotice("", spec.name);
      zone.addFiles(many ? files : files.slice(0, 1), place);
    },
    onUrl: addUrl,
    onNotice: (message) => zone.setNotice(message, spec.name),
    multiple: () => many,
    accept: () => spec.accept,
  });
  urlBox.addEventListener("keydown", (event) => {
    if (event.key === "Enter") {
      event.preventDefault();
      event.stopPropagation();
      if (urlBox.value.trim()) addUrl(urlBox.value);
    }
  });

  function refresh() {
    const entries = zone.shown(spec.name);
    list.replaceChildren(...entries.map((entry) => entryRow(entry, () => zone.remove(entry.id))));
    dropZone.classList.toggle("rwp-drop-filled", entries.length > 0);
    notice.textContent = zone.notice(spec.name);
    notice.hidden = !notice.textContent;
  }
  zone.listeners.add(refresh);

  const check = () => {
    const entries = zone.shown(spec.name);
    const moving = entries.find((e) => e.state === "receiving" || e.state === "waiting");
    if (moving) return `Wait: ${moving.name} is still on its way to the kernel.`;
    const broken = entries.find((e) => e.state === "error");
    if (broken) return `${broken.name} failed: remove it and add it again.`;
    return checkFileCount(spec, entries.length);
  };
  const dispose = () => {
    detach();
    zone.listeners.delete(refresh);
  };
  refresh();
  return { root, check, flag, refresh, dispose };
}

/** @param {ShownEntry} entry @param {() => void} onRemove */
function entryRow(entry, onRemove) {
  const row = h("li", "rwp-entry");
  row.dataset.state = entry.waiting ? "waiting" : entry.state;
  row.dataset.name = entry.name;
  if (entry.preview && entry.type.startsWith("image/")) {
    const img = h("img", "rwp-thumb");
    img.src = entry.preview;
    img.alt = "";
    row.append(img);
  }
  const name = h("span", "rwp-entry-name", entry.name);
  name.title = entry.url || entry.name;
  const meta = entry.url ? "URL" : `${formatBytes(entry.size)}${entry.type ? ` · ${entry.type}` : ""}`;
  row.append(name, h("span", "rwp-entry-meta", meta), h("span", "rwp-entry-state", stateText(entry)));
  if (entry.state === "receiving" || entry.state === "uploading") {
    const bar = h("progress", "rwp-entry-progress");
    bar.max = 1;
    bar.value = entry.progress;
    row.append(bar);
  }
  const button = h("button", "rwp-remove", "×");
  button.type = "button";
  button.title = `Remove ${entry.name}`;
  button.setAttribute("aria-label", `Remove ${entry.name}`);
  button.addEventListener("click", onRemove);
  row.append(button);
  return row;
}
