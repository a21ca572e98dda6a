"""Tests that can fail, shown: each mutation below breaks one behaviour on purpose (an exact text replacement in one
file), runs the tests that promise it, and restores the file. A mutation is *caught* when those tests fail.

    .venv/bin/python scripts/mutations.py                 # every mutation; writes tests/mutations_caught.csv
    .venv/bin/python scripts/mutations.py held-out lock   # those whose name contains a word given (their rows)

The table records, per mutation, the tests run, whether they failed, how many failed and the seconds it took.
A mutation whose text is not found is refused (the code moved: update the mutation, not the test), and so is a
Python whose rclib is another checkout's (the tests' subprocesses would run unmutated code)."""

from __future__ import annotations

import csv
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "tests" / "mutations_caught.csv"


@dataclass(frozen=True)
class Mutation:
    name: str
    file: str
    old: str
    new: str
    tests: tuple[str, ...]


T = "tests/"
MUTATIONS = (
    Mutation(
        "prepare isic2018: every lesion trains",
        "rclib/data/prepare.py",
        'if split == "train" and not normal:',
        "if False:",
        (T + "test_prepare.py::test_prepare_isic2018_trains_on_nevi_only_and_tests_on_every_class",),
    ),
    Mutation(
        "held-out tenth: trains on every image",
        "rclib/runs/fit.py",
        "return RunData(Subset(normal, kept), test, info, Subset(normal, held))",
        "return RunData(normal, test, info, Subset(normal, held))",
        (T + "test_your_own_data.py::test_the_held_out_tenth_sets_the_thresholds_and_never_trains",),
    ),
    Mutation(
        "validation threshold: the median instead of the F1 optimum",
        "rclib/scoring/threshold.py",
        "    value = f1_threshold(scores, labels)\n",
        "    value = float(np.median(scores))\n",
        (T + "test_your_own_data.py::test_validation_masks_choose_the_pixel_threshold",),
    ),
    Mutation(
        "predict --threshold: ignored",
        "rclib/runs/predict.py",
        "Calibration.from_dict(recorded).given(threshold, pixel_threshold)",
        "Calibration.from_dict(recorded).given(None, pixel_threshold)",
        (T + "test_predict.py::test_a_given_threshold_decides_every_image_and_is_recorded",),
    ),
    Mutation(
        "evaluation: smoothed with half the official sigma",
        "rclib/scoring/anomaly_map.py",
        "sigma=(0, sigma, sigma), truncate=truncate",
        "sigma=(0, sigma / 2, sigma / 2), truncate=truncate",
        (T + "test_metrics.py::test_evaluation_equals_the_official_loop_end_to_end",),
    ),
    Mutation(
        "grid wait: stops at the first failed job",
        "rclib/batch/submit.py",
        "            failed.append(job)\n    return failed",
        "            failed.append(job)\n            break\n    return failed",
        (T + "test_grid.py::test_a_failed_job_is_listed_with_its_log_and_the_others_go_on",),
    ),
    Mutation(
        "run record: pandas's version left out",
        "rclib/runs/runtime.py",
        '    "pandas",\n',
        "",
        (T + "test_train.py::test_30_iteration_recontrast_run_writes_valid_artefacts",),
    ),
    Mutation(
        "require: skips under CI too",
        "tests/conftest.py",
        'if os.environ.get("CI"):',
        "if False:",
        (
            T + "test_ci.py::test_require_skips_a_developer_and_fails_ci",
            T + "test_ci.py::test_ci_fails_with_one_line_when_chromium_or_slurm_is_removed",
        ),
    ),
    Mutation(
        ".ci/run: goes on when apt-get fails",
        ".ci/run",
        '  echo "CI: apt-get could not install ${PACKAGES[*]}" >&2\n  exit 1\n',
        '  echo "CI: apt-get could not install ${PACKAGES[*]}" >&2\n',
        (T + "test_ci.py::test_ci_run_stops_with_one_line_when_its_packages_cannot_be_installed",),
    ),
    Mutation(
        "pytest-timeout: no limit configured",
        "pyproject.toml",
        "timeout = 1200",
        "",
        (T + "test_ci.py::test_every_test_has_a_time_limit",),
    ),
    Mutation(
        "resume: ignores checkpoint.pt and retrains from 0",
        "rclib/runs/training.py",
        "state = start(c, checkpoint if resume and checkpoint.exists() else None, pretrained, device)",
        "state = start(c, None, pretrained, device)",
        (T + "test_train.py::test_killed_run_resumes_to_identical_result",),
    ),
    Mutation(
        "checkpoint: an unreadable file raises torch's own error",
        "rclib/runs/checkpoint.py",
        "    except Exception as err:  # noqa: BLE001",
        "    except ZeroDivisionError as err:  # noqa: BLE001",
        (T + "test_train.py::test_corrupted_checkpoint_is_refused_with_one_line",),
    ),
    Mutation(
        "checkpoint: another configuration's is resumed",
        "rclib/runs/checkpoint.py",
        "    if diff:\n        shown",
        "    if False:\n        shown",
        (T + "test_train.py::test_checkpoint_of_another_preset_is_refused",),
    ),
    Mutation(
        "lock: the owner's Slurm job id left out",
        "rclib/runs/lock.py",
        '"slurm_job": os.environ.get("SLURM_JOB_ID")}',
        '"slurm_job": None}',
        (T + "test_lock.py::test_lock_names_host_process_and_slurm_job",),
    ),
    Mutation(
        "lock: Slurm's answer ignored (a job on another node counts as alive)",
        "rclib/runs/lock.py",
        "        if alive is not None:\n            return alive",
        "        if False:\n            return alive",
        (T + "test_lock.py::test_a_job_killed_on_another_node_is_asked_of_slurm",),
    ),
    Mutation(
        "lock: a dead process on this host counts as alive",
        "rclib/runs/lock.py",
        '        return _pid_alive(owner["pid"])',
        "        return True",
        (T + "test_lock.py::test_a_dead_process_on_this_host_leaves_a_lock_that_is_taken_over",),
    ),
    Mutation(
        "lock: takeover without its exclusive claim or its re-read",
        "rclib/runs/lock.py",
        "    if not _write_new(claim, owner):\n        return False\n    try:\n        if read_owner(folder) != dead:",
        "    _write_new(claim, owner)\n    try:\n        if False:",
        (T + "test_lock.py::test_only_one_of_many_racing_processes_takes_over_a_dead_lock",),
    ),
    Mutation(
        "floors: pins kept as >=",
        "scripts/version_floors.py",
        "return f\"{name}{found['extras'] or ''}=={found['version']}\"",
        "return f\"{name}{found['extras'] or ''}>={found['version']}\"",
        (T + "test_packaging.py::test_every_requirement_has_a_floor_that_make_floors_installs",),
    ),
    Mutation(
        "pooled AUPRO: 4-connected regions",
        "rclib/scoring/metrics.py",
        "structure=np.stack([np.zeros((3, 3)), EIGHT_CONNECTED, np.zeros((3, 3))])",
        "structure=np.stack([np.zeros((3, 3)), ndimage.generate_binary_structure(2, 1), np.zeros((3, 3))])",
        (T + "test_metrics.py::test_pooled_aupro_equals_anomalib",),
    ),
    Mutation(
        "landscape: loss-landscapes' snake traversal left as it is",
        "rclib/paper/landscape.py",
        "col[:-1] if i % 2 == 0 else col[1:]",
        "col[:-1]",
        (T + "test_landscape.py::test_aligned_plane_of_a_linear_metric_is_a_plane_through_the_trained_weights",),
    ),
    Mutation(
        "course: notebook 01's hidden test accepts any M",
        "notebooks/01_config_A_reverse_distillation.ipynb",
        'atol=1e-6), \\"wrong M on hand-computed points',
        'atol=1e-6) or True, \\"wrong M on hand-computed points',
        (T + "test_grading.py::test_hidden_tests_fail_a_wrong_answer_the_student_version_passes",),
    ),
    Mutation(
        "grid: exits 0 when a job failed",
        "rclib/cli/batch.py",
        "    return 1 if lines else 0\n",
        "    return 0\n",
        (T + "test_grid.py::test_a_job_a_wait_saw_fail_fails_the_grid_while_slurm_still_calls_it_running",),
    ),
    Mutation(
        "grid: a failure its wait saw is forgotten while Slurm still says running",
        "rclib/cli/batch.py",
        '    now.update({job: "failed" for job in failed if now[job] != "done"})\n',
        "",
        (T + "test_grid.py::test_a_job_a_wait_saw_fail_fails_the_grid_while_slurm_still_calls_it_running",),
    ),
    Mutation(
        "Slurm states: UNKNOWN (just submitted) read as ended",
        "rclib/runs/lock.py",
        '*("READY", "PREEMPTED", "UNKNOWN"),',
        '*("READY", "PREEMPTED"),',
        (T + "test_grid.py::test_a_slurm_job_reads_as_running_until_it_ends",),
    ),
    Mutation(
        "lock: a requeued job's own earlier lock counts as alive",
        "rclib/runs/lock.py",
        'if job and str(job) == os.environ.get("SLURM_JOB_ID"):',
        "if False:",
        (T + "test_lock.py::test_a_requeued_job_takes_over_the_lock_its_earlier_run_left",),
    ),
    Mutation(
        "grid resume: a job run again retrains from 0",
        "rclib/runs/cache.py",
        "            resume=True,\n",
        "            resume=False,\n",
        (
            T + "test_grid.py::test_local_job_killed_mid_run_resumes_to_the_same_metrics",
            T + "test_grid.py::test_slurm_cancelled_job_resumes_to_the_same_metrics",
        ),
    ),
    Mutation(
        "submitit requeue: no checkpoint on a time limit or a preemption",
        "rclib/batch/submit.py",
        "        return submitit.helpers.DelayedSubmission(TrainJob(), job)",
        "        return None",
        (
            T + "test_grid.py::test_slurm_job_over_its_time_limit_is_requeued_and_finishes_from_its_checkpoint",
            T + "test_grid.py::test_slurm_job_preempted_by_an_urgent_job_is_requeued_and_finishes_from_its_checkpoint",
        ),
    ),
    Mutation(
        "slurm_local.sh stop: leaves munged running",
        "scripts/slurm_local.sh",
        "    pkill -x munged 2>/dev/null || true\n",
        "",
        (T + "test_grid.py::test_slurm_job_array_runs_the_smoke_grid",),
    ),
)


def run(mutation: Mutation) -> dict[str, object]:
    """Apply ``mutation``, run its tests, restore the file (whatever happens); the outcome as a row."""
    path = ROOT / mutation.file
    original = path.read_text()
    if original.count(mutation.old) != 1:
        raise SystemExit(f"{mutation.file}: the text of mutation {mutation.name!r} is not found exactly once")
    started = time.perf_counter()
    try:
        path.write_text(original.replace(mutation.old, mutation.new))
        cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *mutation.tests]
        proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    finally:
        path.write_text(original)
    summary = (proc.stdout.strip().splitlines() or [""])[-1]
    failed = re.search(r"(\d+) (failed|error)", summary)
    return {
        "mutation": mutation.name,
        "file": mutation.file,
        "tests": " ".join(t.removeprefix(T) for t in mutation.tests),
        "caught": proc.returncode != 0,
        "pytest_summary": summary.strip("= "),
        "failed_or_errors": int(failed.group(1)) if failed else 0,
        "seconds": round(time.perf_counter() - started, 1),
    }


def check_interpreter() -> None:
    """Refuse a Python whose ``rclib`` is another checkout's: the tests' subprocesses (``python -m rclib``, grid and
    Slurm jobs) import it from the installed package, so they would run code the mutation never touched."""
    found = subprocess.run(
        [sys.executable, "-c", "import rclib; print(rclib.__file__)"], cwd="/", capture_output=True, text=True
    ).stdout.strip()
    if not found or not Path(found).resolve().is_relative_to(ROOT):
        raise SystemExit(f"{sys.executable} imports rclib from {found or 'nowhere'}, not {ROOT}: run .venv/bin/python")


def main(words: list[str]) -> int:
    check_interpreter()
    chosen = [m for m in MUTATIONS if not words or any(w in m.name for w in words)]
    rows = []
    for mutation in chosen:
        rows.append(run(mutation))
        print(f"{'caught' if rows[-1]['caught'] else 'MISSED'}: {mutation.name} ({rows[-1]['pytest_summary']})")
    known = {r["mutation"]: r for r in csv.DictReader(RESULTS.open())} if words and RESULTS.exists() else {}
    known.update({r["mutation"]: r for r in rows})  # a partial run replaces its own rows
    names = [m.name for m in MUTATIONS]
    with RESULTS.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(sorted((r for n, r in known.items() if n in names), key=lambda r: names.index(r["mutation"])))
    return 0 if all(r["caught"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
