"""The Yonyou-style adapter and its vendor double."""
