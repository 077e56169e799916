"""Smart City Twin desktop app: ``python main.py [PROJECT] [--screenshot PNG]`` (see ``--help``)."""

import sys

from twin_ui.app import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
