"""Models of Elderly health management (see services.base for the shape every form shares)."""
