"""`python -m core.cli`: the `oyna` command."""

import sys

from core.cli.main import main

sys.exit(main())
