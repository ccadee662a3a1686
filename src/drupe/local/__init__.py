"""The built-in local provider: llama.cpp serving a GGUF file, supervised for `drupe serve`."""
