"""Exploring models from the notebook: model and deployment handles, search, collections, their cards.

Above core (a handle runs through the Client) and above the widgets (a handle opens a Playground)."""
