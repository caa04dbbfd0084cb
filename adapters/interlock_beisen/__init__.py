"""The Beisen-style adapter and its vendor double."""
