"""Hostile input found by trying the product as a new user and an adversarial tester."""

from __future__ import annotations

from click.testing import CliRunner

from govkg.cli import cli


def _invoke(*args):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_a_very_long_unknown_name_is_not_echoed_whole():
    name = "高" * 20000
    for command in ("similar", "suggest", "shared"):
        r = _invoke(command, name)
        assert r.exit_code == 1, (command, r.output)
        assert r.output.startswith("Error: No "), r.output[:200]
        assert len(r.output) < 1000, (command, len(r.output))
        assert "20000 characters" in r.output


def test_unknown_site_suggests_one_label_per_site_in_the_language_asked():
    r = _invoke("similar", '" } ; DROP ALL ; #')
    assert r.exit_code == 1
    assert "Did you mean" in r.output
    hint = r.output.split("Did you mean:", 1)[1]
    assert not any("\u4e00" <= ch <= "\u9fff" for ch in hint), hint
