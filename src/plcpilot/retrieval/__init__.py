"""Retrieval of similar examples: embeddings, persistent index, MMR."""
