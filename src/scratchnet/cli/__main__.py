import sys

from scratchnet.cli import main

sys.exit(main())
