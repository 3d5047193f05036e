"""Organizers' submissions: the public form, validation, moderation decisions, private status links, notifications."""
