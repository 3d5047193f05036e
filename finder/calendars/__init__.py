"""Calendars: .ics downloads and subscribable feeds (one meeting, a search, a service body, a group, a personal list)."""
