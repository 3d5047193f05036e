"""The Meeting Guide JSON feeds (all meetings, one per service body) and the published code table."""
