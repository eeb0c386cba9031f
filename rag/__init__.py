"""Zhiku core: settings, records, store, retrieval, generation, citation checking, CLI."""
