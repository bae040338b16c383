"""`python -m loadtest run ...`: the same as `interop loadtest run ...`."""

import sys

from loadtest.cli import main

sys.exit(main())
