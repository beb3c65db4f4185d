"""A process that runs demo/slow-echo once per line of stdin, in its main thread, so SIGINT is a real Ctrl-C.

Used by test_interrupts.py: argv[1] is the model's `seconds`, argv[2] (optional) the model to run instead,
e.g. a deployment of demo/slow-echo. Prints one line per run: "ok <output>", "interrupted" or "error <class>".
"""

import sys

import replicate_widget as rw


def main() -> None:
    seconds = float(sys.argv[1])
    model = sys.argv[2] if len(sys.argv) > 2 else "demo/slow-echo"
    client = rw.Client()  # REPLICATE_API_TOKEN and REPLICATE_BASE_URL come from the test
    print("ready", flush=True)
    for line in sys.stdin:
        try:
            output = client.run(model, {"text": line.rstrip("\n"), "seconds": seconds, "steps": 4})
            print("ok", output, flush=True)
        except KeyboardInterrupt:
            print("interrupted", flush=True)
        except rw.ReplicateWidgetError as exc:
            print("error", type(exc).__name__, flush=True)


if __name__ == "__main__":
    main()
