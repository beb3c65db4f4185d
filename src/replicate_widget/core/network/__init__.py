"""How flows reach the network: http.py (the effects a flow yields, and requests as data), retry.py (when
to try again), transport.py (the client's one way out, over httpx), drive.py (the sync and async drivers
that perform the effects)."""
