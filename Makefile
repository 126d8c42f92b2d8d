# Two entry points that work on a machine with only python3: `make devnet` and `make test`.
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: test devnet bench clean system-tools contracts-tools
# System tools the tests need, as command=Debian package: installed with apt-get when run as root,
# otherwise named (and, in CI, an error: a test that needs one must run there, never skip).
APT_TOOLS := bwrap=bubblewrap chromium=chromium

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

system-tools:
	@missing=""; for pair in $(APT_TOOLS); do command -v $${pair%%=*} >/dev/null || missing="$$missing $${pair#*=}"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing$$missing with apt-get"; \
	    { apt-get install -y -q $$missing || { apt-get update -q && apt-get install -y -q $$missing; }; } >/dev/null || exit 1; \
	  else \
	    echo "missing system packages:$$missing; install them with: sudo apt-get install$$missing" >&2; \
	    [ "$$CI" != true ] || exit 1; \
	  fi; \
	fi

# The bridge contract's pinned compiler and OpenZeppelin sources, from the npm registry.
CONTRACTS := akechain/bridge/contracts
contracts-tools:
	@if [ ! -d $(CONTRACTS)/node_modules/solc ] || [ ! -x $(CONTRACTS)/node_modules/.bin/anvil ]; then \
	  if command -v npm >/dev/null; then npm ci --prefix $(CONTRACTS) --no-audit --no-fund --silent || exit 1; \
	  else echo "npm is missing: install Node.js and npm (apt-get install npm) to build the bridge contract" >&2; \
	    [ "$$CI" != true ] || exit 1; fi; \
	fi

test: $(STAMP) system-tools contracts-tools
	$(PY) -m pytest -q -p no:cacheprovider

devnet: $(STAMP)
	$(VENV)/bin/akechain devnet

clean:
	rm -rf $(VENV) .devnet
