"""Administration: accounts and roles, the audit log, direct edits of records, the moderation screens."""
