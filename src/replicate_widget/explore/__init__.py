"""Exploring models from the notebook: model and deployment handles, search, collections, their cards.

Above core (a handle runs through the Client) and above the widgets (a handle opens a Playground).
handle.py (rw.model, rw.deployment) -> signature.py (inspect.Signature and docstring from the schema),
cards.py (the static HTML), search.py (rw.search, rw.collection(s)), client.py (rw.Client with them all).
"""
