"""``python -m kmsgibbs`` is the ``kmsgibbs`` command."""

import sys

from kmsgibbs.cli import main

sys.exit(main())
