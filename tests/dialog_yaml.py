"""Write a ``Dialog`` back out as YAML, so tests can hand an edited dialog to the real CLI."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from dialogs.content import Dialog


def as_yaml(dialog: Dialog) -> str:
    document: dict[str, Any] = {
        "id": dialog.id,
        "version": dialog.version,
        "title": dialog.title,
        "intro": dialog.intro,
        "distinctions": [
            {
                "id": d.id,
                "title": d.title,
                "question": d.question,
                "choices": [
                    {
                        "id": c.id,
                        "label": c.label,
                        "leans": c.leans.value,
                        "reflection": c.reflection,
                        **({"synonyms": list(c.synonyms)} if c.synonyms else {}),
                    }
                    for c in d.choices
                ],
                "explain": {"job": d.explain.job, "career": d.explain.career},
                "why": d.why,
            }
            for d in dialog.distinctions
        ],
        "outro": {
            "heading": dialog.outro.heading,
            "closing": {lean.value: text for lean, text in dialog.outro.closing.items()},
        },
    }
    renamed: dict[str, Any] = {}
    if dialog.renamed.distinctions:
        renamed["distinctions"] = dialog.renamed.distinctions
    if dialog.renamed.choices:
        renamed["choices"] = dialog.renamed.choices
    if renamed:
        document["renamed"] = renamed
    return yaml.safe_dump(document, allow_unicode=True, sort_keys=False, width=10_000)


def write_dialog(folder: Path, dialog: Dialog) -> Path:
    """``folder`` holding just this dialog, as ``CAREERBOT_DIALOGS`` or ``check`` take it."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{dialog.id}.yaml"
    path.write_text(as_yaml(dialog), encoding="utf-8")
    return folder
