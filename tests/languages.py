"""A new language written into a copy of the content, as a translator would: files only."""

from __future__ import annotations

import shutil
from pathlib import Path

FIRST_QUESTION = "Cuando le describes tu trabajo a alguien cercano, ¿qué se parece más a ti?"
PROGRESS = "Pregunta {position} de {total}"


def add_language(content: Path, code: str, first_question: str, progress: str) -> Path:
    """``content/<code>``: the Spanish files with the first question and the progress line
    rewritten, so what the bot says shows which language it reads."""
    folder = content / code
    shutil.copytree(content / "es", folder)
    translation = folder / "job_vs_career.yaml"
    text = translation.read_text(encoding="utf-8")
    translation.write_text(text.replace(FIRST_QUESTION, first_question), encoding="utf-8")
    po = folder / "messages.po"
    catalog = po.read_text(encoding="utf-8")
    po.write_text(catalog.replace(f'msgstr "{PROGRESS}"', f'msgstr "{progress}"'), encoding="utf-8")
    return folder
