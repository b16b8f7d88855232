"""`md()` and `plotly_text()`: hostile names render as the text they are (no database, no app). The browser
test (tests/browser/test_hostile_names.py) checks the same in Streamlit's own Markdown and Plotly."""

from __future__ import annotations

import random
import re
import string

import plotly.express as px
import plotly.graph_objects as go
import pytest

from pages.ui.charts import style_figure
from pages.ui.text import JOINER, md, plotly_text
from tests.pages.support import shown

J = JOINER
HOSTILE = [
    ("![p](http://127.0.0.1:9/x.png)", f"\\!\\[p\\]\\(http{J}\\:\\/\\/127\\.0\\.0\\.1{J}\\:9\\/x\\.png\\)"),
    ("[pay](http://evil)", f"\\[pay\\]\\(http{J}\\:\\/\\/evil\\)"),
    ("<a href=x>y</a>", "\\<a href\\=x\\>y\\<\\/a\\>"),
    ("<img src=x onerror=alert(1)>", "\\<img src\\=x onerror\\=alert\\(1\\)\\>"),
    ("**bold**", "\\*\\*bold\\*\\*"),
    ("$x$", "\\$x\\$"),
    (":red[x]", f"{J}\\:red\\[x\\]"),
    (":smile: :material/home:", f"{J}\\:smile{J}\\: {J}\\:material\\/home{J}\\:"),
    ("www.evil.example", f"www{J}\\.evil\\.example"),
    ("pay@evil.example", f"pay\\@{J}evil\\.example"),
    ("a &amp; b", "a \\&amp\\; b"),
    ("# 1. - > ~~s~~ `c` _i_ | t |", "\\# 1\\. \\- \\> \\~\\~s\\~\\~ \\`c\\` \\_i\\_ \\| t \\|"),
    ("two\nlines\r\n\n    code\ttab", "two lines     code tab"),  # one line: no block can start
    ("back\\slash\\", "back\\\\slash\\\\"),
    ("Айгерим «Шторм» — клуб №1", "Айгерим «Шторм» — клуб №1"),
    (None, ""),
    (42, "42"),
]


@pytest.mark.parametrize("raw, escaped", HOSTILE)
def test_md_escapes_every_markdown_character(raw, escaped):
    assert md(raw) == escaped


def test_md_shows_the_text_itself_and_leaves_no_markdown_character_bare():
    rng = random.Random(7)
    pool = string.punctuation + string.ascii_letters + " 09АяӘ€«»\u00a0"
    samples = [string.punctuation, "".join(reversed(string.punctuation)),
               *("".join(rng.choice(pool) for _ in range(rng.randint(1, 40))) for _ in range(300))]
    for text in samples:
        out = md(text)
        assert shown(out) == text
        bare = re.sub(r"\\[!-/:-@\[-`{-~]", "", out)
        assert not any(c in string.punctuation for c in bare), (text, out)
        # what the parser hands on (GFM's bare links, Streamlit's :shortcodes:): a joiner before every colon
        # (http:, :smile:), after every @ and inside www.
        seen = shown(out.replace(JOINER, "\0"))
        assert seen.count(":") == seen.count("\0:") and seen.count("@") == seen.count("@\0")
        assert not re.search(r"(?i)www\.", seen)


@pytest.mark.parametrize("raw, escaped", [
    ('<a href="http://evil.example/p">pay</a>', '&lt;a href="http://evil.example/p"&gt;pay&lt;/a&gt;'),
    ("<b>b</b><br>", "&lt;b&gt;b&lt;/b&gt;&lt;br&gt;"),
    ("A & B &amp;", "A &amp; B &amp;amp;"),
    ("plain", "plain"),
    (3, 3),
])
def test_plotly_text_escapes_its_tags_and_entities(raw, escaped):
    assert plotly_text(raw) == escaped


def test_style_figure_escapes_every_name_a_chart_shows():
    bad = '<a href="http://evil.example/p">pay</a>'
    fig = go.Figure([go.Bar(x=[bad, "A & B"], y=[1, 2], name=bad, text=[bad, "ok"], hovertext=[bad, "ok"]),
                     go.Scatter(x=[1, 2], y=[1, 2], customdata=[[bad, 1], ["ok", 2]],
                                hovertemplate="<b>%{customdata[0]}</b><extra></extra>")])
    fig.update_xaxes(categoryorder="array", categoryarray=[bad, "A & B"])
    style_figure(fig)
    safe = plotly_text(bad)
    assert list(fig.data[0].x) == [safe, "A &amp; B"] and fig.data[0].name == safe
    assert list(fig.data[0].text) == [safe, "ok"] and list(fig.data[0].hovertext) == [safe, "ok"]
    assert [list(row) for row in fig.data[1].customdata] == [[safe, 1], ["ok", 2]]
    assert fig.data[1].hovertemplate == "<b>%{customdata[0]}</b><extra></extra>"  # the page's own tags stay
    assert list(fig.layout.xaxis.categoryarray) == [safe, "A &amp; B"]
    assert "<a " not in fig.to_json().replace("\\u003c", "<").replace("%{customdata[0]}", "")


def test_style_figure_escapes_plotly_express_hover_names():
    frame = {"x": [1, 2], "y": [3, 4], "full_name": ["<a href=http://evil.example>p</a>", "ok"]}
    fig = style_figure(px.scatter(frame, x="x", y="y", hover_name="full_name"))
    assert list(fig.data[0].hovertext) == ["&lt;a href=http://evil.example&gt;p&lt;/a&gt;", "ok"]
