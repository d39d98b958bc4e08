#!/usr/bin/env bash
# make screenshots: the README's screenshots in English and Chinese. Serves the
# demo database SHOTS_DB (made with the addon and its demo data when missing,
# else updated to this checkout) on a free port, drives headless Chromium over
# it (tools/screenshots.py) and writes docs/screenshots/NAME.png and
# NAME.zh_CN.png.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
SHOTS_DB=${SHOTS_DB:-crisis_shots}
SHOTS_PORT=${SHOTS_PORT:-$((19000 + $(printf "%s" "$ROOT" | cksum | cut -d" " -f1) % 900))}

"$ROOT/tools/setup.sh"
# Chinese glyphs for Chromium (else the zh_CN screens show boxes)
if ! fc-list 2>/dev/null | grep -qi "zenhei\|noto sans cjk"; then
    say "installing a Chinese font (Debian's fonts-wqy-zenhei)"
    apt-get install -y -q fonts-wqy-zenhei >/dev/null 2>&1 \
        || { apt-get update -q >/dev/null && apt-get install -y -q fonts-wqy-zenhei >/dev/null; } \
        || die "could not install fonts-wqy-zenhei"
fi
# the review's PDF: wkhtmltopdf prints it, poppler's pdftoppm makes it a picture
for tool in wkhtmltopdf:wkhtmltopdf pdftoppm:poppler-utils; do
    if ! command -v "${tool%%:*}" >/dev/null 2>&1; then
        say "installing ${tool#*:}"
        apt-get install -y -q --no-install-recommends "${tool#*:}" >/dev/null 2>&1 \
            || { apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends "${tool#*:}" >/dev/null; } \
            || die "could not install ${tool#*:}"
    fi
done
source "$ROOT/tools/pg.sh"
pg_stop_on_exit
pg_start
write_odoo_conf

odoo=("$VENV/bin/python" "$ODOO_SRC/odoo-bin" -c "$ODOO_CONF" -d "$SHOTS_DB")
MODULES=$(IFS=,; echo "$ADDON,${MODULES_BESIDE[*]}")
state=$(db_psql -d "$SHOTS_DB" -c "SELECT state FROM ir_module_module WHERE name = '$ADDON'" 2>/dev/null || true)
if [ "$state" != installed ]; then
    say "installing $MODULES with demo data into $SHOTS_DB (log: $LOGS/shots.log)"
    # in English first (the demo data is written in the installing user's
    # language), then Chinese loaded
    "${odoo[@]}" -i "$MODULES" --stop-after-init --logfile="$LOGS/shots.log" \
        || die "installing $MODULES failed (see $LOGS/shots.log)"
    "${odoo[@]}" -u "$MODULES" --load-language=zh_CN --stop-after-init --logfile="$LOGS/shots.log" \
        || die "loading zh_CN failed (see $LOGS/shots.log)"
else
    # the addon upgraded as users upgrade it (-u), then the bridges installed
    # when new (an -i of the addon itself would replay its install-only data)
    "${odoo[@]}" -u "$MODULES" --load-language=zh_CN --stop-after-init --logfile="$LOGS/shots.log" \
        || die "updating $MODULES failed (see $LOGS/shots.log)"
    "${odoo[@]}" -i "$(IFS=,; echo "${MODULES_BESIDE[*]}")" --stop-after-init --logfile="$LOGS/shots.log" \
        || die "installing ${MODULES_BESIDE[*]} failed (see $LOGS/shots.log)"
fi
"${odoo[@]}" --db-filter="^$SHOTS_DB\$" --http-port="$SHOTS_PORT" --gevent-port=$((SHOTS_PORT + 3)) \
    --logfile="$LOGS/shots.log" &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null' EXIT
for _ in $(seq 60); do
    curl -fs "http://127.0.0.1:$SHOTS_PORT/web/health" >/dev/null 2>&1 && break
    sleep 1
done
mkdir -p "$ROOT/docs/screenshots"
"$VENV/bin/python" "$ROOT/tools/screenshots.py" --url "http://127.0.0.1:$SHOTS_PORT" \
    --db "$SHOTS_DB" --out "$ROOT/docs/screenshots" --chromium "$(command -v chromium)"
