import sys

from guardpost.cli import main

sys.exit(main())
