"""Graded assignments with nbgrader itself: the course generated from the notebooks, its student versions
(``make release``), autograding into a local gradebook (``make grade``); and every exercise check fails on plausible
wrong answers, on answers that call the rclib function they are checked against, and, through its hidden tests, on
wrong answers that pass what the student sees."""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import nbformat
import pandas as pd
import pytest
import torch
from conftest import require
from nbgrader.nbgraderformat import MetadataValidator

from rclib.cli import main
from rclib.course.checks import rclib_code_run, without_rclib
from rclib.course.grading import HIDDEN_NOTE, POINTS, VISIBLE_PASSED, assignments, split_hidden
from rclib.course.student import exercise_cells, student_copy
from rclib.method import losses
from rclib.paper.profiles import get_profile
from rclib.scoring.anomaly_map import image_score

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
MARKED = re.compile(r"^( *)### BEGIN SOLUTION\n(.*?)^ *### END SOLUTION\n?", re.S | re.M)
STUB = re.compile(r"^( *)# YOUR CODE HERE\n *raise NotImplementedError\(\)\n?", re.M)
COS = "torch.nn.functional.cosine_similarity"

PRO = (  # my_pro_point's body, with {label}, {overlap}, {above} and {fpr} to vary
    "overlaps = []\n"
    "for amap, mask in zip(maps, masks):\n"
    "    labels, n_regions = {label}\n"
    "    for r in range(1, n_regions + 1):\n"
    "        overlaps.append(float((amap[labels == r] {above} threshold).mean()))\n"
    "pro = {overlap}\n"
    "fpr = {fpr}\n"
    "return pro, fpr"
)
EIGHT = "ndimage.label(mask, structure=np.ones((3, 3), dtype=bool))"
MEAN = "float(np.mean(overlaps)) if overlaps else 0.0"
NORMAL = "float((maps[~masks] >= threshold).mean())"
HM = (  # my_global_loss_hm's body, with {target}, {mined} and {total} to vary
    "total = torch.zeros(())\n"
    "for f_e, f_d in zip(enc, dec):\n"
    "    target = {target}\n"
    "    with torch.no_grad():\n"
    "        distance = 1 - F.cosine_similarity(target, f_d, dim=1)\n"
    "        easy = (distance < distance.mean() + alpha * distance.std()).unsqueeze(1)\n"
    "    mined = {mined}\n"
    "    total = total + (1 - F.cosine_similarity(target.flatten(1), mined.flatten(1), dim=1)).mean()\n"
    "return {total}"
)
KEEP = "torch.where(easy, f_d.detach(), f_d)"

JUDGE = (  # my_judge's body, with {var}, {se}, {q}, {within} and {boundary} to vary
    "v = np.asarray(d, dtype=float)\n"
    "if v.size < 2:\n"
    "    return 'inconclusive'\n"
    "se = np.sqrt({var} / v.size + {se})\n"
    "q = {q}\n"
    "half = stats.t.ppf(q, v.size - 1) * se\n"
    "low, high = v.mean() - half, v.mean() + half\n"
    "if rule == 'within':\n"
    "    {within}\n"
    "boundary = 0.0 if rule == 'effect' else {boundary}\n"
    "if low > boundary:\n"
    "    return 'reproduced'\n"
    "return 'not reproduced' if high < boundary else 'inconclusive'"
)
TOST = (
    "return 'reproduced' if -tolerance < low and high < tolerance else "
    "'not reproduced' if low > tolerance or high < -tolerance else 'inconclusive'"
)
RULE = {"var": "v.var(ddof=1)", "se": "se_test**2", "q": "0.975 if rule == 'effect' else 0.95", "within": TOST,
        "boundary": "-tolerance"}  # fmt: skip

# Plausible wrong answers (the body of the exercise's function), each caught by the check
WRONG = {
    ("00_quickstart", 1): [
        "return maps.flatten(1).mean(dim=1)",  # the mean, not the max
        "return maps.max()",  # the maximum of the batch
    ],
    ("00_quickstart", 2): [
        PRO.format(label="ndimage.label(mask)", overlap=MEAN, above=">=", fpr=NORMAL),  # 4-connected regions
        PRO.format(label=EIGHT, overlap="float((maps[masks] >= threshold).mean())", above=">=", fpr=NORMAL),  # pooled
        PRO.format(label=EIGHT, overlap=MEAN, above=">", fpr=NORMAL.replace(">=", ">")),  # strictly above
        PRO.format(label=EIGHT, overlap=MEAN, above=">=", fpr="float((maps >= threshold).mean())"),  # every pixel
    ],
    ("01_config_A_reverse_distillation", 1): [
        f"return {COS}(f_e, f_d, dim=1)",  # the similarity, not the distance
        f"return -{COS}(f_e, f_d, dim=1)",  # a sign error: 1 dropped
    ],
    ("02_config_B_global_cosine", 1): [
        f"return (1 - {COS}(f_e, f_d, dim=1)).mean(dim=(1, 2))",  # the mean of the regional distances
        f"return 1 - {COS}(f_e.flatten(), f_d.flatten(), dim=0)",  # one cosine over the whole batch
    ],
    ("03_config_C_training_the_encoder", 1): [
        "return float(features.transpose(0, 1).reshape(features.shape[1], -1).std(dim=1).mean())",  # not normalised
        "points = torch.nn.functional.normalize(features, dim=0)\n"  # normalised over the batch
        "return float(points.transpose(0, 1).reshape(features.shape[1], -1).std(dim=1).mean())",
    ],
    ("04_config_D_stop_gradient", 1): [
        f"return (1 - {COS}(f_e.flatten(1), f_d.flatten(1), dim=1)).mean()",  # no stop-gradient
        f"return (1 - {COS}(f_e.flatten(1), f_d.detach().flatten(1), dim=1)).mean()",  # the wrong side stopped
        f"return (1 - {COS}(f_e.detach().flatten(1), f_d.flatten(1), dim=1)).sum()",  # summed over the batch
    ],
    ("05_config_E_contrastive_pairs", 1): [
        "maps = [F.interpolate((1 - F.cosine_similarity(e, d, dim=1)).unsqueeze(1), size=(size, size),\n"
        '                      mode="bilinear", align_corners=True)[:, 0] for e, d in zip(enc, dec)]\n'
        "return sum(maps) / len(maps)",  # the mean of the maps
        "return sum(F.interpolate((1 - F.cosine_similarity(e, d, dim=1)).unsqueeze(1), size=(size, size),\n"
        '                         mode="bilinear")[:, 0] for e, d in zip(enc, dec))',  # corners not aligned
    ],
    ("06_hard_normal_mining", 1): [
        "return distance >= distance.mean() + alpha * distance.std(unbiased=True)",  # the hard points, not the easy
        "mu = distance.mean(dim=(1, 2, 3), keepdim=True)\n"  # statistics per image, not over the mini-batch
        "return distance < mu + alpha * distance.std(dim=(1, 2, 3), keepdim=True)",
        # the biased standard deviation: the hidden tests catch it, the visible ones by chance (about 1 run in 4)
        "return distance < distance.mean() + alpha * distance.std(unbiased=False)",
    ],
    ("06_hard_normal_mining", 2): [
        HM.format(target="f_e.detach()", mined="f_d * ~easy", total="total"),  # easy points left out of the value
        HM.format(target="f_e.detach()", mined="torch.where(easy, f_d, f_d.detach())", total="total"),  # inverted
        HM.format(target="f_e", mined=KEEP, total="total"),  # no stop-gradient: the encoder gets a gradient
        HM.format(target="f_e.detach()", mined=KEEP, total="total / len(enc)"),  # the mean over stages
        (  # the printed source's way, copied: a gradient hook
            "total = torch.zeros(())\n"
            "for f_e, f_d in zip(enc, dec):\n"
            "    target = f_e.detach()\n"
            "    with torch.no_grad():\n"
            "        distance = 1 - F.cosine_similarity(target, f_d, dim=1)\n"
            "        keep = (distance >= distance.mean() + alpha * distance.std()).unsqueeze(1).float()\n"
            "    f_d.register_hook(lambda grad, keep=keep: grad * keep)\n"
            "    total = total + (1 - F.cosine_similarity(target.flatten(1), f_d.flatten(1), dim=1)).mean()\n"
            "return total"
        ),
    ],
    ("07_ablation_table6", 1): [
        "v = np.asarray(d, dtype=float)\n"  # twice the standard error instead of the t quantile
        "m, se = v.mean(), v.std(ddof=1) / np.sqrt(v.size)\n"
        'return "reproduced" if m - 2 * se > 0 else "not reproduced" if m + 2 * se < 0 else "inconclusive"',
        "v = np.asarray(d, dtype=float)\n"  # the verdicts swapped: a sign error
        "m, se = v.mean(), v.std(ddof=1) / np.sqrt(v.size)\n"
        "half = stats.t.ppf(0.975, v.size - 1) * se\n"
        'return "not reproduced" if m - half > 0 else "reproduced" if m + half < 0 else "inconclusive"',
    ],
    ("07_ablation_table6", 2): [
        JUDGE.format(**{**RULE, "q": "0.975"}),  # the effect's two-sided 95% level for every rule
        JUDGE.format(**{**RULE, "se": "0.0"}),  # the test set's error left out
        JUDGE.format(**{**RULE, "se": "se_test"}),  # the test set's error added, not its square
        JUDGE.format(**{**RULE, "boundary": "tolerance"}),  # "at least as good" against +tolerance
        JUDGE.format(**{**RULE, "within": "return 'reproduced' if -tolerance < low else 'inconclusive'"}),  # one test
        JUDGE.format(**{**RULE, "var": "v.var(ddof=0)"}),  # the population variance
    ],
    ("11_smap_landscape", 1): [
        "return float(np.std(values, ddof=1))",  # the sample standard deviation
        "return float(np.ptp(values))",  # the range
    ],
    ("12_limitations", 1): [
        "return torch.clamp(running_var, min=threshold)",  # max(threshold, var): min and max confused
    ],
}

# Wrong answers that pass the tests the student sees and fail the hidden ones
HIDDEN_ONLY = {
    ("00_quickstart", 2): (  # regions labelled across the batch: regions at the same place in two images merge
        "labels, _ = ndimage.label(masks, structure=np.ones((3, 3, 3), dtype=bool))\n"
        "overlaps = [float((maps[labels == r] >= threshold).mean()) for r in range(1, labels.max() + 1)]\n"
        "pro = float(np.mean(overlaps)) if overlaps else 0.0\n"
        "return pro, float((maps[~masks] >= threshold).mean())"
    ),
    ("00_quickstart", 1): "return maps.abs().flatten(1).max(dim=1).values",  # the largest absolute value
    ("01_config_A_reverse_distillation", 1): (  # the textbook formula: NaN where a reconstruction is all zeros
        "return 1 - (f_e * f_d).sum(dim=1) / (f_e.norm(dim=1) * f_d.norm(dim=1))"
    ),
    ("07_ablation_table6", 1): (  # the standard deviation with ddof=0
        "v = np.asarray(d, dtype=float)\n"
        "m, se = v.mean(), v.std(ddof=0) / np.sqrt(v.size)\n"
        "half = stats.t.ppf(0.975, v.size - 1) * se\n"
        'return "reproduced" if m - half > 0 else "not reproduced" if m + half < 0 else "inconclusive"'
    ),
    ("12_limitations", 1): "return torch.clamp(running_var, max=5e-4)",  # the threshold argument ignored
}

# The answer that returns what rclib computes, which every check compares with
CALLS_RCLIB = {
    ("00_quickstart", 1): "from rclib.scoring.anomaly_map import image_score\nreturn image_score(maps)",
    ("00_quickstart", 2): "from rclib.scoring.metrics import pro_point\nreturn pro_point(maps, masks, threshold)",
    ("01_config_A_reverse_distillation", 1): (
        "from rclib.method.losses import regional_cosine_distance as distance\nreturn distance(f_e, f_d)"
    ),
    ("02_config_B_global_cosine", 1): "from rclib.method import losses\nreturn losses.global_cosine_distance(f_e, f_d)",
    ("03_config_C_training_the_encoder", 1): (
        "from rclib.scoring.metrics import feature_diversity\nreturn feature_diversity(features)"
    ),
    ("04_config_D_stop_gradient", 1): (
        "from rclib.method.losses import global_loss\nreturn global_loss([f_e], [f_d], stop_grad=True)"
    ),
    ("05_config_E_contrastive_pairs", 1): (
        "from rclib.scoring.anomaly_map import anomaly_map\nreturn anomaly_map(enc, dec, size)"
    ),
    ("06_hard_normal_mining", 1): (
        "from rclib.method.losses import hard_normal_mask\nreturn hard_normal_mask(distance, alpha)"
    ),
    ("06_hard_normal_mining", 2): (
        "from rclib.method.losses import global_loss_hm\nreturn global_loss_hm(enc, dec, alpha)"
    ),
    ("07_ablation_table6", 1): 'from rclib.paper.stats import judge\nreturn judge(d, "effect")[0]',
    ("07_ablation_table6", 2): ("from rclib.paper.stats import judge\nreturn judge(d, rule, tolerance, se_test)[0]"),
    ("11_smap_landscape", 1): (
        "from rclib.paper.landscape import Landscape\nreturn Landscape(values, values[:, 0], values[0], 0.0).spread()"
    ),
    ("12_limitations", 1): (
        "from rclib.method.encoders import PartialBatchNorm2d\n"
        "bn = torch.nn.BatchNorm2d(len(running_var))\n"
        "bn.running_var.copy_(running_var)\n"
        "return PartialBatchNorm2d(bn, threshold).min_var"
    ),
}


def _exercises() -> dict[tuple[str, int], tuple[str, str]]:
    """Every exercise of the notebooks, (notebook, k) -> (solution source, check source)."""
    found = {}
    for path in sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")):
        for k, (solution, check) in enumerate(exercise_cells(nbformat.read(path, as_version=4)), start=1):
            found[path.stem, k] = (solution.source, check.source)
    return found


EXERCISES = _exercises()


def _answer(source: str, body: str, pattern: re.Pattern = MARKED) -> str:
    """``source`` (a solution cell) with its answer, or nbgrader's stub, replaced by ``body`` at its indentation."""
    filled, n = pattern.subn(lambda m: textwrap.indent(body, m.group(1)) + "\n", source, count=1)
    assert n == 1, f"no answer to replace in:\n{source}"
    return filled


def _run(solution: str, check: str) -> None:
    """Run an exercise's solution cell, then its check, in one namespace (as the notebook's kernel would)."""
    namespace: dict = {}
    exec(compile(solution, "solution", "exec"), namespace)
    exec(compile(check, "check", "exec"), namespace)


def _cases(table: dict) -> list:
    """One test case per answer of ``table`` (one answer or a list per exercise)."""
    return [
        pytest.param(key, body, id=f"{key[0][:2]}-{i}")
        for key, bodies in table.items()
        for i, body in enumerate([bodies] if isinstance(bodies, str) else bodies)
    ]


def test_every_exercise_has_wrong_answers_and_hidden_tests():
    assert set(WRONG) == set(EXERCISES) == set(CALLS_RCLIB), "each exercise needs wrong answers and an rclib call"
    assert set(HIDDEN_ONLY) <= set(EXERCISES)
    for key, (_, check) in EXERCISES.items():
        assert "### BEGIN HIDDEN TESTS" in check and "### END HIDDEN TESTS" in check, f"{key}: no hidden tests"
        assert "without_rclib(" in check, f"{key}: the check does not guard against an answer calling rclib"


@pytest.mark.parametrize("key,body", _cases(WRONG))
def test_check_fails_on_a_plausible_wrong_answer(key, body):
    solution, check = EXERCISES[key]
    with pytest.raises(AssertionError):
        _run(_answer(solution, body), check)


@pytest.mark.parametrize("key,body", _cases(HIDDEN_ONLY))
def test_hidden_tests_fail_a_wrong_answer_the_student_version_passes(key, body):
    solution, check = EXERCISES[key]
    student = student_copy(nbformat.read(NOTEBOOKS / f"{key[0]}.ipynb", as_version=4))
    visible = exercise_cells(student)[key[1] - 1][1].source
    assert "HIDDEN" not in visible
    _run(_answer(solution, body), visible)
    with pytest.raises(AssertionError):
        _run(_answer(solution, body), check)


@pytest.mark.parametrize("key,body", _cases(CALLS_RCLIB))
def test_check_fails_on_an_answer_that_calls_rclib(key, body):
    solution, check = EXERCISES[key]
    with pytest.raises(AssertionError, match="calls rclib"):
        _run(_answer(solution, body), check)


def test_without_rclib_sees_rclib_however_it_is_reached():
    maps = torch.rand(2, 4, 4)
    alias = image_score
    wrapped = functools.partial(losses.regional_cosine_distance, maps[:, None], maps[:, None])
    for answer in (lambda: alias(maps), lambda: wrapped(), lambda: [losses.region_loss([maps], [maps])]):
        with pytest.raises(AssertionError, match=r"calls rclib \(.*(anomaly_map|losses)\.py:"):
            without_rclib(answer)()
    result, seen = rclib_code_run(lambda m: m.flatten(1).max(1).values, maps)
    assert torch.equal(result, image_score(maps)) and seen == []


def test_without_rclib_restores_the_profiler_it_found():
    def spy(frame, event, arg) -> None:
        pass

    previous = sys.getprofile()
    sys.setprofile(spy)
    try:
        without_rclib(torch.ones)(2)
        restored = sys.getprofile()
    finally:
        sys.setprofile(previous)
    assert restored is spy, "the profiler in place before the check was dropped"


def _code_lines(source: str) -> list[str]:
    """A check's non-empty lines without nbgrader's markers and the two lines the split adds."""
    added = ("### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS", HIDDEN_NOTE, VISIBLE_PASSED)
    return [line for line in source.splitlines() if line.strip() and line not in added]


def test_split_hidden_on_a_check_written_out():
    check = 'x = 1\nassert x == 1, "visible"\n### BEGIN HIDDEN TESTS\nassert x > 0\n### END HIDDEN TESTS\n'
    check += 'print("correct")\n'
    visible, hidden = split_hidden(check)
    assert visible == f'x = 1\nassert x == 1, "visible"\n{VISIBLE_PASSED}'
    assert hidden == f'{HIDDEN_NOTE}\n### BEGIN HIDDEN TESTS\nassert x > 0\nprint("correct")\n### END HIDDEN TESTS'
    assert split_hidden("assert True") == ("assert True", "")
    with pytest.raises(ValueError, match="beginning of a line"):
        split_hidden("if True:\n    ### BEGIN HIDDEN TESTS\n    assert 1\n    ### END HIDDEN TESTS\n")


def test_course_source_is_the_notebooks_with_nbgrader_metadata(tmp_path, capsys):
    course = tmp_path / "course"
    assert main(["course", "--notebooks", str(NOTEBOOKS), "--out", str(course)]) == 0
    names = {key[0] for key in EXERCISES}
    assert set(assignments(NOTEBOOKS)) == names
    assert {p.name for p in (course / "source").iterdir()} == names
    assert "nbgrader generate_assignment" in capsys.readouterr().out
    assert "RCLIB_PROFILE', 'smoke'" in (course / "nbgrader_config.py").read_text()
    for name in names:
        source = nbformat.read(course / "source" / name / f"{name}.ipynb", as_version=4)
        nbformat.validate(source)
        MetadataValidator().validate_nb(source)
        original = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
        hidden = [c for c in source.cells if "hidden" in c.metadata.get("tags", [])]
        kept = [c for c in source.cells if c not in hidden]
        assert len(kept) == len(original.cells), "the course drifted"
        checks = {id(c) for _, c in exercise_cells(original)}
        for mine, theirs in zip(kept, original.cells, strict=True):
            if id(theirs) not in checks:
                assert mine.source == theirs.source, "the course drifted"
        for (_, theirs), (_, mine), extra in zip(exercise_cells(original), exercise_cells(source), hidden, strict=True):
            # every line of the check is in the two graded cells, in order, besides the markers and the two notes
            assert _code_lines(mine.source + "\n" + extra.source) == _code_lines(theirs.source)
            assert mine.source.endswith(VISIBLE_PASSED) and "correct" not in mine.source
            assert extra.source.startswith(f"{HIDDEN_NOTE}\n### BEGIN HIDDEN TESTS\n")
            assert extra.source.endswith("### END HIDDEN TESTS") and "correct" in extra.source
            assert extra.id == f"{theirs.id}-hidden"
        graded = [c for c in source.cells if "nbgrader" in c.metadata]
        for k, cell in enumerate(hidden, start=1):
            assert cell.source.startswith(HIDDEN_NOTE) and cell.metadata.nbgrader == {
                "schema_version": 3,
                "grade_id": f"hidden_{k}",
                "solution": False,
                "grade": True,
                "locked": True,
                "points": POINTS,
            }
            assert source.cells[source.cells.index(cell) - 1].metadata.nbgrader["grade_id"] == f"check_{k}"
        for k, (answer, check) in enumerate(exercise_cells(source), start=1):
            assert answer.metadata.nbgrader == {
                "schema_version": 3,
                "grade_id": f"answer_{k}",
                "solution": True,
                "grade": False,
                "locked": False,
            }
            assert check.metadata.nbgrader == {
                "schema_version": 3,
                "grade_id": f"check_{k}",
                "solution": False,
                "grade": True,
                "locked": True,
                "points": POINTS,
            }
            assert "HIDDEN" not in check.source
        assert len(graded) == 3 * len(exercise_cells(source)) == 3 * len(hidden)


# --- the real flow: make release, submissions, make grade, the gradebook's scores --------------------------------
GRADED = "01_config_A_reverse_distillation"  # the fastest notebook with an exercise (about 7 s at smoke)


def _make(target: str, course: Path, env: dict) -> str:
    """``make TARGET`` of the repository for one assignment of ``course``, with this environment as the venv (its
    set-up stamp taken as done); returns what it printed."""
    venv = Path(sys.prefix)
    command = ["make", "-C", str(ROOT), "-o", str(venv / ".rclib-installed"), target, f"VENV={venv}"]
    done = subprocess.run(
        [*command, f"COURSE={course}", f"ASSIGNMENT={GRADED}"], env=env, capture_output=True, text=True, timeout=1200
    )
    assert done.returncode == 0, f"make {target} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout + done.stderr


def _submit(course: Path, student: str, body: str) -> None:
    """The released notebook with ``body`` as the answer, handed in as ``student``'s."""
    nb = nbformat.read(course / "release" / GRADED / f"{GRADED}.ipynb", as_version=4)
    answer, _ = exercise_cells(nb)[0]
    answer.source = _answer(answer.source, body, STUB)
    folder = course / "submitted" / student / GRADED
    folder.mkdir(parents=True)
    nbformat.write(nb, folder / f"{GRADED}.ipynb")


def _submit_through_lms(course: Path, student: str, body: str, env: dict) -> None:
    """``student``'s answer as a learning-management system hands it back (a zip archive of files named
    STUDENT_NOTEBOOK.ipynb), collected with ``nbgrader zip_collect`` and the course's file-name expression."""
    nb = nbformat.read(course / "release" / GRADED / f"{GRADED}.ipynb", as_version=4)
    answer, _ = exercise_cells(nb)[0]
    answer.source = _answer(answer.source, body, STUB)
    archive = course / "downloaded" / GRADED / "archive"
    archive.mkdir(parents=True)
    with zipfile.ZipFile(archive / "lms_download.zip", "w") as z:
        z.writestr(f"{student}_{GRADED}.ipynb", nbformat.writes(nb))
    path = f"{Path(sys.prefix) / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    done = subprocess.run(
        ["nbgrader", "zip_collect", GRADED], cwd=course, env={**env, "PATH": path}, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert (course / "submitted" / student / GRADED / f"{GRADED}.ipynb").exists(), done.stderr[-2000:]


def _outputs(cell: nbformat.NotebookNode) -> str:
    """What an executed cell printed, and its error message."""
    return "\n".join(o.get("text", "") + o.get("evalue", "") for o in cell.outputs)


@pytest.mark.notebooks
def test_release_collect_and_autograde_score_a_right_answer_full_and_a_wrong_one_less(tmp_path):
    require(shutil.which("make") is not None, "make is not installed")
    course = tmp_path / "course"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    env.pop("RCLIB_PROFILE", None)  # the course's configuration must choose the smoke profile itself
    _make("release", course, env)
    released = nbformat.read(course / "release" / GRADED / f"{GRADED}.ipynb", as_version=4)
    answer, check = exercise_cells(released)[0]
    assert "raise NotImplementedError()" in answer.source and "BEGIN SOLUTION" not in answer.source
    assert "HIDDEN" not in check.source and check.metadata.nbgrader.locked
    hidden = next(c for c in released.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "hidden_1")
    assert "HIDDEN" not in hidden.source and "assert" not in hidden.source and hidden.metadata.nbgrader.locked

    solution, _ = EXERCISES[GRADED, 1]
    _submit(course, "right", textwrap.dedent(MARKED.search(solution).group(2)))
    _submit_through_lms(course, "wrong", HIDDEN_ONLY[GRADED, 1], env)  # passes the check the student sees
    _make("grade", course, env)

    grades = pd.read_csv(course / "grades.csv").set_index("student_id")
    assert set(grades.assignment) == {GRADED}
    assert grades.loc["right", "score"] == grades.loc["right", "max_score"] == 2 * POINTS
    assert grades.loc["wrong", "score"] == POINTS  # partial credit: the visible check passes, the hidden tests fail
    graded = nbformat.read(course / "autograded" / "wrong" / GRADED / f"{GRADED}.ipynb", as_version=4)
    restored = next(c for c in graded.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "hidden_1")
    assert "### BEGIN HIDDEN TESTS" in restored.source, "autograde did not put the hidden tests back"
    assert "a zero vector?" in _outputs(restored)
    smoke = get_profile("smoke").note
    assert any(smoke in _outputs(c) for c in graded.cells if c.cell_type == "code"), "not graded at the smoke profile"
