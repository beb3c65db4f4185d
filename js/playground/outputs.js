// Renders a run's outputs (image, audio, video, other files, text, JSON), each with a download link,
// and the text streamed so far while a streaming model runs. The browser fetches output files from their
// URLs directly: their bytes never pass through the kernel or a trait.

import { h } from "../ui/dom.js";

/** @typedef {import("./types.js").OutputItem} OutputItem */

/**
 * @param {OutputItem} item
 * @returns {HTMLElement}
 */
function media(item) {
  const url = item.url ?? "";
  if (item.kind === "image") {
    const img = h("img", "rwp-out-image");
    img.src = url;
    img.alt = item.label || item.name || "output image";
    img.loading = "lazy";
    return img;
  }
  if (item.kind === "audio" || item.kind === "video") {
    const player = h(item.kind, `rwp-out-${item.kind}`);
    player.controls = true;
    player.preload = "metadata";
    player.src = url;
    return player;
  }
  if (item.kind === "json") return h("pre", "rwp-out-json", item.text ?? "");
  if (item.kind === "text") return h("pre", "rwp-out-text", item.text ?? "");
  return h("div", "rwp-out-file", item.name || url);
}

/**
 * A download link: files by their URL, text and JSON as a Blob made here.
 * @param {OutputItem} item
 * @returns {HTMLAnchorElement}
 */
function downloadLink(item) {
  const link = h("a", "rwp-download");
  link.rel = "noopener";
  link.target = "_blank";
  if (item.url) {
    link.href = item.url;
    link.download = item.name || "";
    link.textContent = `Download ${item.name || "file"}`;
  } else {
    const type = item.kind === "json" ? "application/json" : "text/plain";
    const name = item.kind === "json" ? "output.json" : "output.txt";
    link.href = "#";
    link.download = name;
    // The Blob is made on click, so outputs never shown for download hold no extra copy.
    link.addEventListener("click", () => {
      link.href = URL.createObjectURL(new Blob([item.text ?? ""], { type }));
      setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
    });
    link.textContent = `Download ${name}`;
  }
  return link;
}

/**
 * Replace the outputs shown in `container`.
 * @param {HTMLElement} container
 * @param {OutputItem[]} items
 */
export function renderOutputs(container, items) {
  container.replaceChildren();
  container.hidden = items.length === 0;
  for (const item of items) {
    const card = h("figure", `rwp-out rwp-out-kind-${item.kind}`);
    card.dataset.kind = item.kind;
    if (item.label) card.append(h("figcaption", "rwp-out-label", item.label));
    card.append(media(item), downloadLink(item));
    container.append(card);
  }
}

/**
 * Show streamed text as it arrives, keeping the end in view.
 * @param {HTMLElement} container
 * @param {string} text
 */
export function renderStream(container, text) {
  container.hidden = text === "";
  if (container.textContent !== text) container.textContent = text;
  container.scrollTop = container.scrollHeight;
}
