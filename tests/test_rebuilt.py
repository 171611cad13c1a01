"""``incremental.rebuild`` returns one declared result type (issue 22): a ``Rebuilt`` with a report or a reason."""

from __future__ import annotations

from govkg import manifest
from govkg.build import BuildReport, build, default_sources_dirs
from govkg.incremental import Rebuilt, rebuild

SITE = "sites/gaoxinshequ.yaml"


def _rebuild(data, out):
    old = manifest.read_manifest(out)
    inputs, stamps = manifest.input_state(data, manifest.read_inputs(out, old))
    fields = manifest.expected(data, inputs=inputs)
    return rebuild(data, out, old, fields, stamps, default_sources_dirs(data), check=False)


def test_rebuild_of_one_edited_file_returns_its_report(data_copy):
    out = data_copy.parent / "build"
    build(data_copy, out, check=False, dumps=False)
    path = data_copy / SITE
    path.write_text(path.read_text(encoding="utf-8").replace("高新社区", "高新社区甲", 1), encoding="utf-8")
    done = _rebuild(data_copy, out)
    assert isinstance(done, Rebuilt) and done.done and done.full_because is None
    assert isinstance(done.report, BuildReport) and done.report.parsed == [SITE]


def test_rebuild_that_needs_a_full_build_says_why(data_copy):
    out = data_copy.parent / "build"
    build(data_copy, out, check=False, dumps=False)
    (data_copy / SITE).unlink()
    done = _rebuild(data_copy, out)
    assert isinstance(done, Rebuilt) and not done.done and done.report is None
    assert done.full_because == "a data file was removed, or a report (sources/) changed"
