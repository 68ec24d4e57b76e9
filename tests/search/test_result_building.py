"""How the embedded engine builds a result page cheaply: facet buckets built when read, and the one-pass CJK
highlight, which must render exactly what the span-by-span path renders."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from search import analysis
from search.interface import FacetBuckets, FacetValue


def test_facet_buckets_read_like_the_list_they_stand_for():
    buckets = FacetBuckets(["H01M", "G06F", "A61K"], [9, 4, 4])
    expected = [FacetValue("H01M", 9), FacetValue("G06F", 4), FacetValue("A61K", 4)]
    assert buckets == expected and list(buckets) == expected
    assert len(buckets) == 3
    assert buckets[0] == expected[0] and buckets[-1] == expected[-1]
    assert buckets[:2] == expected[:2] and buckets[1:] == expected[1:]
    assert buckets != expected[:2]
    assert buckets[0] is buckets[0]  # built once, when first read
    with pytest.raises(IndexError):
        buckets[3]
    with pytest.raises(ValueError):
        FacetBuckets(["H01M"], [1, 2])


def _span_by_span(text: str, tokens: tuple[str, ...]) -> tuple[str, set[str]]:
    spans, found = analysis._spans_and_terms(text, tokens)
    if not spans:
        return "", set()
    lowered = text.lower()
    matched = found | {t for t in tokens if t not in found and analysis.is_cjk(t) and t in lowered}
    return analysis._render(text, spans, 0, len(text)), matched


_CHARS = "电池正极材料锂离子光纤通信传感器检测"
_TEXT = st.text(alphabet=_CHARS + " Data model&<>'\"", max_size=40)
_WORD = st.text(alphabet=_CHARS, min_size=1, max_size=3)
_TOKENS = st.lists(st.one_of(_WORD, st.sampled_from(["data", "model"])), min_size=1, max_size=4, unique=True)


@settings(max_examples=300, deadline=None)
@given(text=_TEXT, tokens=_TOKENS)
def test_whole_field_highlight_equals_the_span_by_span_rendering(text, tokens):
    assert analysis.highlight(text, tuple(tokens)) == _span_by_span(text, tuple(tokens))


def test_touching_matches_are_one_mark_and_html_is_escaped():
    assert analysis.highlight("电池电池组", ("电池",))[0] == "<mark>电池电池</mark>组"
    assert analysis.highlight("<b>电池</b>", ("电池",))[0] == "&lt;b&gt;<mark>电池</mark>&lt;/b&gt;"
