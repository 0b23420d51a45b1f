"""Evidence source adapters: local files, Wikipedia, arXiv, PubMed, web search (one interface)."""
