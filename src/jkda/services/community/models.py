"""Models of Institution-level public health services (see services.base for the shape every form shares)."""
