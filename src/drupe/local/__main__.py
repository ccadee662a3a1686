"""`python -m drupe.local …`: the `drupe local` commands without the rest of the CLI (the supervisor runs this)."""

import sys

from drupe.cli.local import app
from drupe.errors import DrupeError

try:
    app(prog_name="drupe local")
except DrupeError as exc:
    sys.stderr.write(f"error: {exc}\n")
    sys.exit(1)
