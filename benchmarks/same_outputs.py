"""Same outputs: a run of this checkout and a run of another commit give the same run folder.

For speed work that must not change any figure: every corpus is run by `topicbook run` twice,
once with this checkout's package and once with the package of `--base` (a git ref, extracted
with `git archive` and put first on PYTHONPATH), in the same interpreter and environment
(BLAS threads pinned to one). The two run folders must hold the same files with the same
bytes, except what differs between any two runs: manifest.json's `created_utc`, `command`
and `timings_seconds`, and methods.md's SHA-256 of that manifest.

Corpora: demo (configs/demo.yaml, cache off), planted (tests/conftest.py's planted interviews
with quote codings, half the coded documents held out), nhs (benchmarks/bench_run.py's
10,000 NHS comments; slow: two LDA fits and their re-fits per run).

Usage:  .venv/bin/python benchmarks/same_outputs.py [--base main] [--only demo,planted] [--jobs 2]
Exit code 0 when every corpus gives the same run folder, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

VOLATILE = ("created_utc", "command", "timings_seconds")  # manifest.json keys that differ between runs


def planted_config(folder: Path) -> Path:
    """tests/conftest.py's planted interviews, coded by quotes as tests/test_agreement.py codes
    them (every respondent turn by its planted theme), half the coded documents held out."""
    from tests.conftest import write_planted_corpus
    from tests.test_agreement import _planted_codings

    config = write_planted_corpus(folder)
    _planted_codings(config, holdout=0.5)
    config.write_text(config.read_text(encoding="utf-8") + "  resamples: 200\ncache:\n  enabled: false\n",
                      encoding="utf-8")
    return config


def configs(folder: Path, names: list[str]) -> dict[str, Path]:
    import bench_run

    out = {}
    for name in names:
        sub = folder / name
        sub.mkdir()
        out[name] = {"demo": bench_run.demo_config, "planted": planted_config, "nhs": bench_run.nhs_config}[name](sub)
    return out


def extract(ref: str, folder: Path) -> Path:
    """The package of git ref `ref`, extracted into `folder`; returns its src folder."""
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", ref, "src"], check=True, capture_output=True).stdout
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "archive.tar"
    path.write_bytes(archive)
    with tarfile.open(path) as tar:
        tar.extractall(folder, filter="data")
    return folder / "src"


def run(config: Path, out: Path, jobs: int, src: Path | None) -> tuple[Path, float]:
    """One `topicbook run` (the package of `src`, or this checkout's); its folder and CPU seconds."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    if src is not None:
        env["PYTHONPATH"] = str(src)
    before = os.times()
    subprocess.run([sys.executable, "-m", "topicbook.cli", "-q", "run", str(config), "--out", str(out),
                    "--jobs", str(jobs)], check=True, env=env, capture_output=True)
    after = os.times()
    return next(p for p in out.iterdir() if p.is_dir()), after.children_user + after.children_system - (
        before.children_user + before.children_system)


def comparable(relative: Path, data: bytes) -> bytes:
    if relative.name == "manifest.json" and relative.parent == Path():
        manifest = json.loads(data)
        for key in VOLATILE:
            manifest.pop(key, None)
        return json.dumps(manifest, sort_keys=True).encode()
    if relative.name == "methods.md":
        return re.sub(rb"manifest\.json \(SHA-256 [0-9a-f]+\)", b"manifest.json (SHA-256 ...)", data)
    return data


def differences(a: Path, b: Path) -> list[str]:
    """Files that differ between run folders a and b (or are in one only)."""
    files_a = {p.relative_to(a) for p in a.rglob("*") if p.is_file()}
    files_b = {p.relative_to(b) for p in b.rglob("*") if p.is_file()}
    out = [f"only in one: {p}" for p in sorted(files_a ^ files_b)]
    out += [str(p) for p in sorted(files_a & files_b)
            if comparable(p, (a / p).read_bytes()) != comparable(p, (b / p).read_bytes())]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="main", help="git ref whose package gives the reference run")
    parser.add_argument("--only", default="demo,planted", help="corpora, comma-separated (demo, planted, nhs)")
    parser.add_argument("--jobs", type=int, default=2, help="topicbook run --jobs")
    args = parser.parse_args()
    failed = False
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        base_src = extract(args.base, folder / "base")
        for name, config in configs(folder, args.only.split(",")).items():
            start = time.perf_counter()
            base, base_cpu = run(config, folder / f"{name}-base", args.jobs, base_src)
            here, here_cpu = run(config, folder / f"{name}-here", args.jobs, None)
            diff = differences(base, here)
            failed |= bool(diff)
            files = sum(1 for p in here.rglob("*") if p.is_file())
            print(f"{name}: {files} files, {'identical' if not diff else 'DIFFERENT: ' + ', '.join(diff)} "
                  f"(CPU s of the two runs: {args.base} {base_cpu:.1f}, this checkout {here_cpu:.1f}; "
                  f"{time.perf_counter() - start:.0f} s)")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
