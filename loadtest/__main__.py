"""`python -m loadtest run ...`: the same as `interop loadtest run ...`."""

import sys

from loadtest.load.cli import main

sys.exit(main())
