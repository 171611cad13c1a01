"""A build folder another user owns or may write is not trusted (issue 23 L14)."""

from __future__ import annotations

import os

import pytest
from click.testing import CliRunner
from rdflib import RDFS

import govkg
from govkg.cli import cli
from govkg.errors import GovkgError


@pytest.fixture()
def built(tmp_path, data_copy):
    out = tmp_path / "build"
    r = CliRunner().invoke(cli, ["--data", str(data_copy), "--build-dir", str(out), "build"])
    assert r.exit_code == 0, r.output
    return data_copy, out


def _forge(out):
    """Another user's forgery: every label of 高新社区 in the dump replaced."""
    nt = out / "govkg.nt"
    nt.write_bytes(nt.read_bytes().replace("高新社区".encode(), "FORGED".encode()))


def test_open_refuses_a_folder_others_may_write(built):
    _, out = built
    os.chmod(out, 0o777)
    with pytest.raises(GovkgError, match="can be written by other users"):
        govkg.open(out)
    os.chmod(out, 0o775)  # writable by the user's own group (umask 002): still the user's
    assert govkg.open(out).shared("椰智荟")["mechanisms"]


@pytest.mark.skipif(os.getuid() != 0, reason="giving a folder to another user needs root")
def test_open_refuses_a_folder_of_another_user_or_group(built):
    _, out = built
    os.chown(out, 65534, 65534)
    try:
        with pytest.raises(GovkgError, match="belongs to another user"):
            govkg.open(out)
    finally:
        os.chown(out, 0, 0)
    os.chmod(out, 0o775)
    os.chown(out, -1, 65534)  # writable by a group that is not the user's own
    try:
        with pytest.raises(GovkgError, match="can be written by other users"):
            govkg.open(out)
    finally:
        os.chown(out, -1, 0)


def test_query_of_a_folder_others_may_write_gives_an_error_not_its_answers(built):
    data, out = built
    os.chmod(out, 0o777)
    r = CliRunner().invoke(cli, ["--data", str(data), "--build-dir", str(out), "query",
                                 "SELECT ?l WHERE { ?s a gk:DemonstrationSite ; rdfs:label ?l }"])
    assert r.exit_code == 1 and "Traceback" not in r.output
    assert "can be written by other users" in r.output and "chmod go-w" in r.output


def test_load_graph_ignores_a_forged_dump_in_a_folder_others_may_write(built):
    data, out = built
    _forge(out)
    os.chmod(out, 0o777)
    labels = {str(o) for o in govkg.load_graph(data, out).objects(None, RDFS.label)}
    assert "高新社区" in labels and "FORGED" not in labels
