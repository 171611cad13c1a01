"""The wheel: bundled data and ontology as package data, extras, bounded 0.x dependencies, clear errors for missing extras."""

from __future__ import annotations

import re
import subprocess
import sys
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest
from click.testing import CliRunner

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    """A wheel built from the checkout (pip wheel, isolated build: takes seconds)."""
    out = tmp_path_factory.mktemp("wheel")
    r = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(out), str(ROOT)],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-2000:]
    (whl,) = out.glob("govkg-*.whl")
    return zipfile.ZipFile(whl)


@pytest.mark.slow
def test_wheel_holds_the_data_and_the_ontology(wheel):
    names = set(wheel.namelist())
    sites = sorted(p.name for p in (ROOT / "data" / "sites").glob("*.yaml"))
    assert sites and {f"govkg/data/sites/{s}" for s in sites} <= names
    for p in (ROOT / "data").rglob("*.yaml"):
        assert f"govkg/data/{p.relative_to(ROOT / 'data').as_posix()}" in names
    for p in (ROOT / "ontology").rglob("*"):
        if p.suffix in (".ttl", ".rq") or p.name.endswith(".schema.json"):
            assert f"govkg/ontology/{p.relative_to(ROOT / 'ontology').as_posix()}" in names
    assert {"govkg/data/__init__.py", "govkg/cli.py", "govkg/visualize/html.py"} <= names
    assert not [n for n in names if n.endswith(".txt") and "/data/" in n], "source texts must not be shipped"


@pytest.mark.slow
def test_installed_wheel_never_builds_into_site_packages(wheel, tmp_path):
    """Installed from the wheel: the library's default build folder is the user cache, the CLI's ./build."""
    import os

    import site

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    py = venv / "bin" / "python"
    # the dependencies from the environment running the tests (no network): its site folders appended
    # to the new one's path, after it, so the wheel's govkg comes first (an editable install of the
    # checkout there is a .pth hook, which a plain path line does not run)
    ours = subprocess.run([str(py), "-c", "import site; print(site.getsitepackages()[0])"], capture_output=True,
                          text=True, check=True).stdout.strip()
    (Path(ours) / "_test_deps.pth").write_text("\n".join(site.getsitepackages()) + "\n", encoding="utf-8")
    r = subprocess.run([str(py), "-m", "pip", "install", "-q", "--no-deps", "--disable-pip-version-check", wheel.filename],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-2000:]
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache"), "HOME": str(tmp_path / "home")}
    env.pop("GOVKG_DATA", None)
    work = tmp_path / "work"
    work.mkdir()
    code = ("import govkg; from importlib.resources import files; r = govkg.build(); "
            "print(r.outputs[0].parent); print(files('govkg')); from govkg.paths import default_build_dir; "
            "print(default_build_dir(files('govkg.data'), command=True))")
    r = subprocess.run([str(py), "-c", code], capture_output=True, text=True, cwd=work, env=env)
    assert r.returncode == 0, r.stderr[-2000:]
    out, pkg, for_command = (Path(x) for x in r.stdout.split())
    assert out == tmp_path / "cache" / "govkg" / "build", out
    assert for_command == Path("build")  # the rule the CLI follows: ./build
    assert "site-packages" in str(pkg) and not (pkg / "build").exists()
    assert not list(work.iterdir())  # the library never writes the current folder
    r = subprocess.run([str(venv / "bin" / "govkg"), "build"], capture_output=True, text=True, cwd=work, env=env)
    assert r.returncode == 0, r.stderr[-2000:]
    assert (work / "build" / "govkg.nt").is_file() and not (pkg / "build").exists()


@pytest.mark.slow
def test_wheel_metadata_extras_and_bounds(wheel):
    meta_name = next(n for n in wheel.namelist() if n.endswith(".dist-info/METADATA"))
    meta = Parser().parsestr(wheel.read(meta_name).decode("utf-8"))
    assert {"viz", "serve", "bench", "test"} <= set(meta.get_all("Provides-Extra"))
    core = [r for r in meta.get_all("Requires-Dist") if "extra ==" not in r]
    core_names = {re.split(r"[<>=!~ ;\[]", r, maxsplit=1)[0].lower() for r in core}
    assert not core_names & {"pyvis", "matplotlib", "ipython", "pytest", "playwright"}
    for r in core:
        name = re.split(r"[<>=!~ ;\[]", r, maxsplit=1)[0].lower()
        if name in ("pyoxigraph", "oxrdflib", "pyshacl", "pypinyin", "wcwidth"):
            assert "<" in r, f"0.x dependency without an upper bound: {r}"
    viz = [r for r in meta.get_all("Requires-Dist") if 'extra == "viz"' in r]
    assert any(r.startswith("pyvis") and "<" in r for r in viz) and any(r.startswith("matplotlib") for r in viz)


def test_bundled_data_is_found_through_importlib_resources():
    from importlib.resources import files

    from govkg.build import bundled_data_dir

    assert (Path(str(files("govkg.data"))) / "sites").is_dir()
    assert bundled_data_dir().resolve() == Path(str(files("govkg.data"))).resolve()


@pytest.mark.parametrize("args, module, feature", [
    (["viz", "--view", "mechanisms", "-o", "{tmp}/v.html"], "pyvis", "govkg viz"),
    (["figure", "-o", "{tmp}/f.png"], "matplotlib", "govkg figure"),
])
def test_missing_extra_is_a_clear_error(built_data, tmp_path, monkeypatch, args, module, feature):
    for name in list(sys.modules):
        if name == module or name.startswith(module + "."):
            monkeypatch.setitem(sys.modules, name, None)
    monkeypatch.setitem(sys.modules, module, None)  # import raises ImportError
    from govkg.cli import cli

    r = CliRunner().invoke(cli, ["--data", str(built_data), *(a.replace("{tmp}", str(tmp_path)) for a in args)])
    assert r.exit_code == 1, r.output
    assert r.exception is None or isinstance(r.exception, SystemExit), repr(r.exception)
    assert f"needs the Python package '{module}'" in r.stderr and "pip install 'govkg[viz]'" in r.stderr
    assert feature in r.stderr
    assert not list(tmp_path.iterdir())


def test_report_without_matplotlib_says_how_to_get_its_figure(built_data, tmp_path, monkeypatch):
    for name in [n for n in sys.modules if n == "matplotlib" or n.startswith("matplotlib.")]:
        monkeypatch.setitem(sys.modules, name, None)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    from govkg.cli import cli

    out = tmp_path / "r.html"
    r = CliRunner().invoke(cli, ["--data", str(built_data), "report", "-o", str(out), "--lang", "en"])
    assert r.exit_code == 0, r.output
    page = out.read_text(encoding="utf-8")
    assert "no similarity figure" in page and "govkg[viz]" in page and "<img" not in page
