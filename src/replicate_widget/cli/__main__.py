"""`python -m replicate_widget.cli`."""

import sys

from . import main

sys.exit(main())
