// The drop zone's inputs: the file dialog, drag and drop, and paste. Turns them into File[] and URL strings
// and knows nothing of the kernel, so any widget can host one (FileInput, the Playground's file fields).
import { asHostedUrl } from "../wire/protocol.js";

/**
 * @typedef {{
 *   onFiles: (files: File[]) => void,
 *   onUrl: (url: string) => void,
 *   onNotice: (message: string) => void,
 *   multiple: () => boolean,
 *   accept: () => string
 * }} PickerHandlers
 */

/** Does a file match an accept filter like "image/*,.pdf"? @param {{name: string, type: string}} file @param {string} accept */
export function accepts(file, accept) {
  const rules = accept.split(",").map((r) => r.trim().toLowerCase()).filter(Boolean);
  if (rules.length === 0) return true;
  const type = (file.type || "").toLowerCase();
  const name = file.name.toLowerCase();
  return rules.some((rule) => {
    if (rule.startsWith(".")) return name.endsWith(rule);
    if (rule.endsWith("/*")) return type.startsWith(rule.slice(0, -1));
    return type === rule;
  });
}

/**
 * Wire the three ways in: `zone` (focusable) opens the dialog of `input` (the hidden <input type=file>);
 * drops and pastes anywhere in `root` count, and `root` shows a drag highlight.
 * Returns a function that removes every listener.
 * @param {{root: HTMLElement, zone: HTMLElement, input: HTMLInputElement}} els
 * @param {PickerHandlers} h
 */
export function attachPicker({ root, zone, input }, h) {
  /** @param {File[]} files @param {number} skippedFolders */
  const deliver = (files, skippedFolders = 0) => {
    const notes = [];
    if (skippedFolders) notes.push(`${skippedFolders === 1 ? "A folder was" : `${skippedFolders} folders were`} skipped: drop the files inside it instead.`);
    const accept = h.accept();
    const ok = files.filter((f) => accepts(f, accept));
    const refused = files.filter((f) => !ok.includes(f));
    if (refused.length) notes.push(`${refused.map((f) => f.name).join(", ")} ${refused.length === 1 ? "isn't" : "aren't"} accepted here (${accept}).`);
    let chosen = ok;
    if (!h.multiple() && ok.length > 1) {
      chosen = ok.slice(0, 1);
      notes.push(`This widget takes one file: kept ${chosen[0].name}.`);
    }
    if (notes.length) h.onNotice(notes.join(" "));
    if (chosen.length) h.onFiles(chosen);
  };

  const onChange = () => {
    const files = Array.from(input.files ?? []);
    // Without this, picking the same file again fires no change event.
    input.value = "";
    deliver(files);
  };
  const open = () => input.click();
  /** @param {MouseEvent} e */
  const onClick = (e) => {
    if (/** @type {HTMLElement} */ (e.target).closest("button, a, audio, video, input")) return;
    open();
  };
  /** @param {KeyboardEvent} e */
  const onKey = (e) => {
    if ((e.key === "Enter" || e.key === " ") && e.target === zone) {
      e.preventDefault();
      open();
    }
  };
  /** @param {DragEvent} e */
  const onDragOver = (e) => {
    if (!e.dataTransfer || !Array.from(e.dataTransfer.types).includes("Files")) return;
    e.preventDefault(); // without it the drop event never fires
    e.dataTransfer.dropEffect = "copy";
    root.classList.add("rw-dragging");
  };
  const onDragLeave = (/** @type {DragEvent} */ e) => {
    if (!root.contains(/** @type {Node | null} */ (e.relatedTarget))) root.classList.remove("rw-dragging");
  };
  /** @param {DragEvent} e */
  const onDrop = (e) => {
    root.classList.remove("rw-dragging");
    const dt = e.dataTransfer;
    if (!dt) return;
    e.preventDefault();
    const files = [];
    let folders = 0;
    const items = Array.from(dt.items ?? []).filter((i) => i.kind === "file");
    if (items.length) {
      for (const item of items) {
        const entry = typeof item.webkitGetAsEntry === "function" ? item.webkitGetAsEntry() : null;
        if (entry && entry.isDirectory) { folders++; continue; }
        const f = item.getAsFile();
        if (f) files.push(f);
      }
    } else {
      files.push(...Array.from(dt.files ?? []));
    }
    if (files.length || folders) deliver(files, folders);
    else {
      const url = asHostedUrl(dt.getData("text/uri-list") || dt.getData("text/plain") || "");
      if (url) h.onUrl(url);
    }
  };
  /** @param {ClipboardEvent} e */
  const onPaste = (e) => {
    const dt = e.clipboardData;
    if (!dt) return;
    const target = /** @type {HTMLElement} */ (e.target);
    if (target.matches?.("input:not([type=file]), textarea, [contenteditable]")) return;
    const files = Array.from(dt.files ?? []);
    if (files.length === 0) {
      for (const item of Array.from(dt.items ?? [])) {
        const f = item.kind === "file" ? item.getAsFile() : null;
        if (f) files.push(f);
      }
    }
    if (files.length) {
      e.preventDefault();
      // Screenshots arrive as "image.png"; give them a name that tells them apart.
      deliver(files.map((f, i) => (f.name === "image.png" ? renamed(f, i) : f)));
      return;
    }
    const text = dt.getData("text/plain");
    const url = text ? asHostedUrl(text) : null;
    if (url) {
      e.preventDefault();
      h.onUrl(url);
    } else if (text) {
      h.onNotice("Paste an image, a file, or an http(s) link to a file.");
    }
  };

  /** @type {[EventTarget, string, (e: any) => void][]} */
  const listeners = [
    [input, "change", onChange],
    [zone, "click", onClick],
    [zone, "keydown", onKey],
    [root, "dragenter", onDragOver],
    [root, "dragover", onDragOver],
    [root, "dragleave", onDragLeave],
    [root, "drop", onDrop],
    [root, "paste", onPaste],
  ];
  for (const [target, type, fn] of listeners) target.addEventListener(type, fn);
  return () => {
    for (const [target, type, fn] of listeners) target.removeEventListener(type, fn);
  };
}

/** @param {File} f @param {number} i */
function renamed(f, i) {
  const stamp = new Date().toISOString().slice(0, 19).replace(/[:T]/g, "-");
  const ext = (f.type.split("/")[1] || "png").replace("jpeg", "jpg");
  return new File([f], `pasted-${stamp}${i ? `-${i + 1}` : ""}.${ext}`, { type: f.type, lastModified: f.lastModified });
}
