"""``rw.run_batch`` on top of the batch engine: a Batch in a temporary folder, read in input order, then gone.

What it keeps of the old function: the list in input order (each identical input gets the one result),
a failed item as its exception (the very one, with its prediction and logs), Ctrl-C cancelling every running
prediction, ``on_item_done`` hearing of each item as it ends (the "n/N done" line), files as rw.FileOutput.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import InputError
from ..inputs.local_file import LocalFile, collecting_spools
from ..inputs.normalize import normalize_input
from ..outputs.file_output import galleries
from .async_run import name_sources
from .batch import Batch
from .naming import encode, item_key

if TYPE_CHECKING:
    from ..context import ApiContext
    from ..network.transport import Transport

ItemDone = Callable[[BaseException | None], None]


def run_batch(
    transport: Transport,
    context: ApiContext,
    model: str,
    inputs: list[dict[str, Any]],
    *,
    concurrency: int = 8,
    on_item_done: ItemDone | None = None,
    options: Mapping[str, Any],
) -> list[Any]:
    from . import start_batch  # here: the package imports this module

    # every item is waited for; how is the batch's business
    options = {k: v for k, v in options.items() if k != "wait"}
    out = Path(tempfile.mkdtemp(prefix="rw-run-batch-"))
    batch: Batch | None = None
    spooled: list[LocalFile] = []
    try:
        # Open files and bytes become temporary files (a batch keeps paths), released at the end; an input
        # refused here is its item's exception, as any other failure.
        prepared: list[Any] = []
        with collecting_spools(spooled):
            for given in inputs:
                try:
                    prepared.append(normalize_input(given) if isinstance(given, dict) else given)
                except InputError as exc:
                    prepared.append(exc)
        runnable = [p for p in prepared if not isinstance(p, InputError)]
        batch = start_batch(
            transport,
            context,
            [model],
            runnable,
            out=out,
            concurrency=concurrency,
            keep_errors=True,
            options=options,
        )
        for refused in (p for p in prepared if isinstance(p, InputError)):
            if on_item_done is not None:
                on_item_done(refused)
        try:
            for item in batch:  # completion order; Ctrl-C lands here, in the caller's thread
                if on_item_done is not None:
                    on_item_done(None if item.ok else batch.error_of(item))
            batch.wait()
        except KeyboardInterrupt:
            batch.cancel()
            raise
        values = [
            p if isinstance(p, InputError) else name_sources(batch.value_of(item_key(model, encode(p))), p)
            for p in prepared
        ]
        return galleries(values)  # type: ignore[no-any-return]
    finally:
        if batch is not None:
            batch.close()
        for f in spooled:
            f.release()
        shutil.rmtree(out, ignore_errors=True)
