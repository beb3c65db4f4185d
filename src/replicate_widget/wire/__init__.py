"""The kernel half of the browser protocol: typed messages and the transfer of files' bytes."""
