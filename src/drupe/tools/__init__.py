"""Tools for the models: MCP servers (`servers`, stored), one-shot calls to them (`client`), and the
runtime a chat turn uses (`toolbox`: the offer of tools to a model, `connection`s kept open, calls)."""
