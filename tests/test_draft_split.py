"""The held-out estimate of bench_draft --split: word lists recompiled without the entries a fold's test texts alone hold."""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from draft_split import fitted_entries, score_split, word_list_entries  # noqa: E402

# Invented texts (not real reports): 甲 names a 理事会 (a word the Haikou report lacks) and 乙 a 司法所 and a 派出所 in a list.
TEXTS = {
    "jia": "# source: invented\n青禾社区乡贤理事会推行“楼长制”,服务居民300人。\n",
    "yi": "# source: invented\n红河镇石桥村由镇综治办牵头,与司法所、派出所共商,收集意见20条。\n",
}
GOLD = {
    "jia": {"numbers": [{"value": 300, "unit": "人", "comparator": "exactly", "as_written": "300人"}],
            "mechanisms": [{"name": "楼长制"}], "organizations": [{"name": "青禾社区乡贤理事会"}]},
    "yi": {"numbers": [{"value": 20, "unit": "条", "comparator": "exactly", "as_written": "20条"}],
           "mechanisms": [], "organizations": [{"name": "镇综治办"}, {"name": "司法所"}, {"name": "派出所"}]},
}


def _devset(tmp_path):
    for slug, text in TEXTS.items():
        (tmp_path / f"{slug}.txt").write_text(text, encoding="utf-8")
        gold = {"text": slug, "sites": [], "doubtful": [], "traps": [], **GOLD[slug]}
        (tmp_path / f"{slug}.gold.yaml").write_text(yaml.safe_dump(gold, allow_unicode=True), encoding="utf-8")
    return tmp_path


def test_word_lists_are_read_from_the_drafter_modules():
    entries = {e for _, _, e in word_list_entries()}
    assert {"党总支", "机制", "左右"} <= entries  # a table's first strings, a suffix list, a comparator list
    assert all(any("\u4e00" <= c <= "\u9fff" for c in e) for e in entries)


def test_a_fold_is_drafted_without_the_entries_only_its_texts_hold(tmp_path):
    devset = _devset(tmp_path)
    assert ("govkg.draft.organizations", "理事会") in {(m, e) for m, _, e, s in fitted_entries(devset) if s == "jia"}
    from draft_devset import score_devset

    inside = {s.slug: s.counts for s in score_devset(devset, build=False)}
    assert inside["jia"]["organizations"][:2] == [1, 1]  # found with every word list entry
    jia, yi = score_split(devset, [["jia"], ["yi"]])
    assert "理事会" in jia["dropped"] and "理事会" not in yi["dropped"]
    # without 理事会 in its word list, the drafter no longer finds 青禾社区乡贤理事会
    (score,) = jia["scores"]
    assert score["counts"]["organizations"][0] == 0 and score["counts"]["numbers"][:2] == [1, 1]
    # 镇综治办, 司法所 and 派出所 come from general rules (a body named after its place, a 所 in a list)
    (score,) = yi["scores"]
    assert score["counts"]["organizations"][:2] == [3, 3]
