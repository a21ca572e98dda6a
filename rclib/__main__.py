"""``python -m rclib`` is the ``rclib`` command."""

import sys

from .cli import main

sys.exit(main())
