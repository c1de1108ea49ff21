"""``python -m ilrs.cli``: the ``ilrs`` command."""

import sys

from ilrs.cli import main

sys.exit(main())
