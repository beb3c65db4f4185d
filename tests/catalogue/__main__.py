"""`python -m tests.catalogue`: write docs/errors.md from the catalogue."""

from . import main

raise SystemExit(main())
