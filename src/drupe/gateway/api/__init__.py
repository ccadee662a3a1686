"""The gateway's `/v1` API: drupe's providers served as one OpenAI- and Anthropic-compatible API.

`Gateway` is the ASGI app (`app.py`); `GatewayMount` routes `/v1` to it inside the web app.
The wire formats it reads and writes are `drupe.protocols.serving`'s; which provider models a
model name stands for is `catalog.py`; trying a route's targets in order is `relay.py`.
"""
