"""Models of Maternal health (see services.base for the shape every form shares)."""
