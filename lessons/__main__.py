"""`python -m lessons`: see lessons.runner."""

import sys

from lessons.runner import main

sys.exit(main())
