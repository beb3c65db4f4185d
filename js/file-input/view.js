// Draws the widget's entries from plain data (kernel's and local; the run's status is ui/status.js's). No I/O:
// rows are keyed by entry id and updated in place, so a playing preview or the focus survives progress ticks.
import { h } from "../ui/dom.js";
import { STATE } from "../wire/protocol.js";
import { formatBytes } from "../wire/transfer.js";

/** @typedef {import("../wire/dropzone.js").ShownEntry} ShownEntry */

/** @type {Record<string, string>} */
const LABEL = {
  [STATE.WAITING]: "waiting for the kernel",
  [STATE.RECEIVING]: "receiving",
  [STATE.PAUSED]: "paused",
  [STATE.READY]: "ready",
  [STATE.UPLOADING]: "uploading",
  [STATE.UPLOADED]: "uploaded",
  [STATE.ERROR]: "error",
};

/** What the state cell says for an entry. @param {ShownEntry} e */
export function stateText(e) {
  if (e.state === STATE.ERROR) return e.error || "error";
  if (e.reconnecting) return `reconnecting… · ${pct(e.progress)} · continues by itself`;
  // The page that was sending it went away; the kernel kept what arrived.
  if (e.state === STATE.PAUSED) return `paused at ${pct(e.progress)} · pick ${e.name} again to send the rest`;
  // The kernel is busy running a cell: say so, and that nothing needs doing.
  if (e.waiting) return `${LABEL[STATE.WAITING]}${e.progress > 0 ? ` · ${pct(e.progress)}` : ""} · continues by itself`;
  if (e.state === STATE.RECEIVING || e.state === STATE.UPLOADING) {
    return `${LABEL[e.state]} ${pct(e.progress)}${e.detail ? ` · ${e.detail}` : ""}`;
  }
  const label = e.url ? "hosted file" : LABEL[e.state] ?? e.state;
  // A file that arrived but whose background upload failed is still usable: the run uploads it again.
  return e.error ? `${label} · ${e.error}` : label;
}

/** @param {number} f */
const pct = (f) => `${Math.floor(Math.max(0, Math.min(1, f)) * 100)}%`;

/** @param {ShownEntry} e */
function makePreview(e) {
  const box = h("div", "rw-preview");
  const kind = e.type.split("/")[0];
  const asIcon = () => {
    box.replaceChildren();
    box.classList.add("rw-preview-icon");
    box.textContent = e.url ? "URL" : (e.name.split(".").pop() || "file").slice(0, 4).toUpperCase();
  };
  if (e.preview && kind === "image") {
    const img = h("img");
    img.alt = "";
    // An image the browser can't draw (TIFF, HEIC in Chromium) gets the icon, not a broken-image sign.
    img.addEventListener("error", asIcon, { once: true });
    img.src = e.preview;
    box.append(img);
  } else if (e.preview && (kind === "audio" || kind === "video")) {
    const media = h(kind === "audio" ? "audio" : "video");
    media.src = e.preview;
    media.controls = true;
    media.preload = "metadata";
    media.setAttribute("data-lm-suppress-shortcuts", "true");
    box.classList.add(`rw-preview-${kind}`);
    box.append(media);
  } else {
    asIcon();
  }
  return box;
}

/**
 * @param {ShownEntry} e
 * @param {(id: string) => void} onRemove
 */
function makeRow(e, onRemove) {
  const row = h("li", "rw-entry");
  row.dataset.id = e.id;
  const info = h("div", "rw-info");
  const name = h("div", "rw-name");
  const meta = h("div", "rw-meta");
  const status = h("div", "rw-state");
  status.setAttribute("aria-live", "polite");
  const bar = h("div", "rw-bar");
  const fill = h("div", "rw-fill");
  bar.append(fill);
  info.append(name, meta, bar, status);
  const remove = h("button", "rw-remove");
  remove.type = "button";
  remove.setAttribute("data-lm-suppress-shortcuts", "true");
  remove.innerHTML = '<svg viewBox="0 0 16 16" width="14" height="14" aria-hidden="true"><path d="M4 4l8 8M12 4l-8 8" stroke="currentColor" stroke-width="1.8" stroke-linecap="round"/></svg>';
  remove.addEventListener("click", () => onRemove(e.id));
  row.append(makePreview(e), info, remove);
  return row;
}

/** @param {HTMLElement} row @param {ShownEntry} e */
function updateRow(row, e) {
  const q = (/** @type {string} */ s) => /** @type {HTMLElement} */ (row.querySelector(s));
  row.dataset.state = e.reconnecting ? "reconnecting" : e.waiting ? "waiting" : e.state;
  q(".rw-name").textContent = e.name;
  q(".rw-name").title = e.url || e.name;
  q(".rw-meta").textContent = e.url ? e.url : `${formatBytes(e.size)} · ${e.type}`;
  q(".rw-state").textContent = stateText(e);
  const moving = e.state === STATE.RECEIVING || e.state === STATE.UPLOADING || e.state === STATE.PAUSED
    || (e.waiting && e.progress > 0);
  q(".rw-bar").hidden = !moving;
  q(".rw-fill").style.width = pct(e.progress);
  q(".rw-remove").setAttribute("aria-label", `Remove ${e.name}`);
  q(".rw-remove").title = `Remove ${e.name}`;
}

/**
 * Bring the list in line with `entries`, reusing rows by id.
 * @param {HTMLElement} list @param {ShownEntry[]} entries @param {(id: string) => void} onRemove
 */
export function renderEntries(list, entries, onRemove) {
  /** @type {Map<string, HTMLElement>} */
  const rows = new Map();
  for (const el of Array.from(list.children)) rows.set(/** @type {HTMLElement} */ (el).dataset.id ?? "", /** @type {HTMLElement} */ (el));
  let before = list.firstElementChild;
  for (const e of entries) {
    let row = rows.get(e.id);
    rows.delete(e.id);
    if (!row) row = makeRow(e, onRemove);
    updateRow(row, e);
    if (row !== before) list.insertBefore(row, before);
    else before = before.nextElementSibling;
  }
  for (const row of rows.values()) row.remove();
  list.hidden = entries.length === 0;
}

/** @param {string} accept @param {boolean} multiple @param {number} maxBytes */
export function hintText(accept, multiple, maxBytes) {
  const what = accept ? accept.split(",").map((s) => s.trim()).join(", ") : "any file";
  return `${what} · up to ${formatBytes(maxBytes)}${multiple ? " each" : ""} · or paste a link`;
}
