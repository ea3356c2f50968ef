"""`python -m kudos.demo run`: what `make run` starts (see kudos.demo.run)."""

import sys

from kudos.demo.run import main

sys.exit(main())
