"""Running the embedding model: the registry, the loaded encoder and the batching worker."""
