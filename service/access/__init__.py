"""Access: API keys with a role and a tenant, and who may do what."""
