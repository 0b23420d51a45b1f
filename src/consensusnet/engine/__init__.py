"""Core engine: the runtime port, the session log and the fold that makes a session's view."""
