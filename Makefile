# The two commands of the README: `make demo` and `make test`.
# Both create the virtual environment in .venv on first use.

PYTHON ?= python3
VENV := .venv
STAMP := $(VENV)/.installed

.PHONY: demo test venv system-packages clean

demo: $(STAMP)
	scripts/demo

test: $(STAMP) system-packages
	scripts/test

venv: $(STAMP)

$(STAMP): pyproject.toml
	scripts/make-venv $(PYTHON) $(VENV)
	touch $(STAMP)

system-packages:
	scripts/ensure-system-packages

clean:
	rm -rf $(VENV) tests/output .pytest_cache
