"""A process that runs one rw.batch to the end, for tests that SIGKILL it: argv = model, inputs (a folder or
a .jsonl file), out folder, concurrency. Prints "started" once the batch runs, "done <counts>" at the end."""

import sys

import replicate_widget as rw


def main() -> None:
    model, inputs, out, concurrency = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    client = rw.Client()  # REPLICATE_API_TOKEN and REPLICATE_BASE_URL come from the test
    batch = client.batch(model, inputs, out=out, concurrency=concurrency)
    print("started", flush=True)
    batch.wait()
    print("done", batch.counts, flush=True)


if __name__ == "__main__":
    main()
