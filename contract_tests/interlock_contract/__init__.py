"""The reusable adapter contract suite (a pytest plug-in)."""
