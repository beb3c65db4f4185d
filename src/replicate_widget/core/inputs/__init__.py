"""What goes into a run: local_file.py (LocalFile: a file in the kernel), normalize.py (input values into
what the API takes), json_values.py (values JSON cannot carry as they are), routing.py (data URI, Files API
or bucket, and the size limits), files_api.py (the Files API upload as a flow), uploaded.py (each client's
memory of its uploads)."""
