"""finder.imports.samhsa: a SAMHSA locator export page in, and what is not one."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from finder.imports import FatalImportError
from tests.helpers import FIXTURES, RESOLVER, count


def test_samhsa_export_page(session, now) -> None:
    from finder.imports import samhsa
    from finder.models import TreatmentCenter

    report = samhsa.import_export(session, FIXTURES / "samhsa_page.json", now=now, resolver=RESOLVER)
    session.commit()
    assert report.counts() == {"added": 2, "updated": 0, "unchanged": 0, "rejected": 2}
    reasons = {row.row: row.reasons[0] for row in report.rejected}
    assert "could not be located" in reasons[3] and "frid is missing" in reasons[4]
    gateway = session.scalars(select(TreatmentCenter).where(TreatmentCenter.source_id == "AAAAA1234")).one()
    assert gateway.service_codes == {"DT", "CO", "OP", "RES", "HI", "BU", "NU", "A2", "MD", "MC", "PI", "SF", "MI",
                                     "SS", "SP", "AH"}
    assert gateway.place.street == "1200 Spring Garden St, Suite 300" and gateway.place.timezone == "America/New_York"
    assert gateway.intake_phone == "215-555-0143" and gateway.name2 == "Detox and Residential Unit"
    clinic = session.scalars(select(TreatmentCenter).where(TreatmentCenter.source_id == "BBBBB5678")).one()
    assert clinic.service_codes == {"OP", "CT", "METH", "OTP", "MD", "NP"}
    assert clinic.website == "https://northeast-otp.example"
    again = samhsa.import_export(session, FIXTURES / "samhsa_page.json", now=now, resolver=RESOLVER)
    assert again.counts()["unchanged"] == 2 and count(session, TreatmentCenter) == 2


def test_samhsa_not_an_export(session, now) -> None:
    from finder.imports import samhsa

    with pytest.raises(FatalImportError, match="rows"):
        samhsa.import_export(session, b"[1, 2]", now=now, resolver=RESOLVER)
