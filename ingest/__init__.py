"""Loading, cleaning, splitting reports into articles, chunking and indexing."""
