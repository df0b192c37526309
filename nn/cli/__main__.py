"""`python -m nn.cli ...`: the same command line as the `gradstep` console script."""

import sys

from nn.cli import main

sys.exit(main())
