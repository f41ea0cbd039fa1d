"""`python -m ganstudio ...`: the same as the `ganstudio` command."""

import sys

from .cli import main

sys.exit(main())
