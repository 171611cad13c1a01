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


@pytest.mark.parametrize("sentence, names", [
    ("2021年5月,农业农村部与腾讯公司签署协议。", {"农业农村部", "腾讯公司"}),
    ("社区邀请北京中路街道办事处物业站、司法所和小区业委会相关负责人参加。", {"北京中路街道办事处物业站", "司法所", "小区业委会"}),
    ("在每个网格内成立党小组,实现全覆盖。", {"党小组"}),
    ("成立由副书记任组长的加强城市社区社会治理工作领导小组。", {"加强城市社区社会治理工作领导小组"}),
    ("来源:大观区人民政府网 发布时间:2019-02-25", set()),
    ("协调区级部门领办“难事清单”。", set()),
])
def test_organizations_by_what_the_text_says(sentence, names):
    from govkg.draft.organizations import find_organizations

    assert {n.text for n in find_organizations(sentence)} == names


@pytest.mark.parametrize("sentence, names", [
    ("通过召开5次湾子会,开展3轮入户走访,议定项目。", {"湾子会", "入户走访"}),
    ("征求群众意见商定“实事清单”、发动各方力量认领“好事清单”。", {"“实事清单”", "“好事清单”"}),
    ("并选聘750名小区“红管家”全天候响应居民诉求。", {"“红管家”"}),
    ("建立“日报告”“周通报”和驻点督导制度,组建督导专班。", {"“日报告”", "“周通报”", "驻点督导制度", "督导专班"}),
    ("打通服务群众“神经末梢”,织密“一张网”。", set()),
    ("他说:“小区停车位太少,业主回来晚点。”", set()),
    ("配备云图书角、母婴室、“同心园”党群共建室、便民活动室等。", {"“同心园”党群共建室"}),
    ("“文明中国”主题采访报道组走进小院。", set()),
])
def test_mechanisms_by_what_the_text_says(sentence, names):
    from govkg.draft.names import find_mechanisms
    from govkg.draft.vocab import vocabulary

    assert {n.text for n in find_mechanisms(sentence, vocabulary())} == names


@pytest.mark.parametrize("text, sites", [
    ("近日,隆德县城关镇咀头村党支部书记介绍经验。", [("咀头村", ["隆德县", "城关镇"])]),
    ("该村党支部召开会议。咀头村党支部书记说。", [("咀头村", [])]),  # a rare name jieba tags as a verb
    ("黄河厂社区召开社区评议会。黄河厂社区很好。", [("黄河厂社区", [])]),  # 召开社区 is no site
    ("加强城市社区治理,打造五好社区。", []),
    ("近日,西安市碑林区张家村街道科研社区召开会议。", [("科研社区", ["西安市", "碑林区", "张家村街道"])]),
    ("中山市南区街道环城社区党委书记说。", [("环城社区", ["中山市", "南区街道"])]),
])
def test_sites_and_their_places_from_running_text(text, sites):
    from govkg.draft.sentences import split_sentences
    from govkg.draft.sites import find_sites

    assert [(m.name, [p.zh for p in m.chain]) for m in find_sites(split_sentences(text))] == sites
