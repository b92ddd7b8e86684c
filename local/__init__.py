"""The local runtime: adapters that run the same handlers and ASL on one machine, and the CLI."""
