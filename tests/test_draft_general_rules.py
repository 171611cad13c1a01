"""General rules of `govkg draft` that replaced words one devset text each held (issue 18 follow-up).

Sentences invented for these tests.
"""

from __future__ import annotations

import pytest

from govkg.draft.names import find_mechanisms
from govkg.draft.organizations import find_organizations
from govkg.draft.vocab import vocabulary


@pytest.mark.parametrize("sentence, names", [
    # a public body named after its place: a chain of places, or 区/市/县 alone after a function word
    ("由县信访办牵头,镇综治办与市图书馆共同组织。", {"县信访办", "镇综治办", "市图书馆"}),
    ("青山区东湖街道党工委书记介绍了做法。", {"青山区东湖街道党工委"}),
    ("邀请红河镇司法所、派出所和小区业委会参加。", {"红河镇司法所", "派出所", "小区业委会"}),
    # 所 as a particle, a room, a verb before the place: not bodies
    ("居民所需所盼就是社区的工作方向。", set()),
    ("社区新建公共厕所、停车场等设施。", set()),
])
def test_public_bodies_named_after_their_place(sentence, names):
    assert {n.text for n in find_organizations(sentence)} == names


def test_party_type_from_the_name():
    (n,) = find_organizations("每个楼栋都成立了党小组。")
    assert (n.text, n.org_type) == ("党小组", "party-organization")


@pytest.mark.parametrize("sentence, names", [
    # a room, point or council of a practice: after a verb (调解, 共建) or a word of talk (议事, 茶话)
    ("社区设立矛盾调解室和楼栋议事点,每月召开居民评议会。", {"矛盾调解室", "楼栋议事点", "居民评议会"}),
    # a quoted name after any verb jieba reads (签署), or with its own mechanism ending (清单)
    ("村里签署“护河公约”,发动党员认领“微心愿清单”。", {"“护河公约”", "“微心愿清单”"}),
    # a quoted ordinary word or a counted thing is a figure of speech, not a name
    ("社区当好服务“主角”,开出“三剂良方”。", set()),
    # an epithet after a verb of practice keeps its qualifier (用好协同联动“巧招”)
    ("社区用好协同联动“巧招”,化解纠纷。", {"协同联动“巧招”"}),
    # … but not a figure of speech with its description (织起了一张严密的“平安之网”)
    ("社区织起了一张严密的“平安之网”,守护居民。", set()),
    # a practice named before its count
    ("今年开展技能培训12期,举办各类活动30场。", {"技能培训"}),
])
def test_mechanisms_by_general_rules(sentence, names):
    assert {n.text for n in find_mechanisms(sentence, vocabulary())} == names


def test_a_meeting_room_in_a_list_is_a_facility():
    got = {n.text for n in find_mechanisms("社区建有邻里茶话室、多功能会议室、母婴室等服务阵地。", vocabulary())}
    assert "邻里茶话室" in got and not got & {"多功能会议室", "母婴室"}


def test_thousands_written_with_commas_are_one_number():
    """1,200人 is 1200 people (not 1 and 200), for the drafter and the compiler's check alike."""
    from decimal import Decimal

    from govkg.draft.numbers import find_amounts
    from govkg.numbers import number_values

    found, _ = find_amounts("全村共1,200人,投入1,250,000元,其中党员45名。", vocabulary())
    assert [(a.text, a.value, a.unit) for a in found] == [("1,200人", 1200, "ren"), ("1,250,000元", 1250000, "yuan"),
                                                          ("45名", 45, "ming")]
    assert number_values("分别为3,4,5户;共12,3456人") == [Decimal(v) for v in (3, 4, 5, 12, 3456)]
