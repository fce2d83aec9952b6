import sys

from agent_assist.cli import main

sys.exit(main())
