"""Bring real data in: Meeting Guide feeds, BMLT servers, SAMHSA exports and CSV files, each in one transaction."""
from finder.imports.report import FatalImportError, ImportReport, RowError, RowResult

__all__ = ["FatalImportError", "ImportReport", "RowError", "RowResult"]
