# Set-up is part of every target: a fresh clone needs only `make reproduce` or `make test`.
VENV   ?= .venv
PYTHON := $(VENV)/bin/python
STAMP  := $(VENV)/.rclib-installed
# the core (train, evaluate, predict, export) and the extras every target here needs: the notebooks and course,
# the grid, the benchmarks, the book of executed notebooks and the tests
EXTRAS := test,notebooks,grid,bench,book
PROFILE ?= demo

LINTED := rclib tests benchmarks scripts notebooks
# the graded course (nbgrader); nbgrader runs alembic, so the environment's bin/ goes first on PATH
COURSE ?= course
ASSIGNMENT ?= *
NBGRADER := cd $(COURSE) && PATH="$(abspath $(VENV))/bin:$$PATH" nbgrader

.PHONY: setup reproduce smoke book study lint test floors lab student release grade bench clean-results

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PYTHON) -m pip install -q --upgrade pip
	$(PYTHON) -m pip install -q torch==2.14.1 torchvision==0.29.1
	$(PYTHON) -m pip install -q -e '.[$(EXTRAS)]'
	touch $(STAMP)

setup: $(STAMP)

## the main job: rebuild every figure and table of the demo profile (offline, CPU)
reproduce: setup
	RCLIB_OFFLINE=1 $(VENV)/bin/rclib reproduce --profile $(PROFILE)

## every notebook at the smoke scale (seconds each)
smoke: setup
	RCLIB_OFFLINE=1 $(VENV)/bin/rclib reproduce --profile smoke

## the executed notebooks of build/notebooks/$(PROFILE)/ (make reproduce, make smoke) as a static website in
## build/book/$(PROFILE)/ (Sphinx, MyST-NB; offline): executes nothing, and names the command when they are missing
book: setup
	$(VENV)/bin/rclib book --profile $(PROFILE)

## the budget study, outside reproduce (hours on 2 cores; resumable from the run cache): the demo's copy is
## shipped as rclib/paper/precomputed/budget_study.csv, which notebooks 06, 08 and 14 and the README read
study: setup
	RCLIB_OFFLINE=1 $(VENV)/bin/rclib study --profile $(PROFILE)
	$(if $(filter demo,$(PROFILE)),cp results/demo/budget_study.csv rclib/paper/precomputed/budget_study.csv)

## ruff: lint (with import sorting) and formatting of the package, tests, benchmarks and notebooks' code cells
lint: setup
	$(VENV)/bin/ruff check $(LINTED)
	$(VENV)/bin/ruff format --check $(LINTED)

## the linter, unit tests, CLI tests and every notebook under papermill with profile=smoke
test: setup lint
	RCLIB_OFFLINE=1 $(PYTHON) -m pytest -q --durations=15

## the test suite on the lowest versions pyproject.toml admits (every NAME>=X installed as NAME==X, in build/floors/):
## a floor the code or the tests do not run on fails here
FLOORS := build/floors
FLOORS_TESTS ?=  # pytest arguments that choose a part of the suite; empty: all of it (CI runs a part)
floors:
	rm -rf $(FLOORS) && python3 -m venv $(FLOORS)
	python3 scripts/version_floors.py > $(FLOORS)/floors.txt
	$(FLOORS)/bin/pip install -q -r $(FLOORS)/floors.txt
	$(FLOORS)/bin/pip install -q --no-deps --no-build-isolation -e .
	touch $(FLOORS)/.rclib-installed
	RCLIB_OFFLINE=1 $(FLOORS)/bin/python -m pytest -q $(FLOORS_TESTS)

## JupyterLab with the project's environment registered as the kernel "rclib": on notebooks/ (the instructor's
## edition, with solutions), or with EDITION=student on build/student/notebooks/ (written by `make student` when it is
## missing; an existing edition, which may hold a student's answers, is opened as it is)
EDITION ?= instructor
LAB_DIR := $(if $(filter student,$(EDITION)),build/student/notebooks,notebooks)
lab: setup $(if $(filter student,$(EDITION)),build/student/notebooks)
	$(PYTHON) -m ipykernel install --sys-prefix --name rclib --display-name "Python (rclib)"
	cd $(LAB_DIR) && $(abspath $(VENV))/bin/jupyter lab $(if $(filter 0,$(shell id -u)),--allow-root)

## the student edition in build/student/: copies of the notebooks (solutions removed with nbgrader, checks kept) in
## notebooks/, and beside them the $(PROFILE) profile's cached runs and demo data when `make reproduce` made them; an
## existing edition is refused (it may hold answers) unless FORCE=1
student: setup
	$(VENV)/bin/rclib student --notebooks notebooks --out build/student --profile $(PROFILE) $(if $(FORCE),--force)

build/student/notebooks:
	$(MAKE) student

## the graded course in $(COURSE)/: its source generated from the notebooks (rclib course), one assignment per
## notebook with exercises, and the student versions in $(COURSE)/release/ (nbgrader generate_assignment)
release: setup
	$(VENV)/bin/rclib course --notebooks notebooks --out $(COURSE)
	$(NBGRADER) generate_assignment '$(ASSIGNMENT)' --force

## autograde $(COURSE)/submitted/<student>/$(ASSIGNMENT)/ into the gradebook (smoke profile, offline), then
## every score to $(COURSE)/grades.csv
grade: setup
	$(NBGRADER) autograde '$(ASSIGNMENT)'
	$(NBGRADER) export

bench: setup
	$(PYTHON) benchmarks/bench_eval.py
	$(PYTHON) benchmarks/bench_train.py

clean-results:
	rm -rf results/ build/ figures/smoke figures/demo
