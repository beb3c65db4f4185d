// Whether the socket to the kernel is up, where the host says so. In JupyterLab and Notebook 7 the widget
// manager holds the kernel connection, whose status turns "connecting" when the websocket drops and
// "connected" when it is back (JupyterLab reconnects by itself; messages sent into the dead socket are lost).
// Colab, marimo and VS Code give no such signal: there the link counts as up, and a lost chunk is found by
// the Channel's probe instead (rpc.js).

/**
 * @param {unknown} model an anywidget model (proxy)
 * @param {(up: boolean) => void} onChange
 * @returns {() => void} stops watching
 */
export function watchKernelSocket(model, onChange) {
  /** @type {any} */
  const kernel = /** @type {any} */ (model)?.widget_manager?.kernel;
  const signal = kernel?.connectionStatusChanged;
  if (typeof signal?.connect !== "function") return () => {};
  /** @param {unknown} _sender @param {string} status */
  const handler = (_sender, status) => onChange(status === "connected");
  signal.connect(handler);
  return () => signal.disconnect(handler);
}
