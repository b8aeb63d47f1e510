"""`python -m storedesk ...` behaves like the `storedesk` command."""

from storedesk.cli import main

main()
