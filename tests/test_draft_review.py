"""Decisions applied to a drafted folder, the review page's data, `govkg review --apply` and the review server."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from govkg.cli import cli
from govkg.draft import draft_report, write_draft
from govkg.draft.review import ReviewError, ReviewServer, apply_decisions, review_page, review_payload
from govkg.errors import GovkgError
from govkg.model import load_data

LANHU = Path(__file__).parent / "fixtures" / "draft" / "lanhu.txt"


#: The decision that fills the report's record (title, publisher, date): entries are accepted only after it.
SOURCE = {"file": "sources/lanhu-test.yaml", "section": "source", "id": "lanhu-test", "action": "edit",
          "values": {"zh": "兰湖区基层治理测试材料", "en": "Lanhu district grassroots governance (test material)",
                     "publisher": "测试出版社/Test Press", "date": "2025-03-01"}}


def site_doc(folder, name="qingquanshequ"):
    return yaml.safe_load((folder / "sites" / f"{name}.yaml").read_text(encoding="utf-8"))


def entry(doc, section, pred):
    return next(v for v in doc[section] if pred(v))


def test_payload_locates_every_fact_on_its_sentence(drafted):
    p = review_payload(drafted)
    assert p["report"] == "lanhu.txt" and p["sentences"][0]["text"].startswith("【虚构的测试材料")
    facts = {(f["section"], f["id"]): f for f in p["facts"]}
    o = next(f for f in p["facts"] if f["section"] == "outcomes" and f["fields"]["value"] == 45)
    (w,) = o["evidence"]
    s = p["sentences"][w["sentence"]]["text"]
    assert s[w["start"]:w["end"]] == "45件"
    assert all(f["evidence"] and all(w["sentence"] is not None for w in f["evidence"])
               for f in facts.values() if f["section"] != "source")
    o20 = next(f for f in p["facts"] if f["section"] == "outcomes" and f["fields"]["value"] == 20)
    w = o20["evidence"][0]
    assert p["sentences"][w["sentence"]]["text"][w["start"]:w["end"]] == "二十余户"  # a Chinese numeral is found as written
    assert any(k["reason"].startswith("a decade") for k in p["skipped"])


def test_accept_edit_reject(drafted):
    doc = site_doc(drafted)
    mech = entry(doc, "mechanisms", lambda v: v.get("zh") == "“清泉夜话”议事会")
    out45 = entry(doc, "outcomes", lambda v: v["value"] == 45)
    out98 = entry(doc, "outcomes", lambda v: v["value"] == 98)
    assert out45["mechanism"] == mech["id"]
    f = "sites/qingquanshequ.yaml"
    r = apply_decisions(drafted, {"decisions": [
        SOURCE,
        {"file": f, "section": "outcomes", "id": out98["id"], "action": "accept"},
        {"file": f, "section": "outcomes", "id": out45["id"], "action": "edit",
         "values": {"zh": "运用议事会化解矛盾纠纷件数", "en": "Disputes resolved through the council", "comparator": "approximately"}},
        {"file": f, "section": "mechanisms", "id": mech["id"], "action": "reject"},
    ]})
    assert r == {"accepted": 1, "edited": 2, "rejected": 1, "files": [f, "sources/lanhu-test.yaml"]}
    doc = site_doc(drafted)
    # the site's only mechanism since “1+N” (a bare slogan) is no longer drafted as one: the list may go
    assert not any(v.get("id") == mech["id"] for v in doc.get("mechanisms", []))
    o45 = entry(doc, "outcomes", lambda v: v["id"] == out45["id"])
    assert (o45["value"], o45["comparator"], o45["status"], o45["en"]) == (
        45, "approximately", "accepted", "Disputes resolved through the council")
    assert "mechanism" not in o45  # the reference to the rejected mechanism went with it
    assert entry(doc, "outcomes", lambda v: v["id"] == out98["id"])["status"] == "accepted"
    ds = load_data(drafted)  # accepted entries are in the default load
    assert {e.id for e in ds.entries if e.section == "outcomes"} == {out45["id"], out98["id"]}
    assert (drafted / "sites" / "qingquanshequ.yaml").read_text(encoding="utf-8").startswith("# Drafted by")


@pytest.mark.parametrize("decision, message", [
    ({"file": "../x.yaml", "section": "outcomes", "id": "a", "action": "accept"}, "outside the data folder"),
    ({"file": "sites/qingquanshequ.yaml", "section": "outcomes", "id": "nope", "action": "accept"}, "no outcomes entry"),
    ({"file": "sites/qingquanshequ.yaml", "section": "outcomes", "id": "{o}", "action": "burn"}, "unknown action"),
    ({"file": "sites/qingquanshequ.yaml", "section": "outcomes", "id": "{o}", "action": "edit",
      "values": {"value": "many"}}, "must be a number"),
    ({"file": "sites/qingquanshequ.yaml", "section": "outcomes", "id": "{o}", "action": "edit",
      "values": {"unit": "parsecs"}}, "unknown unit 'parsecs'"),
    ({"file": "sites/qingquanshequ.yaml", "section": "outcomes", "id": "{o}", "action": "edit",
      "values": {"comparator": "roughly"}}, "comparator must be one of: exactly, more-than"),
    ({"file": "sites/qingquanshequ.yaml", "section": "outcomes", "id": "{o}", "action": "accept"},
     "fill the report's en, publisher, date (sources/lanhu-test.yaml) before accepting"),
    ({"file": "sites/qingquanshequ.yaml", "section": "outcomes", "id": "{o}", "action": "edit",
      "values": {"value": "46"}}, "the number 46 is not written"),
    ({"file": "sites/qingquanshequ.yaml", "section": "outcomes", "id": "{o}", "action": "edit",
      "values": {"evidence": "x"}}, "cannot be edited"),
    ({"file": "sites/qingquanshequ.yaml", "section": "site", "id": "qingquanshequ", "action": "reject"}, "delete the file"),
    ({"file": "areas.yaml", "section": "areas", "id": "cuizhujiedao", "action": "reject"}, "cannot reject cuizhujiedao"),
])
def test_bad_decisions_change_nothing(drafted, decision, message):
    before = {p: p.read_bytes() for p in drafted.rglob("*.yaml")}
    o = entry(site_doc(drafted), "outcomes", lambda v: v["value"] == 45)["id"]
    decision = {k: (v.format(o=o) if isinstance(v, str) else v) for k, v in decision.items()}
    with pytest.raises(GovkgError) as exc:
        apply_decisions(drafted, {"decisions": [decision] + ([SOURCE] if "fill the" not in message else [])})
    if message:
        assert message in str(exc.value)
    assert {p: p.read_bytes() for p in drafted.rglob("*.yaml")} == before


def test_an_edit_that_would_break_the_build_is_refused_with_where(drafted):
    """The new user's case: a label the evidence does not name is refused (it used to be saved, then the build failed)."""
    before = {p: p.read_bytes() for p in drafted.rglob("*.yaml")}
    f = "sites/liushucun.yaml"
    with pytest.raises(ReviewError, match="nothing was written") as exc:
        apply_decisions(drafted, {"decisions": [SOURCE, {"file": f, "section": "organizations", "id": "liushucundangzhibu",
                                                         "action": "edit", "values": {"zh": "兰湖柳树村党支部"}}]})
    (p,) = exc.value.problems
    assert (p["file"], p["field"], p["section"], p["id"]) == (f, "evidence", "organizations", "liushucundangzhibu")
    assert p["line"] > 0 and "兰湖柳树村党支部" in p["message"]
    assert {p: p.read_bytes() for p in drafted.rglob("*.yaml")} == before


def test_an_invalid_value_is_refused_before_the_compile(drafted):
    with pytest.raises(GovkgError, match="type must be one of: community, village"):
        apply_decisions(drafted, {"decisions": [{"file": "sites/qingquanshequ.yaml", "section": "site",
                                                 "id": "qingquanshequ", "action": "edit", "values": {"type": "castle"}}]})


def untyped(folder):
    """The mechanism of liushucun the drafter left untyped: the report's words name no kind (issue 18)."""
    return next(v for v in site_doc(folder, "liushucun")["mechanisms"] if v.get("zh") and not v.get("kinds"))


def test_an_untyped_mechanism_gets_its_kind_from_the_reviewer(drafted):
    m = untyped(drafted)
    assert "left untyped for review" in m["note"] and "kind_basis" not in m
    f = "sites/liushucun.yaml"
    # accepting it without a kind: refused (only a draft may leave it untyped)
    with pytest.raises(ReviewError, match="kinds") as exc:
        apply_decisions(drafted, {"decisions": [SOURCE, {"file": f, "section": "mechanisms", "id": m["id"], "action": "accept"}]})
    assert exc.value.problems[0]["id"] == m["id"]
    apply_decisions(drafted, {"decisions": [SOURCE, {"file": f, "section": "mechanisms", "id": m["id"], "action": "edit",
                                                     "values": {"kinds": ["juminzizhi"],
                                                                "kind_basis": {"juminzizhi": "积分 points are earned and spent"}}}]})
    e = next(v for v in site_doc(drafted, "liushucun")["mechanisms"] if v["id"] == m["id"])
    assert e["kinds"] == ["juminzizhi"] and e["kind_basis"] == {"juminzizhi": "积分 points are earned and spent"}
    assert e["status"] == "accepted"


def test_replacing_a_kind_drops_its_basis_and_a_kind_must_be_justified(drafted):
    m = untyped(drafted)
    f = "sites/liushucun.yaml"
    decide = lambda values, action="edit": {"file": f, "section": "mechanisms", "id": m["id"], "action": action,
                                            "values": values}
    # a basis that quotes none of the report's words: refused by the rule that a basis quotes the report
    with pytest.raises(ReviewError, match="kind-basis-without-report-words") as exc:
        apply_decisions(drafted, {"decisions": [SOURCE, decide({"kinds": ["bianminfuwu"],
                                                                "kind_basis": {"bianminfuwu": "a guess of the curator"}})]})
    assert (exc.value.problems[0]["file"], exc.value.problems[0]["id"]) == (f, m["id"])
    assert exc.value.problems[0]["line"] > 0
    # a kind named by no word of the report and given no reason: the compile refuses it, naming the field
    with pytest.raises(ReviewError, match="justify it in 'kind_basis'") as exc:
        apply_decisions(drafted, {"decisions": [SOURCE, decide({"kinds": "矛盾纠纷化解"})]})
    assert exc.value.problems[0]["field"] == "kinds" and exc.value.problems[0]["id"] == m["id"]
    # by label, two kinds, each with a basis quoting the report
    old = "bianminfuwu"
    basis = {old: "“积分超市”兑换日用品, 便民", "矛盾纠纷化解": "积分 for settling 矛盾"}
    apply_decisions(drafted, {"decisions": [SOURCE, decide({"kinds": [old, "矛盾纠纷化解"], "kind_basis": basis})]})
    e = next(v for v in site_doc(drafted, "liushucun")["mechanisms"] if v["id"] == m["id"])
    assert e["kinds"] == [old, "maodunjiufenhuajie"] and e["kind_basis"][old] == basis[old]
    # remove the old kind: its basis goes with it, never left pointing at a kind the entry lost
    apply_decisions(drafted, {"decisions": [decide({"kinds": ["maodunjiufenhuajie"]})]})
    e = next(v for v in site_doc(drafted, "liushucun")["mechanisms"] if v["id"] == m["id"])
    assert e["kind_basis"] == {"maodunjiufenhuajie": "积分 for settling 矛盾"} and e["kinds"] == ["maodunjiufenhuajie"]
    with pytest.raises(GovkgError, match="not a kind of the ontology"):
        apply_decisions(drafted, {"decisions": [decide({"kinds": ["no-such-kind"]})]})
    with pytest.raises(GovkgError, match="not among the kinds chosen"):
        apply_decisions(drafted, {"decisions": [decide({"kind_basis": {old: "便民"}})]})


def test_measure_direction_comparator_unit_are_editable(drafted):
    d = site_doc(drafted)
    o = entry(d, "outcomes", lambda v: v["value"] == 12)  # 居民满意度提升12%
    f = "sites/qingquanshequ.yaml"
    decide = lambda values: {"decisions": [SOURCE, {"file": f, "section": "outcomes", "id": o["id"], "action": "edit",
                                                    "values": values}]}
    apply_decisions(drafted, decide({"measure": "level", "direction": "", "comparator": "approximately"}))
    e = entry(site_doc(drafted), "outcomes", lambda v: v["id"] == o["id"])
    assert (e["measure"], e.get("direction"), e["comparator"]) == ("level", None, "approximately")
    with pytest.raises(ReviewError, match="direction") as exc:  # a change needs its direction: the loader says so
        apply_decisions(drafted, decide({"measure": "change"}))
    assert exc.value.problems[0]["id"] == o["id"]
    apply_decisions(drafted, decide({"measure": "change", "direction": "increase"}))
    assert entry(site_doc(drafted), "outcomes", lambda v: v["id"] == o["id"])["direction"] == "increase"
    with pytest.raises(GovkgError, match="measure must be one of: level, change"):
        apply_decisions(drafted, decide({"measure": "delta"}))
    with pytest.raises(GovkgError, match="direction must be one of"):
        apply_decisions(drafted, decide({"direction": "up"}))
    u = entry(site_doc(drafted), "outcomes", lambda v: v["value"] == 35.5)
    apply_decisions(drafted, {"decisions": [{"file": f, "section": "outcomes", "id": u["id"], "action": "edit",
                                             "values": {"unit": "万元"}}]})  # the unit as written is read as its id
    assert entry(site_doc(drafted), "outcomes", lambda v: v["id"] == u["id"])["unit"] == "wanyuan"


def test_source_fields_are_asked_for_and_filled(drafted):
    p = review_payload(drafted)
    (src,) = [f for f in p["facts"] if f["section"] == "source"]
    assert src["missing"] == ["en", "publisher", "date"] and src["status"] == "to fill"
    assert p["choices"]["enums"]["measure"] == ["level", "change"]
    for bad, message in [({"publisher": "未注明/not stated"}, "give the publisher's name"),
                         ({"date": "2025-13-01"}, "ISO date"), ({"en": "(translate) Lanhu"}, "give the report's title")]:
        with pytest.raises(GovkgError, match=message):
            apply_decisions(drafted, {"decisions": [{**SOURCE, "values": bad}]})
    apply_decisions(drafted, {"decisions": [SOURCE]})
    rec = yaml.safe_load((drafted / "sources" / "lanhu-test.yaml").read_text(encoding="utf-8"))
    assert rec["publisher"] == {"zh": "测试出版社", "en": "Test Press"} and str(rec["date"]) == "2025-03-01"
    (src,) = [f for f in review_payload(drafted)["facts"] if f["section"] == "source"]
    assert src["missing"] == [] and src["fields"]["date"] == "2025-03-01"


def test_page_keeps_html_in_labels_as_data():
    page = review_page({"report": "r.txt", "sentences": [{"i": 0, "text": "<img src=x onerror=alert(1)>", "line": 1}],
                        "facts": [{"fields": {"zh": "</script><script>alert(1)</script>"}}]})
    assert "<img src=x" not in page and "</script><script>alert" not in page
    assert "\\u003cimg src=x" in page


def test_cli_review_writes_the_page_and_applies_decisions(drafted, tmp_path):
    r = CliRunner().invoke(cli, ["review", str(drafted), "-o", str(tmp_path / "page.html")])
    assert r.exit_code == 0, r.output
    page = (tmp_path / "page.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "govkg-review-data" in page and "src=" not in page
    o = entry(site_doc(drafted), "outcomes", lambda v: v["value"] == 98)["id"]
    dec = tmp_path / "decisions.json"
    dec.write_text(json.dumps({"decisions": [SOURCE, {"file": "sites/qingquanshequ.yaml", "section": "outcomes",
                                                      "id": o, "action": "accept"}]}), encoding="utf-8")
    r = CliRunner().invoke(cli, ["review", str(drafted), "--apply", str(dec)])
    assert r.exit_code == 0 and "1 accepted" in r.output
    dec.write_text("{not json", encoding="utf-8")
    r = CliRunner().invoke(cli, ["review", str(drafted), "--apply", str(dec)])
    assert r.exit_code == 1 and "not a decisions JSON file" in r.output


def test_review_needs_the_report_text(tmp_path):
    out = tmp_path / "data"
    write_draft(draft_report(LANHU, source_id="lanhu-test"), out)  # text not copied
    r = CliRunner().invoke(cli, ["review", str(out)], env={"GOVKG_SOURCES": ""})
    assert r.exit_code == 1 and "pass --text" in r.output
    r = CliRunner().invoke(cli, ["review", str(out), "--text", str(LANHU)])
    assert r.exit_code == 0


def post(url, body, token, ctype="application/json"):
    req = urllib.request.Request(url + "decisions", data=json.dumps(body).encode(), method="POST",
                                 headers={"Content-Type": ctype, **({"X-Govkg-Token": token} if token else {})})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def test_server_saves_decisions_only_with_its_token(drafted):
    server = ReviewServer(drafted)
    url = server.start()
    try:
        assert url.startswith("http://127.0.0.1:")
        with urllib.request.urlopen(url, timeout=10) as r:
            page = r.read().decode("utf-8")
        assert server.token not in page  # the page is a shell: its data needs the token
        token = server.page_url.split("#token=")[1]
        o = entry(site_doc(drafted), "outcomes", lambda v: v["value"] == 98)["id"]
        body = {"decisions": [{"file": "sites/qingquanshequ.yaml", "section": "outcomes", "id": o, "action": "reject"}]}
        assert post(url, body, None)[0] == 403
        assert post(url, body, "wrong")[0] == 403
        assert post(url, body, token, ctype="text/plain")[0] == 403
        assert entry(site_doc(drafted), "outcomes", lambda v: v["value"] == 98)
        code, res = post(url, body, token)
        assert code == 200 and res["rejected"] == 1
        assert not any(v["value"] == 98 for v in site_doc(drafted)["outcomes"])
        code, res = post(url, body, token)  # already gone
        assert code == 400 and "no outcomes entry" in res["error"]
    finally:
        server.stop()


def test_within_is_chosen_among_the_folders_places(drafted):
    p = review_payload(drafted)
    assert ["cuizhujiedao", "翠竹街道"] in p["choices"]["places"]
    decide = lambda values: {"decisions": [SOURCE, {"file": "areas.yaml", "section": "areas", "id": "baishizhen",
                                                    "action": "edit", "values": values}]}
    with pytest.raises(ReviewError, match="nosuchplace") as exc:  # an id no area has: the compile says where
        apply_decisions(drafted, decide({"within": "nosuchplace"}))
    assert (exc.value.problems[0]["field"], exc.value.problems[0]["id"]) == ("within", "baishizhen")
    with pytest.raises(GovkgError, match="within must be the id of an area"):
        apply_decisions(drafted, decide({"within": "白石镇 <b>"}))
    apply_decisions(drafted, decide({"within": ""}))  # an area's within is optional: emptied, removed
    areas = yaml.safe_load((drafted / "areas.yaml").read_text(encoding="utf-8"))["areas"]
    assert "within" not in next(v for v in areas if v["id"] == "baishizhen")
