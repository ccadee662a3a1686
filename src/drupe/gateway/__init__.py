"""The gateway: drupe's providers served to other programs as one OpenAI- and Anthropic-compatible API.

This package is core (no face imports it back): `keys` (gateway keys, stored as hashes, and the
per-key rate limit), `routes` (named lists of models tried in order), `usage` (a record of every
gateway request). Kept free of imports here, so loading `drupe.gateway.tables` for the schema
costs nothing more.
"""
