"""The Dingtalk-style adapter and its vendor double."""
