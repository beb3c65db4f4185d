"""Predictions: record.py (as the API returns them), flows.py (get, list, follow, create-then-follow),
cancel.py (by id), live.py (rw.Prediction, the handle you come back to), events.py (what a progress
callback hears), view.py (their notebook table)."""
