"""Drafts of reports without the Haikou layout (issue 18): a site whose places are not stated, reviewed."""

from __future__ import annotations

import pytest
import yaml

from govkg.draft import draft_report, write_draft
from govkg.draft.review import ReviewError, apply_decisions

TEXT = ("聚丰苑社区党支部推行“移动哨兵”机制,服务群众千余人次。\n"
        "聚丰苑社区还开展“敲门行动”,走访居民300户。\n")


@pytest.fixture
def drafted(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    report = src / "jufengyuan.txt"
    report.write_text(TEXT, encoding="utf-8")
    out = tmp_path / "data"
    write_draft(draft_report(report, source_id="jufengyuan-test"), out, text_path=report)
    return out


SOURCE = {"file": "sources/jufengyuan-test.yaml", "section": "source", "id": "jufengyuan-test", "action": "edit",
          "values": {"zh": "聚丰苑社区测试材料", "en": "Jufengyuan community (test material)",
                     "publisher": "测试出版社/Test Press", "date": "2025-06-11"}}


def test_a_site_without_stated_places_is_written_and_cannot_be_accepted_without_within(drafted):
    doc = yaml.safe_load((drafted / "sites" / "jufengyuanshequ.yaml").read_text(encoding="utf-8"))
    site = doc["site"]
    assert "within" not in site and "within left for review" in site["note"] and site["status"] == "draft"
    f = "sites/jufengyuanshequ.yaml"
    with pytest.raises(ReviewError, match="within") as exc:
        apply_decisions(drafted, {"decisions": [SOURCE, {"file": f, "section": "site", "id": site["id"], "action": "accept"}]})
    assert exc.value.problems[0]["id"] == site["id"]
    assert "missing required field 'within'" in str(exc.value)
    # the rest of the batch was not written either: the site is still a draft
    doc = yaml.safe_load((drafted / "sites" / "jufengyuanshequ.yaml").read_text(encoding="utf-8"))
    assert doc["site"]["status"] == "draft"
