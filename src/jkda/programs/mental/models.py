"""Models of Severe mental disorders (see services.base for the shape every form shares)."""
