"""Pure cores: values in, values out, no session, no request, no clock (geometry, schedules, vocabularies, iCalendar, feed shapes)."""
