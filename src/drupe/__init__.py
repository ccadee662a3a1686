"""drupe: chat with any AI provider, from the terminal, the browser or Python."""

__version__ = "0.1.0"
