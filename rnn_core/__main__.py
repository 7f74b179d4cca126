"""``python -m rnn_core``: see :mod:`rnn_core.cli`."""

from rnn_core.cli import main

if __name__ == "__main__":  # importing the module (pkgutil.walk_packages) must not run it
    raise SystemExit(main())
