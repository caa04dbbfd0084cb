"""Migration scripts, oldest first (package so that setuptools ships them)."""
