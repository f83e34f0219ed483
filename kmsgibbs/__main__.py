"""``python -m kmsgibbs`` is the ``kmsgibbs`` command."""

import sys

from kmsgibbs.cli import main

if __name__ == "__main__":  # importing the module (documentation tools do) must not run the command
    sys.exit(main())
