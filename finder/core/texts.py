"""A meeting's free text in more than one language: which fields, which languages, checking them, and choosing
the one a reader sees.

A meeting is written in its own language (Meeting.language, apart from the interface language); its notes,
location notes and online and phone notes may also be given in other languages. They are stored on the
meeting as {language: {field: text}} (Meeting.translations); the original stays in its own columns. A reader
gets the text in their language when there is one, else as written, and always with the language it is in,
so a page can mark it (`lang`) and never pass one language off as another.

Pure: values in, values out. Every way in (the submission form, imports, the admin) checks with `clean`.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

# The languages a meeting (and its text) may be in, with their English names: BCP 47 primary subtags (ISO 639-1).
LANGUAGES = (("en", "English"), ("es", "Spanish"), ("fr", "French"), ("de", "German"), ("pt", "Portuguese"),
             ("pl", "Polish"), ("ru", "Russian"), ("it", "Italian"), ("nl", "Dutch"), ("zh", "Chinese"),
             ("vi", "Vietnamese"), ("ar", "Arabic"), ("fa", "Persian"), ("ja", "Japanese"), ("ko", "Korean"),
             ("tl", "Tagalog"), ("uk", "Ukrainian"), ("sv", "Swedish"), ("he", "Hebrew"), ("hi", "Hindi"))
KNOWN = frozenset(code for code, _ in LANGUAGES)
# The fields that may be translated, with the most characters each may hold (the columns' sizes; forms ask less).
FIELDS = {"notes": 20_000, "location_notes": 500, "conference_notes": 500, "phone_notes": 500}
MAX_LANGUAGES = 8  # translations per meeting: more is junk, not a real meeting's notes


class TextError(ValueError):
    """Translations that cannot be stored; the message says which one and why (for an import's row report)."""


def language_tag(value: object) -> str | None:
    """The known language a BCP 47 tag names ('es', 'ES', 'es-MX', 'es_419' -> 'es'), or None."""
    if not isinstance(value, str) or not value.strip() or len(value) > 35:
        return None
    primary = value.strip().replace("_", "-").split("-", 1)[0].lower()
    return primary if primary in KNOWN else None


def _dotted(language: str, field: str) -> str:
    return f"translations.{language}.{field}"


def clean(value: Any, *, own_language: str, limits: Mapping[str, int] = FIELDS, clean_text: Any = None,
          label: Callable[[str, str], str] = _dotted) -> dict[str, dict[str, str]]:
    """Translations checked and tidied: {language: {field: text}} with known languages (primary subtags) and
    fields, text within `limits`, empty texts and languages dropped, keys sorted.

    `clean_text(value) -> str` tidies each text (the caller's rule for free text); `own_language` is the
    meeting's: its text in that language is the original, not a translation; `label(language, field)` names a
    text in messages. Raises TextError for anything else (a list, a number, an unknown language or field, a
    nested object where text belongs, too long)."""
    if value is None or value == "":
        return {}
    if not isinstance(value, Mapping):
        raise TextError("translations must be an object of languages")
    if len(value) > MAX_LANGUAGES:
        raise TextError(f"translations: at most {MAX_LANGUAGES} languages")
    found: dict[str, dict[str, str]] = {}
    for tag, texts in value.items():
        language = language_tag(tag)
        if language is None:
            raise TextError(f"translations: {str(tag)[:40]!r} is not a language we know (use a code such as es)")
        if language == own_language:
            raise TextError(f"{language} is the meeting's own language: its text in {language} goes in the "
                            "fields without a language")
        if language in found:
            raise TextError(f"translations: {language} is given twice")
        if not isinstance(texts, Mapping):
            raise TextError(f"translations.{language} must be an object of fields")
        fields: dict[str, str] = {}
        for name, text in texts.items():
            if name not in limits:
                raise TextError(f"translations.{language}: {str(name)[:40]!r} cannot be translated (only "
                                f"{', '.join(limits)})")
            if not isinstance(text, str):
                raise TextError(f"{label(language, name)} must be text, not {type(text).__name__}")
            tidy = (clean_text(text) if clean_text else text).strip()
            if len(tidy) > limits[name]:
                raise TextError(f"{label(language, name)} is longer than {limits[name]} characters")
            if tidy:
                fields[name] = tidy
        if fields:
            found[language] = dict(sorted(fields.items()))
    return dict(sorted(found.items()))


@dataclass(frozen=True)
class LocalText:
    """A piece of a meeting's text as a reader gets it: the text, and the language it is written in."""

    text: str
    lang: str

    def __bool__(self) -> bool:
        return bool(self.text)

    def __str__(self) -> str:
        return self.text


def original(meeting: Any, field: str) -> str:
    """The text of `field` as written (location notes are the place's)."""
    if field == "location_notes":
        place = getattr(meeting, "place", None)
        return (getattr(place, "notes", "") or "") if place is not None else ""
    return getattr(meeting, field, "") or ""


def translations_of(meeting: Any) -> Mapping[str, Mapping[str, str]]:
    found = getattr(meeting, "translations", None)
    return found if isinstance(found, Mapping) else {}


def pick(meeting: Any, field: str, language: str) -> LocalText:
    """`field` of a meeting in `language` when it was given in it, else as written (in the meeting's language);
    when nothing was written but a translation was, that translation. Empty text when there is none at all."""
    own = getattr(meeting, "language", None) or "en"
    known = translations_of(meeting)
    if language != own:
        translated = (known.get(language) or {}).get(field)
        if translated:
            return LocalText(translated, language)
    written = original(meeting, field)
    if written:
        return LocalText(written, own)
    for other, texts in known.items():
        if texts.get(field):
            return LocalText(texts[field], other)
    return LocalText("", own)


def languages_given(meeting: Any) -> list[str]:
    """The languages a meeting's text is given in besides its own, in order."""
    return sorted(language for language, texts in translations_of(meeting).items() if texts)
