"""Calendar downloads and subscribable feeds (written on the `sched` branch)."""
from flask import Blueprint

bp = Blueprint("calendars", __name__)
