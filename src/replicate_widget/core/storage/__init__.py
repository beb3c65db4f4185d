"""Files over the Files API limit go to the user's own bucket; the model gets a signed GET URL.

Where: ``storage="s3://bucket/prefix"`` (also ``gs://`` and ``az://``), chosen by precedence: the call's
option, then the widget's or Playground's, then the Client's, then REPLICATE_WIDGET_STORAGE (read each call).
Objects live under ``prefix/<sha256>/<name>``; each client uploads the same bytes to the same place once.
A call with delete_uploads=True uses an object already there (never deleting it), or uploads under a key of
its own, ``prefix/<sha256>/<random>/<name>``, and deletes only that: a shared object could be in use by
another client (another notebook, a script) when the call ends.

location.py parses and chooses the place, stores.py keeps each client's objects, object_store.py talks
to the bucket through obstore.
"""
