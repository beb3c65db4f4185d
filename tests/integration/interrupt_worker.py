"""A process that runs demo/slow-echo once per line of stdin, in its main thread, so SIGINT is a real Ctrl-C.

Used by test_interrupts.py: argv[1] is the model's `seconds`. Prints one line per run: "ok <output>",
"interrupted" or "error <class>".
"""

import sys

import replicate_widget as rw


def main() -> None:
    seconds = float(sys.argv[1])
    client = rw.Client()  # REPLICATE_API_TOKEN and REPLICATE_BASE_URL come from the test
    print("ready", flush=True)
    for line in sys.stdin:
        try:
            output = client.run("demo/slow-echo", {"text": line.rstrip("\n"), "seconds": seconds, "steps": 4})
            print("ok", output, flush=True)
        except KeyboardInterrupt:
            print("interrupted", flush=True)
        except rw.ReplicateWidgetError as exc:
            print("error", type(exc).__name__, flush=True)


if __name__ == "__main__":
    main()
