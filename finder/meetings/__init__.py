"""Meetings as the public sees them: which are listed and public, the meeting page, the service structure."""
