"""Column shapes shared by the models."""
from __future__ import annotations

import datetime as dt
from typing import Annotated

from sqlalchemy import Boolean, Integer, String, Text, false
from sqlalchemy.orm import mapped_column

from finder.clock import utcnow
from finder.db import UTCDateTime

intpk = Annotated[int, mapped_column(Integer, primary_key=True)]
name_str = Annotated[str, mapped_column(String(200))]
short_str = Annotated[str, mapped_column(String(80), default="", server_default="")]
long_str = Annotated[str, mapped_column(String(500), default="", server_default="")]
text = Annotated[str, mapped_column(Text, default="", server_default="")]
# Links and phone numbers shown as links: finder.models.boundary keeps only http(s) URLs and phone-like text.
url_str = Annotated[str, mapped_column(String(500), default="", server_default="", info={"boundary": "url"})]
phone_str = Annotated[str, mapped_column(String(80), default="", server_default="", info={"boundary": "phone"})]
slug_str = Annotated[str, mapped_column(String(120), unique=True)]
demo_flag = Annotated[bool, mapped_column(Boolean, default=False, server_default=false())]
created_at = Annotated[dt.datetime, mapped_column(UTCDateTime, default=utcnow)]
updated_at = Annotated[dt.datetime, mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)]
