// A file field: the same drop zone and transfer as FileInput (picker.js, transfer.js over rpc.js), one per
// field. Entry ids are "<field>:<token>" so the kernel files each entry under its field.

import { KIND } from "../protocol.js";
import { attachPicker } from "../picker.js";
import { formatBytes, refuseReason, sendFile } from "../transfer.js";
import { fieldRow, h } from "./fields.js";
import { checkFileCount, checkFileUrl } from "./validate.js";

/** @typedef {import("./types.js").FieldSpec} FieldSpec */
/** @typedef {import("./types.js").FileEntry} FileEntry */

/**
 * @typedef {object} FileContext
 * @property {import("../rpc.js").Channel} channel
 * @property {import("@anywidget/types").AnyModel} model
 * @property {() => {chunkSize: number, window: number}} tuning
 */

let counter = 0;

/**
 * @param {FieldSpec} spec
 * @param {FileContext} ctx
 */
export function createFileField(spec, ctx) {
  const id = `rwp-${spec.name}-file-${++counter}`;
  const { root, slot, flag } = fieldRow(spec, id);
  const many = spec.kind === "files";
  const zone = h("div", "rwp-drop");
  zone.id = id;
  zone.tabIndex = 0;
  zone.setAttribute("role", "button");
  zone.setAttribute("aria-label", `${spec.label}: drop, paste or choose ${many ? "files" : "a file"}`);
  const prompt = h("span", "rwp-drop-text", many ? "Drop files here, paste, or click to choose" : "Drop a file here, paste, or click to choose");
  const input = h("input", "rwp-file-input");
  input.type = "file";
  input.multiple = many;
  if (spec.accept) input.accept = spec.accept;
  input.hidden = true;
  zone.append(prompt, input);
  const urlBox = h("input", "rwp-url");
  urlBox.type = "url";
  urlBox.placeholder = "…or paste a file URL and press Enter";
  urlBox.setAttribute("aria-label", `${spec.label}: file URL`);
  const list = h("ul", "rwp-entries");
  const notice = h("div", "rwp-notice");
  slot.append(zone, urlBox, notice, list);

  /** @type {Map<string, FileEntry>} entries the kernel has not listed yet, or whose progress we know better */
  const local = new Map();
  /** @type {Map<string, string>} object URLs for previews of images picked here */
  const previews = new Map();

  const kernelEntries = () => /** @type {FileEntry[]} */ ((ctx.model.get("files") ?? {})[spec.name] ?? []);
  const allEntries = () => {
    const listed = kernelEntries();
    const ids = new Set(listed.map((e) => e.id));
    const merged = listed.map((e) => {
      const mine = local.get(e.id);
      return mine && e.state === "receiving" ? { ...e, progress: mine.progress } : e;
    });
    return [...merged, ...[...local.values()].filter((e) => !ids.has(e.id))];
  };

  /** @param {string} entryId */
  const remove = (entryId) => {
    local.delete(entryId);
    const preview = previews.get(entryId);
    if (preview) URL.revokeObjectURL(preview);
    previews.delete(entryId);
    ctx.channel.request({ kind: KIND.REMOVE, id: entryId }).catch(() => {});
    refresh();
  };
  const clearForSingle = () => {
    if (!many) for (const entry of allEntries()) remove(entry.id);
  };

  /** @param {File} file */
  const send = (file) => {
    // the kernel's cap: 100 MiB, or more when the Playground has a bucket for big files
    const refused = refuseReason(file, ctx.model.get("max_bytes") || undefined);
    if (refused) {
      notice.textContent = refused;
      return;
    }
    const entryId = `${spec.name}:${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
    /** @type {FileEntry} */
    const entry = { id: entryId, name: file.name, size: file.size, type: file.type, state: "receiving", progress: 0 };
    local.set(entryId, entry);
    if (file.type.startsWith("image/")) previews.set(entryId, URL.createObjectURL(file));
    refresh();
    const { chunkSize, window } = ctx.tuning();
    sendFile(ctx.channel, file, entryId, {
      chunkSize,
      window,
      onProgress: (acked, size) => {
        entry.progress = size ? acked / size : 1;
        refresh();
      },
    })
      .then(() => {
        entry.state = "ready";
        entry.progress = 1;
      })
      .catch((err) => {
        entry.state = "error";
        entry.error = String(err?.message ?? err);
      })
      .finally(refresh);
  };

  attachPicker({ root: zone, zone, input }, {
    onFiles(files) {
      notice.textContent = "";
      clearForSingle();
      for (const file of many ? files : files.slice(0, 1)) send(file);
    },
    onUrl: (url) => addUrl(url),
    onNotice(message) {
      notice.textContent = message;
    },
    multiple: () => many,
    accept: () => spec.accept,
  });

  /** @param {string} url */
  const addUrl = (url) => {
    const problem = checkFileUrl(url);
    if (problem) {
      flag(problem);
      return;
    }
    clearForSingle();
    const entryId = `${spec.name}:u${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
    ctx.channel.request({ kind: KIND.URL, id: entryId, url: url.trim() }).catch((err) => flag(String(err.message ?? err)));
    urlBox.value = "";
    flag("");
  };
  urlBox.addEventListener("keydown", (event) => {
    if (event.key === "Enter") {
      event.preventDefault();
      event.stopPropagation();
      if (urlBox.value.trim()) addUrl(urlBox.value);
    }
  });

  function refresh() {
    const entries = allEntries();
    list.replaceChildren(...entries.map((entry) => entryRow(entry, previews.get(entry.id), () => remove(entry.id))));
    zone.classList.toggle("rwp-drop-filled", entries.length > 0);
    for (const [entryId, entry] of local) {
      // Once the kernel lists a finished file, its own entry is the truth.
      if (entry.state === "ready" && kernelEntries().some((e) => e.id === entryId && e.state === "ready")) local.delete(entryId);
    }
  }

  const check = () => {
    const entries = allEntries();
    const moving = entries.find((e) => e.state === "receiving" || e.state === "waiting");
    if (moving) return `Wait: ${moving.name} is still on its way to the kernel.`;
    const broken = entries.find((e) => e.state === "error");
    if (broken) return `${broken.name} failed: remove it and add it again.`;
    return checkFileCount(spec, entries.length);
  };
  refresh();
  return { root, check, flag, refresh };
}

/**
 * @param {FileEntry & {url?: string}} entry
 * @param {string | undefined} preview
 * @param {() => void} onRemove
 */
function entryRow(entry, preview, onRemove) {
  const row = h("li", "rwp-entry");
  row.dataset.state = entry.state;
  row.dataset.name = entry.name;
  if (preview) {
    const img = h("img", "rwp-thumb");
    img.src = preview;
    img.alt = "";
    row.append(img);
  }
  const name = h("span", "rwp-entry-name", entry.name);
  name.title = entry.url || entry.name;
  const meta = entry.url ? "URL" : `${formatBytes(entry.size)}${entry.type ? ` · ${entry.type}` : ""}`;
  const state = entry.state === "receiving" ? `${Math.round(entry.progress * 100)}%` : entry.state;
  row.append(name, h("span", "rwp-entry-meta", meta), h("span", "rwp-entry-state", entry.error || state));
  if (entry.state === "receiving") {
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
