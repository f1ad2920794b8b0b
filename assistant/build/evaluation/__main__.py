"""``python -m assistant.build.evaluation`` is ``assistant eval``."""

import sys

from assistant.build.evaluation.cli import main

sys.exit(main())
