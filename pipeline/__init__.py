"""make-report: source records -> validated articles -> PDF fact sheets and handbooks."""

__version__ = "0.1.0"
