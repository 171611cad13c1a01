"""`govkg review DIR --into data/`: the accepted entries of a reviewed draft moved into a curated data folder, checked by a build first."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from govkg.cli import cli
from govkg.draft import draft_report, write_draft
from govkg.draft.accept import move_accepted
from govkg.draft.review import ReviewError, apply_decisions
from govkg.errors import GovkgError

LANHU = Path(__file__).parent / "fixtures" / "draft" / "lanhu.txt"
SOURCE = {"file": "sources/lanhu-test.yaml", "section": "source", "id": "lanhu-test", "action": "edit",
          "values": {"en": "Lanhu district grassroots governance (test material)",
                     "publisher": "测试出版社/Test Press", "date": "2025-03-01"}}


def accept_all(folder, site="qingquanshequ"):
    """Decisions accepting the areas and every entry of one site file (the other site stays a draft)."""
    out = [SOURCE]
    for rel in ("areas.yaml", f"sites/{site}.yaml"):
        doc = yaml.safe_load((folder / rel).read_text(encoding="utf-8"))
        for section, items in doc.items():
            for v in [items] if section == "site" else items if isinstance(items, list) else []:
                out.append({"file": rel, "section": section, "id": v.get("id") or v.get("use"), "action": "accept"})
    return {"decisions": out}


@pytest.fixture
def reviewed(tmp_path):
    out = tmp_path / "lanhu" / "data"
    write_draft(draft_report(LANHU, source_id="lanhu-test"), out, text_path=LANHU)
    return out


def snapshot(folder):
    return {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_review_into_moves_accepted_entries_and_the_data_builds(reviewed, data_copy, tmp_path):
    dec = tmp_path / "decisions.json"
    dec.write_text(json.dumps(accept_all(reviewed)), encoding="utf-8")
    r = CliRunner().invoke(cli, ["review", str(reviewed), "--apply", str(dec), "--into", str(data_copy)])
    assert r.exit_code == 0, r.output
    assert "wrote" in r.output and "moved" in r.output
    assert (data_copy / "sources" / "lanhu-test.yaml").is_file()
    assert (data_copy / "areas-lanhu-test.yaml").is_file() and (data_copy / "sites" / "qingquanshequ.yaml").is_file()
    assert not (data_copy / "sites" / "liushucun.yaml").exists()  # its entries were not accepted: left behind
    moved = yaml.safe_load((data_copy / "sites" / "qingquanshequ.yaml").read_text(encoding="utf-8"))
    assert all(v.get("status") == "accepted" for k, vs in moved.items() if isinstance(vs, list) for v in vs)
    # the curated folder builds, with the report's text found where the draft keeps it
    r = CliRunner().invoke(cli, ["--data", str(data_copy), "--build-dir", str(tmp_path / "build"), "build"],
                           env={"GOVKG_SOURCES": str(reviewed / "sources")})
    assert r.exit_code == 0, r.output
    assert "9 sites" in r.output
    # a second move finds its files taken: refused, nothing replaced
    before = snapshot(data_copy)
    r = CliRunner().invoke(cli, ["review", str(reviewed), "--into", str(data_copy)])
    assert r.exit_code == 1 and "exists already: not replacing a curated file" in r.output
    assert snapshot(data_copy) == before


def test_a_move_that_would_not_build_writes_nothing(reviewed, data_copy):
    d = accept_all(reviewed)
    # the outcome credited to a mechanism that stays a draft: the moved data would name an unknown id
    site = yaml.safe_load((reviewed / "sites" / "qingquanshequ.yaml").read_text(encoding="utf-8"))
    mech = next(v for v in site["outcomes"] if v.get("mechanism"))["mechanism"]
    d["decisions"] = [x for x in d["decisions"] if x["id"] != mech]
    apply_decisions(reviewed, d)
    before = snapshot(data_copy)
    with pytest.raises(ReviewError, match="nothing was written") as exc:
        move_accepted(reviewed, data_copy)
    assert any(p["field"] == "mechanism" and p["file"] == "sites/qingquanshequ.yaml" for p in exc.value.problems)
    assert snapshot(data_copy) == before


def test_the_record_must_be_filled_and_something_accepted(reviewed, data_copy):
    before = snapshot(data_copy)
    with pytest.raises(GovkgError, match="fill the report's en, publisher, date"):
        move_accepted(reviewed, data_copy)
    apply_decisions(reviewed, {"decisions": [SOURCE]})
    with pytest.raises(GovkgError, match="no accepted entry to move"):
        move_accepted(reviewed, data_copy)
    with pytest.raises(GovkgError, match="two separate folders"):
        move_accepted(reviewed, reviewed / "sites")
    assert snapshot(data_copy) == before


def test_an_entry_already_curated_is_referred_to_not_defined_twice(reviewed, data_copy, tmp_path):
    """An area the gazetteer linked to a curated id is referred to, not defined a second time."""
    apply_decisions(reviewed, accept_all(reviewed))
    curated = yaml.safe_load((data_copy / "areas.yaml").read_text(encoding="utf-8"))
    # make the draft's district the curated one's id, as the gazetteer would
    some_area = next(v for v in curated["areas"] if v.get("type") == "district")
    for rel in ("areas.yaml", "sites/qingquanshequ.yaml"):
        p = reviewed / rel
        p.write_text(p.read_text(encoding="utf-8").replace("qingshanqu", some_area["id"]), encoding="utf-8")
    r = move_accepted(reviewed, data_copy)
    assert r["linked"] == 1
    areas = yaml.safe_load((data_copy / "areas-lanhu-test.yaml").read_text(encoding="utf-8"))["areas"]
    assert some_area["id"] not in {v["id"] for v in areas}  # the curated district is referred to, not redefined
    r = CliRunner().invoke(cli, ["--data", str(data_copy), "--build-dir", str(tmp_path / "build"), "build"],
                           env={"GOVKG_SOURCES": str(reviewed / "sources")})
    assert r.exit_code == 0, r.output
