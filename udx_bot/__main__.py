import sys

from udx_bot.cli import main

sys.exit(main())
