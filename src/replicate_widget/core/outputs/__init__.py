"""A model's output files: file_output.py (FileOutput: read, save, fetch through the client that made it),
display.py (how one shows itself in a notebook, reading only what the display needs), diskwrite.py (a file
written whole or not at all)."""
