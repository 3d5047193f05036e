"""Where things are: places (the one spatial table) and the NA service structure."""
from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, Float, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from finder.db import Base
from finder.models._types import demo_flag, intpk, long_str, name_str, phone_str, short_str, text, url_str

if TYPE_CHECKING:
    from finder.models.meetings import Meeting

PRECISIONS = ("rooftop", "postal_code", "city", "region")
SERVICE_BODY_KINDS = ("group", "area", "region", "zone")


class Place(Base):
    """A located address. Meetings, treatment centers and counselor offices all point here."""

    __tablename__ = "places"
    __table_args__ = (
        Index("ix_places_latitude_longitude", "latitude", "longitude"),
        Index("ix_places_longitude", "longitude"),
        CheckConstraint("latitude BETWEEN -90 AND 90", name="latitude_range"),
        CheckConstraint("longitude BETWEEN -180 AND 180", name="longitude_range"),
        CheckConstraint(
            "precision IN ('rooftop', 'postal_code', 'city', 'region')", name="precision_known"
        ),
    )

    id: Mapped[intpk]
    name: Mapped[long_str]
    street: Mapped[long_str]
    city: Mapped[short_str]
    region: Mapped[short_str]
    postal_code: Mapped[str] = mapped_column(String(20), default="", server_default="")
    country: Mapped[str] = mapped_column(String(2), default="US", server_default="US")
    latitude: Mapped[float] = mapped_column(Float)
    longitude: Mapped[float] = mapped_column(Float)
    precision: Mapped[str] = mapped_column(String(20), default="rooftop", server_default="rooftop")
    timezone: Mapped[str] = mapped_column(String(64))
    notes: Mapped[long_str]
    is_demo: Mapped[demo_flag]

    @property
    def is_approximate(self) -> bool:
        return self.precision != "rooftop"

    @property
    def locality(self) -> str:
        """City, region postal code: the short form shown under a result."""
        tail = " ".join(part for part in (self.region, self.postal_code) if part)
        return ", ".join(part for part in (self.city, tail) if part)

    @property
    def full_address(self) -> str:
        """Street, city, region postal code, country: four comma parts when the street is known."""
        parts = [self.street, self.city, " ".join(p for p in (self.region, self.postal_code) if p), self.country]
        return ", ".join(part for part in parts if part)


class ServiceBody(Base):
    """A node of the NA service structure: group -> area -> region -> zone."""

    __tablename__ = "service_bodies"
    __table_args__ = (
        CheckConstraint("kind IN ('group', 'area', 'region', 'zone')", name="kind_known"),
    )

    id: Mapped[intpk]
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("service_bodies.id", ondelete="SET NULL"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    name: Mapped[name_str]
    description: Mapped[text]
    url: Mapped[url_str]
    helpline: Mapped[phone_str]
    world_id: Mapped[short_str]
    is_demo: Mapped[demo_flag]

    parent: Mapped[ServiceBody | None] = relationship(remote_side="ServiceBody.id", back_populates="children")
    children: Mapped[list[ServiceBody]] = relationship(back_populates="parent", order_by="ServiceBody.name")
    meetings: Mapped[list[Meeting]] = relationship(
        back_populates="service_body", foreign_keys="Meeting.service_body_id"
    )
