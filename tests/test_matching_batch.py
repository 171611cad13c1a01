"""The batch forms of the name matching (``normalize_all``, ``rank_matches``) answer as the one-at-a-time rules do."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from govkg.analysis.matching import match_score, normalize, normalize_all, rank_matches

# labels mixing what normalization touches: full-width forms, quotes and brackets, case, spaces of
# several kinds, combining marks, ligatures, NUL and line breaks
_CHARS = st.sampled_from(list("议事堂椰智荟高新社区 　\t\n“”「」()（）'\"ＡａAaßﬁ\u0301\u0308e\x00İ") + ["Ǆ", "Ⅻ"])
_TEXT = st.text(_CHARS, max_size=8)


@settings(max_examples=300, deadline=None)
@given(st.lists(_TEXT, max_size=12))
def test_normalize_all_is_normalize_of_each_text(texts):
    assert normalize_all(texts) == [normalize(t) for t in texts]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(_TEXT, _TEXT), max_size=10), _TEXT)
def test_rank_matches_scores_every_candidate_as_match_score(labels, name):
    cands = [f"https://w3id.org/govkg/id/m{i}" for i in range(len(labels))]
    table = {c: {k: v for k, v in (("zh", zh), ("en", en)) if v} for c, (zh, en) in zip(cands, labels)}
    want = sorted(((match_score(name, table[c], c), c) for c in cands), key=lambda x: (-x[0], x[1]))
    assert rank_matches(name, cands, table.get) == [(sc, c) for sc, c in want if sc > 0]


def test_a_name_equal_to_an_id_matches_exactly():
    assert rank_matches("M1", ["https://w3id.org/govkg/id/m1"], lambda c: {}) == [(3, "https://w3id.org/govkg/id/m1")]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 6), max_size=30), st.integers(1, 4), st.one_of(st.none(), st.integers(1, 10)))
def test_ranking_every_column_in_numpy_equals_ranking_them_as_terms(counts, min_sites, top):
    """``shared`` without a name ranks the columns by count in numpy (``shared._ranked(None, …)``):
    the same order and total as ranking each term by (count, IRI) in Python."""
    from govkg.shared import _ranked

    cols = sorted(f"https://w3id.org/govkg/id/m{i}" for i in range(len(counts)))
    assert _ranked(None, cols, counts, {}, min_sites, top) == _ranked(list(cols), cols, counts, {}, min_sites, top)
