"""``python -m servicekit``: the command line entry point (for now: ``demo``)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="servicekit", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("demo", help="walk through servicekit on the built-in defaults")
    sub.add_parser("schema", help="print the JSON Schema of policy documents")
    args = parser.parse_args(argv)
    if args.command == "schema":
        import json

        from servicekit.policy import Policy

        print(json.dumps(Policy.json_schema(), indent=2, ensure_ascii=False))
    if args.command == "demo":
        from servicekit.demo import run

        try:
            run()
        except BrokenPipeError:  # output piped into `head` and closed early
            sys.stderr.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
