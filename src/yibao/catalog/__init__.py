"""The catalogue: drugs, service items and materials, institutions and the catalogue mapping."""
