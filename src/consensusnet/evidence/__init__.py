"""Evidence: the knowledge base, hybrid retrieval, ranking and source credibility (core)."""
