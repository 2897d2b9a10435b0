"""Domain types shared by the API, the CLI, the eval harness and batch jobs."""
