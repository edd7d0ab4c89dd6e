"""Models of Children 0–6 and immunisation (see services.base for the shape every form shares)."""
