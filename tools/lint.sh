#!/usr/bin/env bash
# Lint: ruff (check and format), pylint-odoo with OCA's mandatory checks, and
# OCA's checks of the XML, CSV and PO files of the addon and its bridges.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$ROOT"
say "lint: ruff check, ruff format --check, pylint-odoo, oca-checks-odoo-module, oca-checks-po"
"$VENV/bin/ruff" check --quiet . || die "ruff check found problems"
"$VENV/bin/ruff" format --check --quiet . || die "ruff format: run '$VENV/bin/ruff format .'"
"$VENV/bin/python" "$ROOT/tools/gen_readme.py" --check || die "a README.rst is out of date: run make readme"
for module in "$ADDON" "${MODULES_BESIDE[@]}"; do
    "$VENV/bin/pylint" --rcfile="$ROOT/.pylintrc" "$module" || die "pylint-odoo found problems in $module"
    "$VENV/bin/oca-checks-odoo-module" --no-verbose "$module" || die "oca-checks-odoo-module found problems in $module"
    "$VENV/bin/oca-checks-po" --no-verbose "$module"/i18n/*.po* || die "oca-checks-po found problems in $module"
done
