"""Treatment centers and counselors: their pages (their search lives in finder.search)."""
