"""Catalogue upkeep with Babel's Python API: extract the messages, update a language, check it.

    python -m core.i18n.tools update        # messages.pot from the code, every .po brought up to date
    python -m core.i18n.tools check         # untranslated, fuzzy, stale or mismatched entries

`make messages` runs the same with `pybabel extract` / `pybabel update` (see docs/i18n.md). The
template is written without source locations and sorted, so parallel branches merge cleanly.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po, write_po

from core.i18n.catalog import DOMAIN, LOCALES_DIR, SOURCE

ROOT = Path(__file__).resolve().parents[2]
MAPPING = Path(__file__).resolve().parent / "babel.cfg"
TEMPLATE = LOCALES_DIR / f"{DOMAIN}.pot"
_FIELD = re.compile(r"(?<!\{)\{([^{}]*)\}(?!\})")
_TOP_DIRS = {"core", "pages"}  # where the mapping's files are; other folders are not walked


def _directory_filter(path: str) -> bool:
    parts = Path(path).resolve().relative_to(ROOT).parts
    return bool(parts) and parts[0] in _TOP_DIRS and not any(p.startswith((".", "_")) for p in parts)


def extract(root: Path = ROOT) -> Catalog:
    """Every message the code marks with _(), N_(), ngettext() or pgettext(), as a template catalogue."""
    with MAPPING.open() as handle:
        method_map, options_map = parse_mapping_cfg(handle, filename=str(MAPPING))
    template = Catalog(project="oyna-insights", fuzzy=False)
    for filename, lineno, message, comments, context in extract_from_dir(
            root, method_map, options_map, directory_filter=_directory_filter):
        template.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return template


def read(code: str) -> Catalog:
    with (LOCALES_DIR / code / "LC_MESSAGES" / f"{DOMAIN}.po").open("rb") as handle:
        return read_po(handle, locale=code)


def languages() -> list[str]:
    """The languages that have a catalogue (English, the source, has none)."""
    return sorted(p.parent.parent.name for p in LOCALES_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.po")
                  if p.parent.parent.name != SOURCE)


def _write(catalog: Catalog, path: Path, *, header: bool = True) -> None:
    """Atomically, sorted, without source locations (the template without a header: no date to conflict on)."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    with tmp.open("wb") as handle:
        write_po(handle, catalog, width=0, no_location=True, omit_header=not header, sort_output=True,
                 ignore_obsolete=True)
    tmp.replace(path)


def update(root: Path = ROOT) -> Catalog:
    """Write messages.pot from the code and bring every language's catalogue up to date: new messages
    come in empty (or fuzzy, when a similar one was translated), stale ones are dropped."""
    template = extract(root)
    _write(template, TEMPLATE, header=False)
    for code in languages():
        catalog = read(code)
        catalog.update(template, update_creation_date=False)
        _write(catalog, LOCALES_DIR / code / "LC_MESSAGES" / f"{DOMAIN}.po")
    return template


def _fields(text: str) -> set[str]:
    return {name.split("!")[0].split(":")[0] for name in _FIELD.findall(text)}


def _ids(message: Message) -> list[str]:
    return list(message.id) if isinstance(message.id, tuple | list) else [message.id]


def _strings(message: Message) -> list[str]:
    return list(message.string) if isinstance(message.string, tuple | list) else [message.string]


def _placeholder_problems(message: Message) -> list[str]:
    """A translation must use the English {fields}: all of them, and no others. A plural form may leave
    out the count when the language's form stands for one (English 'last week' for 'last {n} weeks')."""
    ids, strings = _ids(message), _strings(message)
    english = set().union(*(_fields(i) for i in ids))
    if not message.pluralizable:
        found = _fields(strings[0])
        return [] if found == english else [f"placeholders {sorted(found)} instead of {sorted(english)}"]
    unknown = set().union(*(_fields(t) for t in strings)) - english
    missing = _fields(ids[-1]) - set().union(*(_fields(t) for t in strings))
    return ([f"unknown placeholders {sorted(unknown)}"] if unknown else []) + (
        [f"placeholders {sorted(missing)} in no plural form"] if missing else [])


def problems(code: str, template: Catalog | None = None) -> list[str]:
    """What is wrong with a language's catalogue against the code: messages without a translation,
    fuzzy ones, stale ones (in the catalogue but no longer in the code), plural forms missing, and
    translations whose {placeholders} differ from the English."""
    template = template if template is not None else extract()
    catalog = read(code)
    found: list[str] = []
    wanted = {(m.context, m.id if isinstance(m.id, str) else m.id[0]) for m in template if m.id}
    for message in catalog:
        if not message.id:
            continue
        key = (message.context, _ids(message)[0])
        if key not in wanted:
            found.append(f"{code}: stale (not in the code any more): {key[1]!r}")
            continue
        strings = _strings(message)
        if message.fuzzy:
            found.append(f"{code}: fuzzy (check and remove the flag): {key[1]!r}")
        elif not all(strings) or (message.pluralizable and len(strings) < catalog.num_plurals):
            found.append(f"{code}: untranslated: {key[1]!r}")
        else:
            found.extend(f"{code}: {problem}: {key[1]!r}" for problem in _placeholder_problems(message))
    for message in catalog.obsolete.values():
        found.append(f"{code}: obsolete entry (#~) left in the file: {_ids(message)[0]!r}")
    have = {(m.context, _ids(m)[0]) for m in catalog if m.id}
    for context, msgid in sorted(wanted - have, key=lambda k: k[1]):
        found.append(f"{code}: missing from the catalogue (run `make messages`): {msgid!r}")
    return found


def template_problems(template: Catalog | None = None) -> list[str]:
    """Differences between messages.pot in the repository and the code."""
    template = template if template is not None else extract()
    with TEMPLATE.open("rb") as handle:
        saved = read_po(handle)
    key = lambda m: (m.context, _ids(m)[0])  # noqa: E731
    code = {key(m) for m in template if m.id}
    kept = {key(m) for m in saved if m.id}
    return ([f"messages.pot lacks {k[1]!r} (run `make messages`)" for k in sorted(code - kept, key=str)]
            + [f"messages.pot has a stale {k[1]!r} (run `make messages`)" for k in sorted(kept - code, key=str)])


def main(argv: Iterable[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    command = args[0] if args else "check"
    if command == "update":
        template = update()
        print(f"{len(template)} messages; updated {', '.join(languages()) or 'no catalogue'}")
        return 0
    if command == "check":
        template = extract()
        found = template_problems(template) + [p for code in languages() for p in problems(code, template)]
        print("\n".join(found) if found else f"{len(template)} messages, every catalogue complete")
        return 1 if found else 0
    print("usage: python -m core.i18n.tools update|check", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
