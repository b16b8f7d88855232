"""`python -m core.cli`: the `oyna` command."""

import sys

from core.cli import main

sys.exit(main())
