// The playground's stylesheet. Colours and fonts come from JupyterLab's --jp-* variables (with fallbacks
// for other hosts), so light and dark themes both look right.

export const STYLE = `
.rwp {
  --rwp-fg: var(--jp-ui-font-color0, #1f1f1f);
  --rwp-muted: var(--jp-ui-font-color2, #6b6b6b);
  --rwp-bg: var(--jp-layout-color0, #fff);
  --rwp-panel: var(--jp-layout-color1, #fafafa);
  --rwp-raised: var(--jp-layout-color2, #eee);
  --rwp-border: var(--jp-border-color1, #c8c8c8);
  --rwp-border-soft: var(--jp-border-color2, #e0e0e0);
  --rwp-accent: var(--jp-brand-color1, #1976d2);
  --rwp-error: var(--jp-error-color1, #d32f2f);
  --rwp-ok: var(--jp-success-color1, #388e3c);
  --rwp-warn: var(--jp-warn-color1, #f57c00);
  --rwp-radius: 6px;
  container-type: inline-size;
  font-family: var(--jp-ui-font-family, system-ui, sans-serif);
  font-size: var(--jp-ui-font-size1, 13px);
  color: var(--rwp-fg);
  background: var(--rwp-bg);
  border: 1px solid var(--rwp-border);
  border-radius: 8px;
  padding: 12px 14px 14px;
  box-sizing: border-box;
  max-width: 1200px;
}
.rwp *, .rwp *::before, .rwp *::after { box-sizing: border-box; }
.rwp-head { display: flex; align-items: baseline; gap: 10px; margin-bottom: 10px; }
.rwp-title { font-weight: 600; font-size: 1.15em; }
.rwp-model { color: var(--rwp-muted); font-family: var(--jp-code-font-family, monospace); }
.rwp-body { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); gap: 18px; align-items: start; }
@container (max-width: 720px) { .rwp-body { grid-template-columns: minmax(0, 1fr); } }
.rwp-form { display: flex; flex-direction: column; gap: 12px; margin: 0; }
.rwp-field { display: flex; flex-direction: column; gap: 4px; }
.rwp-label { display: flex; align-items: baseline; gap: 6px; font-weight: 600; }
.rwp-required { color: var(--rwp-error); font-weight: 700; }
.rwp-name { margin-left: auto; font-weight: 400; color: var(--rwp-muted); font-size: 0.9em;
  font-family: var(--jp-code-font-family, monospace); }
.rwp-hint { color: var(--rwp-muted); font-size: 0.92em; line-height: 1.35; }
.rwp-link { color: var(--rwp-accent); }
.rwp-error { color: var(--rwp-error); font-size: 0.92em; min-height: 0; }
.rwp-error:empty { display: none; }
.rwp-control { display: flex; gap: 8px; align-items: center; flex-wrap: wrap; }
.rwp-kind-file .rwp-control, .rwp-kind-files .rwp-control { flex-direction: column; align-items: stretch; }
.rwp input[type=text], .rwp input[type=password], .rwp input[type=number], .rwp input[type=url],
.rwp select, .rwp textarea {
  font: inherit; color: var(--rwp-fg); background: var(--jp-input-background, var(--rwp-panel));
  border: 1px solid var(--jp-input-border-color, var(--rwp-border)); border-radius: var(--rwp-radius);
  padding: 5px 8px; min-height: 30px; flex: 1 1 auto; width: 100%;
}
.rwp textarea { resize: vertical; line-height: 1.4; }
.rwp .rwp-mono { font-family: var(--jp-code-font-family, monospace); }
.rwp input:focus-visible, .rwp select:focus-visible, .rwp textarea:focus-visible, .rwp button:focus-visible,
.rwp .rwp-drop:focus-visible {
  outline: 2px solid var(--rwp-accent); outline-offset: 1px;
}
.rwp .rwp-invalid input:not([type=range]), .rwp .rwp-invalid select, .rwp .rwp-invalid textarea, .rwp .rwp-invalid .rwp-drop {
  border-color: var(--rwp-error); box-shadow: 0 0 0 1px var(--rwp-error); }
.rwp .rwp-kind-slider .rwp-range { flex: 1 1 0; accent-color: var(--rwp-accent); min-width: 120px; margin: 0; }
.rwp .rwp-kind-slider input.rwp-number { flex: 0 0 96px; width: 96px; }
.rwp-kind-slider .rwp-control { flex-wrap: nowrap; }
.rwp-range-unset { opacity: 0.45; }
.rwp-toggle { appearance: none; width: 34px; height: 18px; border-radius: 9px; background: var(--rwp-raised);
  border: 1px solid var(--rwp-border); position: relative; cursor: pointer; margin: 0; flex: 0 0 auto; }
.rwp-toggle::after { content: ""; position: absolute; top: 2px; left: 2px; width: 12px; height: 12px;
  border-radius: 50%; background: var(--rwp-muted); transition: transform 0.15s; }
.rwp-toggle:checked { background: var(--rwp-accent); border-color: var(--rwp-accent); }
.rwp-toggle:checked::after { transform: translateX(16px); background: var(--rwp-bg); }
.rwp-drop { border: 1.5px dashed var(--rwp-border); border-radius: var(--rwp-radius); padding: 14px;
  text-align: center; color: var(--rwp-muted); cursor: pointer; background: var(--rwp-panel); }
.rwp-drop:hover, .rwp-drop.rw-dragging { border-color: var(--rwp-accent); color: var(--rwp-fg); }
.rwp-drop-filled { padding: 8px; }
.rwp-notice { color: var(--rwp-warn); font-size: 0.92em; }
.rwp-notice:empty { display: none; }
.rwp-entries { list-style: none; margin: 0; padding: 0; display: flex; flex-direction: column; gap: 4px; }
.rwp-entries:empty { display: none; }
.rwp-entry { display: flex; align-items: center; gap: 8px; padding: 4px 6px; border: 1px solid var(--rwp-border-soft);
  border-radius: var(--rwp-radius); background: var(--rwp-panel); flex-wrap: wrap; }
.rwp-thumb { width: 32px; height: 32px; object-fit: cover; border-radius: 4px; }
.rwp-entry-name { font-weight: 600; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; max-width: 50%; }
.rwp-entry-meta, .rwp-entry-state { color: var(--rwp-muted); font-size: 0.9em; }
.rwp-entry[data-state=ready] .rwp-entry-state, .rwp-entry[data-state=uploaded] .rwp-entry-state { color: var(--rwp-ok); }
.rwp-entry[data-state=ready] .rwp-entry-state::before, .rwp-entry[data-state=uploaded] .rwp-entry-state::before {
  content: "✓ "; }
.rwp-entry[data-state=waiting] .rwp-entry-state { color: var(--rwp-warn); }
.rwp-drop-hint { display: block; font-size: 0.85em; margin-top: 2px; }
.rwp-drop-filled .rwp-drop-hint { display: none; }
.rwp-entry[data-state=error] .rwp-entry-state { color: var(--rwp-error); }
.rwp-entry-progress { flex: 1 0 100%; height: 4px; }
.rwp-remove { margin-left: auto; border: none; background: transparent; color: var(--rwp-muted); font-size: 1.2em;
  cursor: pointer; border-radius: 4px; padding: 0 6px; }
.rwp-remove:hover { color: var(--rwp-error); background: var(--rwp-raised); }
.rwp-result { display: flex; flex-direction: column; gap: 10px; position: sticky; top: 8px; }
.rwp-actions { display: flex; align-items: center; gap: 8px; }
.rwp-button { font: inherit; font-weight: 600; border-radius: var(--rwp-radius); padding: 6px 18px; cursor: pointer;
  border: 1px solid var(--rwp-border); background: var(--rwp-raised); color: var(--rwp-fg); }
.rwp-run-button { background: var(--rwp-accent); border-color: var(--rwp-accent);
  color: var(--jp-ui-inverse-font-color0, #fff); }
.rwp-button:disabled { opacity: 0.5; cursor: default; }
.rwp-empty { color: var(--rwp-muted); border: 1px dashed var(--rwp-border-soft); border-radius: var(--rwp-radius);
  padding: 28px 12px; text-align: center; }
.rwp-alert { color: var(--rwp-error); white-space: pre-wrap; }
.rwp-stream, .rwp-out-text, .rwp-out-json { margin: 0; padding: 8px 10px; border-radius: var(--rwp-radius);
  background: var(--jp-cell-editor-background, var(--rwp-panel)); border: 1px solid var(--rwp-border-soft);
  font-family: var(--jp-code-font-family, monospace); font-size: var(--jp-code-font-size, 12px);
  white-space: pre-wrap; word-break: break-word; overflow: auto; }
.rwp-stream, .rwp-out-text { max-height: 360px; font-family: var(--jp-content-font-family, inherit);
  font-size: var(--jp-content-font-size1, 14px); line-height: 1.5; color: var(--rwp-fg); }
.rwp-out-json { max-height: 320px; }
.rwp-outputs { display: flex; flex-direction: column; gap: 12px; }
.rwp-out { margin: 0; display: flex; flex-direction: column; gap: 4px; }
.rwp-out-label { color: var(--rwp-muted); font-size: 0.9em; font-family: var(--jp-code-font-family, monospace); }
.rwp-out-image { max-width: 100%; max-height: 480px; object-fit: contain; align-self: flex-start;
  border-radius: var(--rwp-radius); background: var(--rwp-panel); }
.rwp-out-video { max-width: 100%; max-height: 480px; }
.rwp-out-audio { width: 100%; }
/* Specific enough to beat the notebook's own link colour (it drew these black). */
.rwp .rwp-out a.rwp-download { align-self: flex-start; color: var(--rwp-accent); font-size: 0.92em; text-decoration: underline; }
.rwp-history summary { cursor: pointer; color: var(--rwp-muted); font-weight: 600; }
.rwp-history-list { margin: 6px 0 0; padding: 0; list-style: none; display: flex; flex-direction: column; gap: 2px; }
.rwp-run { display: grid; grid-template-columns: 2.5em 6.5em 4.5em minmax(0, 1fr) minmax(0, 9em); gap: 6px; font-size: 0.92em;
  padding: 2px 4px; border-radius: 4px; }
.rwp-run:nth-child(odd) { background: var(--rwp-panel); }
.rwp-run-n, .rwp-run-time { color: var(--rwp-muted); }
.rwp-run[data-status=succeeded] .rwp-run-status { color: var(--rwp-ok); }
.rwp-run[data-status=failed] .rwp-run-status, .rwp-run[data-status=aborted] .rwp-run-status { color: var(--rwp-error); }
.rwp-run-summary { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.rwp-run-id { font-size: 11px; opacity: 0.7; user-select: all; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.rwp [hidden] { display: none !important; }
`;
