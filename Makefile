# Entry points. Every target sets up what is missing first (tools/setup.sh).
#   make run   [PORT=8069] [DB=crisis] [UPDATE=1]   serve Odoo with the addon
#   make test  [TEST_DB=crisis_test]                lint + every test
#   make bench [BENCH_DB=crisis_bench] [BENCH_SCRIPTS="add_customers notify crons signals calls sms credit_notes gift_cards delivery"]
#              [BENCH_ARGS="--runs 3"]              the benchmarks (see tools/bench.sh)
#   make screenshots [SHOTS_DB=crisis_shots]         the README's screenshots, en + zh_CN
#   make lint | make setup | make pot | make readme | make clean
PORT ?= 8069
DB ?= crisis
TEST_DB ?= crisis_test
BENCH_DB ?= crisis_bench
BENCH_ARGS ?=
BENCH_SCRIPTS ?= add_customers notify crons signals calls sms credit_notes gift_cards delivery
export PORT DB TEST_DB UPDATE BENCH_DB BENCH_SCRIPTS

.PHONY: run test bench lint setup pot readme clean screenshots
run:
	@bash tools/run.sh
test:
	@bash tools/test.sh
bench:
	@bash tools/bench.sh $(BENCH_ARGS)
lint: setup
	@bash tools/lint.sh
setup:
	@bash tools/setup.sh
pot:
	@bash tools/i18n.sh
readme:
	@python3 tools/gen_readme.py
clean:
	@bash tools/clean.sh
screenshots:
	@bash tools/screenshots.sh
