"""Issue 8: fact sheets and the pack's parts rendered on a Dask cluster are the bytes a local build makes."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import RECORDS, TEST_RECORDS, run_command

distributed = pytest.importorskip("distributed")


def test_local_cluster_build_is_byte_identical_to_a_local_build(tmp_path: Path):
    local, remote = tmp_path / "local", tmp_path / "cluster"
    built = run_command("build", RECORDS, TEST_RECORDS, "-o", local, "--format", "pdf,pack", "-j", "1")
    assert built.returncode == 0, built.stderr
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=50
    ) as cluster:
        address = cluster.scheduler_address
        on_cluster = run_command(
            "build", RECORDS, TEST_RECORDS, "-o", remote, "--format", "pdf,pack", "--scheduler", address
        )
        assert on_cluster.returncode == 0, on_cluster.stderr
        prefix = cluster.scheduler.task_prefixes.get("worker_pdf")  # the sheets were rendered there
        assert prefix is not None and prefix.state_counts["memory"] == 4
        assert cluster.scheduler.task_prefixes.get("worker_piece") is not None  # and the pack's parts
    sheets = sorted(p.name for p in local.glob("*.pdf") if p.name != "briefing.pdf")
    assert len(sheets) == 4
    assert sorted(p.name for p in remote.glob("*.pdf") if p.name != "briefing.pdf") == sheets
    for name in [*sheets, "briefing.pdf", "manifest.json"]:
        assert (remote / name).read_bytes() == (local / name).read_bytes(), name
    assert "built 4 of 4 records" in on_cluster.stderr


def test_unreachable_scheduler_is_an_error_not_a_traceback(tmp_path: Path):
    process = run_command(
        "build", RECORDS, "-o", tmp_path / "out", "--format", "pdf", "--scheduler", "tcp://127.0.0.1:9"
    )
    assert process.returncode == 1, process.stderr
    assert "error: cannot reach the Dask scheduler at tcp://127.0.0.1:9" in process.stderr, process.stderr
    assert "Traceback" not in process.stderr
    assert not list((tmp_path / "out").glob("*.pdf"))
