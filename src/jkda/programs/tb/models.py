"""Models of Tuberculosis (see services.base for the shape every form shares)."""
