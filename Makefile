# The two commands a new user types: `make run` and `make test`.
# PYTHON overrides the interpreter used to create .venv (Python 3.10 is required).

# The first candidate that really is Python 3.10 (pyenv's python3.10 shim exists
# even when it is not selected, so a name on PATH alone proves nothing).
PYTHON ?= $(shell for p in "$$(pyenv prefix 3.10.13 2>/dev/null)/bin/python3.10" python3.10; do \
  "$$p" -c 'import sys; assert sys.version_info[:2] == (3, 10)' 2>/dev/null && { command -v "$$p"; break; }; done)
VENV := .venv
STAMP := $(VENV)/.installed

.PHONY: run test venv clean

run: $(STAMP)
	$(VENV)/bin/ytdnn run $(ARGS)

# Two workers, one a core; worksteal evens out the long pipeline tests.
test: $(STAMP)
	$(VENV)/bin/python -m pytest -n 2 --dist worksteal tests $(ARGS)

venv: $(STAMP)

$(STAMP): setup.py constraints.txt
	@test -n "$(PYTHON)" || { echo "Python 3.10 not found: set PYTHON=/path/to/python3.10" >&2; exit 1; }
	@"$(PYTHON)" -c 'import sys; assert sys.version_info[:2] == (3, 10)' || { echo "$(PYTHON) is not Python 3.10" >&2; exit 1; }
	test -d $(VENV) || "$(PYTHON)" -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -c constraints.txt -e '.[test,kubeflow,benchmarks]'
	touch $(STAMP)

clean:
	rm -rf tfx serving_model report.html
