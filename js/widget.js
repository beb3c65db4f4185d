// FileInput's front end: the only module that touches the model. `initialize` owns the model's drop zone
// (channel + transfers); `render` builds one view of it. Every view of one widget shares the zone.
import css from "./file-input/styles.css";
import { h } from "./ui/dom.js";
import { DropZone } from "./wire/dropzone.js";
import { watchKernelSocket } from "./wire/kernelsocket.js";
import { PerModel } from "./wire/per-model.js";
import { attachPicker } from "./ui/picker.js";
import { LIMITS } from "./wire/protocol.js";
import { hintText, renderEntries } from "./file-input/view.js";
import { STATUS_EVENTS, ensureStatusStyle, readStatus, renderStatus, statusPanel } from "./ui/status.js";

/**
 * @typedef {{
 *   entries: import("./wire/protocol.js").Entry[], multiple: boolean, accept: string, max_bytes: number,
 *   chunk_size: number, status: string, message: string, progress: number, logs: string, _uid: string
 * }} Model
 */

/** @type {PerModel<DropZone>} */
const zones = new PerModel((/** @type {import("@anywidget/types").AnyModel<Model>} */ model) =>
  new DropZone(/** @type {any} */ (model), {
    chunkSize: () => model.get("chunk_size"),
    maxBytes: () => model.get("max_bytes") || LIMITS.MAX_FILE_BYTES,
    entries: () => model.get("entries") ?? [],
  }),
);

const UPLOAD_ICON =
  '<svg viewBox="0 0 24 24" width="28" height="28" aria-hidden="true"><path d="M12 16V4m0 0l-4.5 4.5M12 4l4.5 4.5" fill="none" stroke="currentColor" stroke-width="1.8" stroke-linecap="round" stroke-linejoin="round"/><path d="M4 15v3a2 2 0 002 2h12a2 2 0 002-2v-3" fill="none" stroke="currentColor" stroke-width="1.8" stroke-linecap="round"/></svg>';

/** @type {import("@anywidget/types").Initialize<Model>} */
function initialize({ model }) {
  const session = zones.get(model);
  // JupyterLab flags a model's comm as not live when the kernel restarts: transfers in flight are lost.
  /** @type {any} */ (model).on("comm_live_update", () => session.checkKernel());
  model.on("change:entries", () => session.syncEntries());
  const unwatch = watchKernelSocket(model, (up) => session.setLink(up));
  return () => {
    unwatch();
    session.dispose();
    zones.drop(model);
  };
}

/** @type {import("@anywidget/types").Render<Model>} */
function render({ model, el }) {
  const session = zones.get(model);
  const style = h("style");
  style.textContent = css;
  const root = h("div", "rw-file-input");
  // Stops JupyterLab's single-key notebook shortcuts (b, x, d d...) while focus is inside the widget. Lumino
  // matches `.jp-Notebook :focus` on the focused element before it looks at ancestors, so every focusable
  // element carries the attribute too (view.js does it for the rows' buttons and players).
  root.setAttribute("data-lm-suppress-shortcuts", "true");
  const zone = h("div", "rw-zone");
  zone.setAttribute("data-lm-suppress-shortcuts", "true");
  zone.tabIndex = 0;
  zone.setAttribute("role", "button");
  const icon = h("div", "rw-zone-icon");
  icon.innerHTML = UPLOAD_ICON;
  const title = h("div", "rw-zone-title");
  const hint = h("div", "rw-zone-hint");
  const text = h("div", "rw-zone-text");
  text.append(title, hint);
  const input = h("input");
  input.type = "file";
  input.className = "rw-file";
  input.tabIndex = -1;
  input.setAttribute("aria-hidden", "true");
  zone.append(icon, text, input);
  const notice = h("div", "rw-notice");
  notice.setAttribute("role", "status");
  const list = h("ul", "rw-list");
  list.setAttribute("aria-label", "Files");
  const run = statusPanel();
  root.append(zone, notice, list, run.root);
  el.append(style, root);
  ensureStatusStyle(el);

  const config = () => {
    const multiple = model.get("multiple");
    input.multiple = multiple;
    input.accept = model.get("accept");
    title.innerHTML = `Drop ${multiple ? "files" : "a file"} here, paste, or <span class="rw-link">browse</span>`;
    hint.textContent = hintText(model.get("accept"), multiple, model.get("max_bytes") || LIMITS.MAX_FILE_BYTES);
    zone.setAttribute("aria-label", `Add ${multiple ? "files" : "a file"}: press Enter to browse, or paste or drop here`);
  };
  let frame = 0;
  const draw = () => {
    frame = 0;
    const shown = session.shown();
    renderEntries(list, shown, (id) => session.remove(id));
    notice.textContent = session.notice();
    notice.hidden = !session.notice();
    root.dataset.fatal = session.fatal ? "1" : "0";
    renderStatus(run, readStatus(model));
    root.dataset.count = String(shown.length);
    root.dataset.busy = shown.some((e) => e.state === "receiving" || e.state === "waiting") ? "1" : "0";
  };
  const schedule = () => {
    if (!frame) frame = requestAnimationFrame(draw);
  };
  const detach = attachPicker({ root, zone, input }, {
    onFiles: (files) => { session.setNotice(""); session.addFiles(files, { multiple: model.get("multiple") }); },
    onUrl: (url) => { session.setNotice(""); session.addUrl(url, { multiple: model.get("multiple") }); },
    onNotice: (m) => session.setNotice(m),
    multiple: () => model.get("multiple"),
    accept: () => model.get("accept"),
  });
  session.listeners.add(schedule);
  const onConfig = () => { config(); schedule(); };
  for (const name of ["change:multiple", "change:accept", "change:max_bytes"]) model.on(name, onConfig);
  for (const name of ["change:entries", ...STATUS_EVENTS]) model.on(name, schedule);
  config();
  draw();
  root.dataset.ready = "1";
  return () => {
    detach();
    session.listeners.delete(schedule);
    if (frame) cancelAnimationFrame(frame);
  };
}

export default { initialize, render };
