"""Tools for the models: MCP servers (`servers`, stored) and the client that talks to them (`client`)."""
