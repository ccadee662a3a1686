"""Wire protocols: pure request building and event parsing, plus a thin transport."""
