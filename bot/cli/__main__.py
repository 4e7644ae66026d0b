"""``python -m bot.cli``: the same as the ``warden`` script."""

from bot.cli.app import main

main()
