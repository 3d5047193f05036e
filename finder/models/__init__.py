"""The data model, split by domain noun; import models from here."""
from finder.models.calendars import CalendarList, calendar_list_meetings
from finder.models.meetings import (
    ATTENDANCE, EXCEPTION_KINDS, FORMAT_KINDS, STATUSES, Format, Meeting, MeetingPoint, MeetingTime,
    OnlineTime, ScheduleException, meeting_formats,
)
from finder.models.places import PRECISIONS, SERVICE_BODY_KINDS, Place, ServiceBody
from finder.models.providers import (
    ACCEPTING, COUNSELOR_TERM_KINDS, SERVICE_CATEGORIES, Counselor, CounselorTerm, Service, TreatmentCenter,
    center_services, counselor_offices, counselor_terms,
)
from finder.models.moderation import (
    AUDIT_ACTIONS, ROLES, SUBMISSION_KINDS, SUBMISSION_STATUSES, AuditEntry, OutboxMessage, Submission, User,
)
from finder.models.reports import REPORT_KINDS, REPORT_STATUSES, RESOLUTIONS, MeetingReport
from finder.models.site import SiteSetting, get_setting, set_setting
from finder.models.sync import SYNC_KINDS, MeetingSync, SyncSource
from finder.models import boundary  # noqa: F401  (registers the flush-time cleaning)

__all__ = [
    "ACCEPTING", "ATTENDANCE", "AUDIT_ACTIONS", "COUNSELOR_TERM_KINDS", "EXCEPTION_KINDS", "FORMAT_KINDS", "PRECISIONS",
    "REPORT_KINDS", "REPORT_STATUSES", "RESOLUTIONS", "ROLES", "SERVICE_BODY_KINDS", "SERVICE_CATEGORIES", "STATUSES", "SUBMISSION_KINDS", "SUBMISSION_STATUSES", "SYNC_KINDS",
    "AuditEntry", "CalendarList", "Counselor", "CounselorTerm", "Format", "Meeting", "MeetingPoint", "MeetingReport", "MeetingSync", "MeetingTime", "OnlineTime", "OutboxMessage", "Place", "ScheduleException", "Service",
    "ServiceBody", "SiteSetting", "Submission", "SyncSource", "TreatmentCenter", "User",
    "calendar_list_meetings", "center_services", "counselor_offices", "counselor_terms", "get_setting", "meeting_formats", "set_setting",
]
