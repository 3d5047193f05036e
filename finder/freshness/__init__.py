"""Freshness: when each meeting was last confirmed, re-confirm prompts, and visitors' "nobody was there" reports.

confirmation: `confirm(session, meeting, by=..., now=...)`, the one way to record a confirmation (organizer
links, moderators, approved changes and syncs from a meeting's source all call it). rules: pure staleness rules
and warnings. services: reports, resolutions and the daily rules. notices: the messages, through the outbox.
links: signed confirm links. views, cli: the HTTP and command-line edges.
"""
