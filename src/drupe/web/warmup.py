"""Pay the server's one-time costs at start, not in the first user's time to first token.

The first turn would otherwise import the HTTP client and the highlighter, load the CA
bundle and open the key vault (together ~150 ms and ~20 MB); done here, the memory a
running server holds is there from the start and stays flat as answers come in.
"""

from __future__ import annotations

from drupe.store.db import Store

SAMPLE = "Warm-up: **bold**, `code`, a [link](https://example.com).\n\n```python\nprint('hi')\n```\n\n| a | b |\n|---|---|\n| 1 | 2 |\n"


def warm_up(store: Store) -> None:
    import gc

    from drupe.protocols import client
    from drupe.web.render import render_markdown

    client.warm_up()
    store.vault  # noqa: B018 (opens the key file and imports cryptography)
    render_markdown(SAMPLE)
    # What start-up made (modules, the app: ~75k objects) lives as long as the process: keep
    # it out of the cyclic collector, so a full collection in the middle of a turn scans only
    # what turns made instead of pausing every stream for tens of milliseconds.
    gc.collect()
    gc.freeze()
