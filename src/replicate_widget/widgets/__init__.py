"""The notebook widgets: FileInput, and the Playground in its own subpackage."""
