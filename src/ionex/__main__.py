"""``python -m ionex``: the same command line as ``ionex``."""

import sys

from .cli import main

sys.exit(main())
