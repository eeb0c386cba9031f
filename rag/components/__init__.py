"""Swappable parts chosen by settings: embedder, LLM, vector store (PrivateGPT style)."""
