"""``python -m pipeline`` runs the make-report command."""

from pipeline.cli import main

main()
