#!/usr/bin/env bash
# Lint: ruff (check and format), pylint-odoo with OCA's mandatory checks, and
# OCA's checks of the addon's XML, CSV and PO files.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$ROOT"
say "lint: ruff check, ruff format --check, pylint-odoo, oca-checks-odoo-module, oca-checks-po"
"$VENV/bin/ruff" check --quiet . || die "ruff check found problems"
"$VENV/bin/ruff" format --check --quiet . || die "ruff format: run '$VENV/bin/ruff format .'"
"$VENV/bin/python" "$ROOT/tools/gen_readme.py" --check || die "crisis_management/README.rst is out of date: run make readme"
"$VENV/bin/pylint" --rcfile="$ROOT/.pylintrc" "$ADDON" || die "pylint-odoo found problems"
"$VENV/bin/oca-checks-odoo-module" --no-verbose "$ADDON" || die "oca-checks-odoo-module found problems"
"$VENV/bin/oca-checks-po" --no-verbose "$ADDON"/i18n/*.po* || die "oca-checks-po found problems"
