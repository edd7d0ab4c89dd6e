"""Models of Encounters, consultations and referrals (see services.base for the shape every form shares)."""
