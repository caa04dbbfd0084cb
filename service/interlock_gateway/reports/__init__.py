"""What auditors and HR admins read: the audit trail (pages, exports, verification), reason
statistics and the queue's depth — read in consistent snapshots, never written here except
the record that an export happened."""
