"""The catalogues against the code: every marked string has a Russian translation, nothing is stale,
placeholders match, a new language is one folder away, and page code never shows an unwrapped label."""

from __future__ import annotations

import ast
import shutil
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import write_po

from core.i18n import available, catalog, gettext, language_name, negotiate, ngettext, tools, use_locale
from core.i18n.format import money, number

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def template() -> Catalog:
    return tools.extract()


def test_every_message_is_translated_and_nothing_is_stale(template):
    assert len(template) > 500
    assert tools.languages() == ["ru"]
    assert tools.problems("ru", template) == []
    assert tools.template_problems(template) == []


def test_the_check_fails_on_a_new_or_a_removed_message(template):
    grown = tools.extract()
    grown.add("A brand-new label nobody translated")
    assert tools.problems("ru", grown) == [
        "ru: missing from the catalogue (run `make messages`): 'A brand-new label nobody translated'"]
    shrunk = tools.extract()
    del shrunk["Overview"]
    assert tools.problems("ru", shrunk) == ["ru: stale (not in the code any more): 'Overview'"]
    assert tools.template_problems(grown) == [
        "messages.pot lacks 'A brand-new label nobody translated' (run `make messages`)"]


def test_the_check_reads_untranslated_fuzzy_and_mismatched_entries(template, tmp_path, monkeypatch):
    locales = tmp_path / "locales"
    shutil.copytree(tools.LOCALES_DIR, locales)
    path = locales / "ru" / "LC_MESSAGES" / "messages.po"
    ru = tools.read("ru")
    ru["Overview"].string = ""
    ru["Sign in to try scenarios."].flags.add("fuzzy")
    ru["club {id}"].string = "клуб {club}"
    plural = ru[("{n} customer", "{n} customers")]
    plural.string = ("{n} клиента", "{n} клиентов", "")
    ru.obsolete["Old text"] = Message("Old text", "Старый текст")
    with path.open("wb") as handle:
        write_po(handle, ru)
    monkeypatch.setattr(tools, "LOCALES_DIR", locales)
    found = tools.problems("ru", template)
    assert "ru: untranslated: 'Overview'" in found
    assert "ru: fuzzy (check and remove the flag): 'Sign in to try scenarios.'" in found
    assert "ru: placeholders ['club'] instead of ['id']: 'club {id}'" in found
    assert "ru: untranslated: '{n} customer'" in found
    assert any(p.startswith("ru: obsolete entry") for p in found)


def test_plural_forms_follow_russian_rules():
    with use_locale("ru"):
        words = [ngettext("{n} customer", "{n} customers", n).format(n=n) for n in (1, 3, 5, 21)]
    assert words == ["1 клиента", "3 клиентов", "5 клиентов", "21 клиента"]


def test_a_new_language_is_a_folder_away(tmp_path, monkeypatch):
    """Kazakh needs only locales/kk/LC_MESSAGES/messages.po: the switch, negotiation, messages and formats
    follow without a code change."""
    locales = tmp_path / "locales"
    shutil.copytree(catalog.LOCALES_DIR, locales)
    kk = Catalog(locale="kk")
    kk.add("Overview", "Шолу")
    (locales / "kk" / "LC_MESSAGES").mkdir(parents=True)
    with (locales / "kk" / "LC_MESSAGES" / "messages.po").open("wb") as handle:
        write_po(handle, kk)
    monkeypatch.setattr(catalog, "LOCALES_DIR", locales)
    catalog.translations.cache_clear()
    catalog.available.cache_clear()
    try:
        assert available() == ("en", "kk", "ru")
        assert negotiate("kk-KZ,ru;q=0.8,en;q=0.5") == "kk"
        assert language_name("kk") == "Қазақ тілі"
        with use_locale("kk"):
            assert gettext("Overview") == "Шолу"
            assert gettext("Customers") == "Customers"  # not translated yet: English, never an error
            assert money(1234567) == "1\u00a0234\u00a0567\u00a0₸" and number(0.5, 1) == "0,5"
    finally:
        monkeypatch.undo()
        catalog.translations.cache_clear()
        catalog.available.cache_clear()


def _source_files() -> list[Path]:
    return [ROOT / "app.py", *sorted((ROOT / "pages").rglob("*.py")), *sorted((ROOT / "core").rglob("*.py"))]


GETTEXT = {"_", "gettext", "ngettext", "pgettext", "N_"}


def test_messages_are_literals():
    """_(f"...") or _("a" + x) cannot be extracted: the text would never be translated."""
    bad = []
    for path in _source_files():
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in GETTEXT:
                name = node.func.id
                texts = node.args[1:2] if name == "pgettext" else node.args[:2 if name == "ngettext" else 1]
                bad += [f"{path.relative_to(ROOT)}:{node.lineno}" for a in texts
                        if isinstance(a, ast.JoinedStr | ast.BinOp)]
    assert bad == []


LABELS = {"title", "header", "subheader", "caption", "markdown", "write", "info", "warning", "error", "success",
          "toast", "button", "checkbox", "toggle", "radio", "selectbox", "multiselect", "slider", "select_slider",
          "text_input", "number_input", "date_input", "metric", "expander", "tabs", "download_button",
          "form_submit_button", "segmented_control", "pills", "badge", "spinner", "progress"}
KEYWORDS = {"label", "help", "placeholder", "text", "body", "value"}
BRAND = {"Oyna Insights"}


def test_pages_show_no_unwrapped_text():
    """A literal label, help text or message in a page is always wrapped in _()."""
    bad = []
    for path in [ROOT / "app.py", *sorted((ROOT / "pages").rglob("*.py"))]:
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in LABELS):
                continue
            if isinstance(node.func.value, ast.Name) and node.func.value.id in ("logger", "logging"):
                continue
            args = [*node.args[:1], *(k.value for k in node.keywords if k.arg in KEYWORDS)]
            for arg in args:
                literal = arg.value if isinstance(arg, ast.Constant) and isinstance(arg.value, str) else None
                if isinstance(arg, ast.JoinedStr):
                    literal = "".join(v.value for v in arg.values if isinstance(v, ast.Constant))
                if literal and literal not in BRAND and any(w.isalpha() and len(w) > 2 for w in literal.split()):
                    bad.append(f"{path.relative_to(ROOT)}:{node.lineno}: {literal!r}")
    assert bad == []
