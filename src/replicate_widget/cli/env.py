"""`replicate-widget env`: the two lines that point a client at a running local server (`serve` or `demo`),
found through the note each keeps (local/record.py). `eval "$(replicate-widget env)"` sets them in a shell."""

from __future__ import annotations

import argparse
import sys


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--dotenv", action="store_true", help="print NAME=value lines for a .env file, without `export`"
    )


def main(args: argparse.Namespace) -> int:
    from ..local.record import running_servers

    servers = running_servers()
    if not servers:
        print(
            "No local server is running. Start one with `replicate-widget serve` (or `replicate-widget "
            "demo`); each start makes a new token, so run this again afterwards.",
            file=sys.stderr,
        )
        return 1
    newest = servers[0]
    prefix = "" if args.dotenv else "export "
    print(f"{prefix}REPLICATE_BASE_URL={newest.base_url}")
    print(f"{prefix}REPLICATE_API_TOKEN={newest.token}")
    for other in servers[1:]:  # on stderr, so `eval "$(replicate-widget env)"` takes the two lines only
        print(f"# also running: {other.base_url} (process {other.pid})", file=sys.stderr)
    return 0
