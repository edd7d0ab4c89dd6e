"""Models of Health examination (see services.base for the shape every form shares)."""
