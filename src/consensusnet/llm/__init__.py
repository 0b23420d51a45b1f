"""LLM adapters behind one port, plus the router and the gateway that wrap them once."""
