"""Treatment centers and counselors, with their coded services and terms."""
from __future__ import annotations

from sqlalchemy import Boolean, CheckConstraint, Column, ForeignKey, Index, String, Table, false, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from finder.db import Base
from finder.models._types import (
    created_at, demo_flag, intpk, long_str, name_str, phone_str, short_str, slug_str, text, updated_at, url_str,
)
from finder.models.places import Place

SERVICE_CATEGORIES = ("care", "medication", "payment", "language")
COUNSELOR_TERM_KINDS = ("approach", "format", "insurance", "language")
ACCEPTING = ("yes", "no", "waitlist")

center_services = Table(
    "center_services",
    Base.metadata,
    Column("center_id", ForeignKey("treatment_centers.id", ondelete="CASCADE"), primary_key=True),
    Column("service_id", ForeignKey("services.id", ondelete="CASCADE"), primary_key=True, index=True),
)

counselor_terms = Table(
    "counselor_term_links",
    Base.metadata,
    Column("counselor_id", ForeignKey("counselors.id", ondelete="CASCADE"), primary_key=True),
    Column("term_id", ForeignKey("counselor_terms.id", ondelete="CASCADE"), primary_key=True, index=True),
)

counselor_offices = Table(
    "counselor_offices",
    Base.metadata,
    Column("counselor_id", ForeignKey("counselors.id", ondelete="CASCADE"), primary_key=True),
    Column("place_id", ForeignKey("places.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Service(Base):
    """A treatment service code in SAMHSA's vocabulary (DT detox, METH methadone, MD Medicaid ...)."""

    __tablename__ = "services"
    __table_args__ = (
        CheckConstraint("category IN ('care', 'medication', 'payment', 'language')", name="category_known"),
    )

    id: Mapped[intpk]
    code: Mapped[str] = mapped_column(String(10), unique=True)
    name: Mapped[name_str]
    category: Mapped[str] = mapped_column(String(20))


class TreatmentCenter(Base):
    """A rehab, detox or treatment facility."""

    __tablename__ = "treatment_centers"
    __table_args__ = (Index("ix_treatment_centers_source_source_id", "source", "source_id"),)

    id: Mapped[intpk]
    slug: Mapped[slug_str]
    name: Mapped[name_str]
    name2: Mapped[long_str]
    place_id: Mapped[int] = mapped_column(ForeignKey("places.id", ondelete="RESTRICT"), index=True)
    phone: Mapped[phone_str]
    intake_phone: Mapped[phone_str]
    website: Mapped[url_str]
    facility_type: Mapped[short_str]
    published: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    source: Mapped[short_str]
    source_id: Mapped[short_str]
    is_demo: Mapped[demo_flag]
    created_at: Mapped[created_at]
    updated_at: Mapped[updated_at]

    place: Mapped[Place] = relationship()
    services: Mapped[list[Service]] = relationship(secondary=center_services, order_by="Service.code")

    @property
    def service_codes(self) -> set[str]:
        return {s.code for s in self.services}


class CounselorTerm(Base):
    """A counselor's approach, session format, accepted insurance or language."""

    __tablename__ = "counselor_terms"
    __table_args__ = (
        CheckConstraint("kind IN ('approach', 'format', 'insurance', 'language')", name="kind_known"),
        Index("uq_counselor_terms_kind_code", "kind", "code", unique=True),
    )

    id: Mapped[intpk]
    kind: Mapped[str] = mapped_column(String(20))
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[name_str]


class Counselor(Base):
    """An addiction counselor or therapist; contact details are private unless contact_public."""

    __tablename__ = "counselors"
    __table_args__ = (
        CheckConstraint("accepting IN ('yes', 'no', 'waitlist')", name="accepting_known"),
        Index("ix_counselors_source_source_id", "source", "source_id"),
    )

    id: Mapped[intpk]
    slug: Mapped[slug_str]
    name: Mapped[name_str]
    credentials: Mapped[long_str]
    license_number: Mapped[short_str]
    license_state: Mapped[short_str]
    phone: Mapped[phone_str]
    email: Mapped[long_str]
    website: Mapped[url_str]
    contact_public: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    telehealth: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    in_person: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    accepting: Mapped[str] = mapped_column(String(10), default="yes", server_default="yes")
    fees: Mapped[long_str]
    sliding_scale: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    bio: Mapped[text]
    published: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    source: Mapped[short_str]
    source_id: Mapped[short_str]
    is_demo: Mapped[demo_flag]
    created_at: Mapped[created_at]
    updated_at: Mapped[updated_at]

    terms: Mapped[list[CounselorTerm]] = relationship(secondary=counselor_terms, order_by="CounselorTerm.name")
    offices: Mapped[list[Place]] = relationship(secondary=counselor_offices)

    def terms_of(self, kind: str) -> list[CounselorTerm]:
        return [t for t in self.terms if t.kind == kind]
