"""``python -m fluxion_got.idl schema.pcc --out DIR``: Python classes from a GoT IDL schema
(the same generator as ``npx fluxion idl --lang python``)."""

import argparse
import os
import sys

from . import _core


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m fluxion_got.idl", description=__doc__)
    p.add_argument("schema")
    p.add_argument("--lang", default="python", choices=["python", "ts", "js"])
    p.add_argument("--out", default=".")
    args = p.parse_args(argv)
    try:
        with open(args.schema, encoding="utf-8") as f:
            source = f.read()
    except OSError as e:
        print("fluxion idl: cannot read %s: %s" % (args.schema, e.strerror), file=sys.stderr)
        return 2
    try:
        files = _core.idl_generate(source, args.schema, args.lang)
    except _core.GotError as e:
        print(str(e), file=sys.stderr)
        return 1
    os.makedirs(args.out, exist_ok=True)
    for name, text in files:
        path = os.path.join(args.out, name)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        print("wrote %s" % path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
