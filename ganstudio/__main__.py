"""`python -m ganstudio ...`: the same as the `ganstudio` command."""

import sys

from ganstudio.cli.main import main

sys.exit(main())
