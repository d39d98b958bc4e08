#!/usr/bin/env bash
# Lint: ruff (check and format) and pylint-odoo with OCA's mandatory checks.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$ROOT"
say "lint: ruff check, ruff format --check, pylint-odoo"
"$VENV/bin/ruff" check --quiet . || die "ruff check found problems"
"$VENV/bin/ruff" format --check --quiet . || die "ruff format: run '$VENV/bin/ruff format .'"
"$VENV/bin/pylint" --rcfile="$ROOT/.pylintrc" "$ADDON" || die "pylint-odoo found problems"
