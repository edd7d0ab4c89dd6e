"""Models of Hypertension and type 2 diabetes (see services.base for the shape every form shares)."""
