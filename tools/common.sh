# Shared settings of the project's scripts. Sourced, never run.
# shellcheck shell=bash
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ADDON=crisis_management
# its feature modules (the status page is installed on purpose; early warning
# and reviews install themselves with the addon)
FEATURES=(crisis_management_status crisis_management_signal crisis_management_review)
# the bridge modules, each auto-installed with its Odoo dependency
BRIDGES=(spreadsheet_dashboard_crisis_management crisis_management_sms crisis_management_account crisis_management_loyalty crisis_management_stock crisis_management_sale crisis_management_livechat)
# every module of the project beside the addon
MODULES_BESIDE=("${FEATURES[@]}" "${BRIDGES[@]}")
# the addon and its feature modules: what `make run` serves
APP_MODULES=$(IFS=,; echo "$ADDON,${FEATURES[*]}")

# Odoo 18.0 source: $ODOO_SRC, else this fixed default location.
ODOO_SRC_DEFAULT=/opt/odoo-18.0
ODOO_SRC=${ODOO_SRC:-$ODOO_SRC_DEFAULT}
ODOO_GIT_URL=${ODOO_GIT_URL:-https://github.com/odoo/odoo.git}
ODOO_BRANCH=18.0

# Everything generated lives in ignored folders of the repository.
VENV=${VENV:-$ROOT/.venv}
STATE=$ROOT/.state
LOGS=$STATE/logs
ODOO_CONF=$STATE/odoo.conf
PYTHON=${PYTHON:-python3.11}
command -v "$PYTHON" >/dev/null 2>&1 || PYTHON=python3

say() { printf '==> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }
as_root() { [ "$(id -u)" = 0 ]; }
