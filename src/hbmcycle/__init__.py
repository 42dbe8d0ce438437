"""hbmcycle: data and first-principles models for the economics of AI memory."""

__version__ = "0.1.0"
