"""The library itself: configuration, flows of effects and their drivers, models, predictions, files,
outputs and errors. It imports nothing of the layers above it (wire, widgets, explore, cli)."""
