"""The command line front end (``txfirewall ...``). Each command imports what it needs when it
runs, so ``--help`` answers at once."""
