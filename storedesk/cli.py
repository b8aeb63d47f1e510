"""The `storedesk` console command: Django's manage.py, installed as a script.

`storedesk migrate`, `storedesk serve`, `storedesk shell` ... all go through here, so no
manage.py is needed and the settings module never has to be typed by hand.
"""

from __future__ import annotations

import os
import sys


def main() -> None:
    # setdefault, so an explicit DJANGO_SETTINGS_MODULE (e.g. a test or site module) still wins.
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "storedesk.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
