"""finder.cli.data: the import and export commands (one commit, a report, nothing saved on a fatal error)."""
from __future__ import annotations

from sqlalchemy import text

from finder.models import Meeting
from tests.helpers import FIXTURES, count


def test_cli_imports_commit_once_and_report(runner, session) -> None:
    result = runner.invoke(args=["import-bmlt", "--results", str(FIXTURES / "bmlt_search_results.json"),
                                 "--formats", str(FIXTURES / "bmlt_formats.json"),
                                 "--service-bodies", str(FIXTURES / "bmlt_service_bodies.json"), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "dry run" in result.output and count(session, Meeting) == 0
    result = runner.invoke(args=["import-meeting-guide", str(FIXTURES / "meeting_guide.json")])
    assert result.exit_code == 0, result.output
    assert "meeting-guide import from meeting_guide.json:" in result.output
    assert count(session, Meeting) >= 3
    # The planner learns the new row counts at once (finder.db.refresh_statistics).
    engine = session.get_bind()
    if engine.dialect.name == "postgresql":
        analyzed = session.execute(text("SELECT last_analyze FROM pg_stat_user_tables WHERE relname = 'meetings'"))
        assert analyzed.scalar() is not None
    else:
        assert "meetings" in session.execute(text("SELECT tbl FROM sqlite_stat1")).scalars().all()


def test_cli_statistics_failure_is_a_warning_after_the_commit(runner, session, monkeypatch) -> None:
    from sqlalchemy.exc import OperationalError

    from finder import db

    def refuse(*args, **kwargs):
        raise OperationalError("ANALYZE", {}, Exception("canceling statement due to lock timeout"))

    monkeypatch.setattr(db, "refresh_statistics", refuse)
    result = runner.invoke(args=["import-meeting-guide", str(FIXTURES / "meeting_guide.json")])
    assert result.exit_code == 0, result.output
    assert "the data is saved, but the planner statistics were not refreshed" in result.output
    assert "meeting-guide import from meeting_guide.json:" in result.output and "nothing was imported" not in result.output
    assert count(session, Meeting) >= 3


def test_cli_fatal_error_saves_nothing(runner, session, tmp_path) -> None:
    bad = tmp_path / "feed.json"
    bad.write_text("[{\"name\": ")
    result = runner.invoke(args=["import-meeting-guide", str(bad)])
    assert result.exit_code == 1 and "nothing was imported" in result.output
    assert count(session, Meeting) == 0


def test_cli_csv_import_and_export(runner, session, tmp_path) -> None:
    path = tmp_path / "meetings.csv"
    path.write_text("slug,name,times,formats,latitude,longitude,city,timezone\r\n"
                    "csv-one,CSV One,mon 19:00 60,O,39.95,-75.16,Philadelphia,America/New_York\r\n")
    result = runner.invoke(args=["import-csv-meetings", str(path)])
    assert result.exit_code == 0 and "1 added" in result.output, result.output
    out = tmp_path / "out.csv"
    result = runner.invoke(args=["export-csv", "meetings", "--output", str(out)])
    assert result.exit_code == 0, result.output
    assert "csv-one,CSV One,mon 19:00 60,O," in out.read_text()
    assert runner.invoke(args=["export-csv", "groups"]).exit_code == 2
