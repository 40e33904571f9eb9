# Two commands do everything on a fresh machine (Python 3.11+, git, make):
#   make run   - set up, then load and build the warehouse from the embedded data
#   make test  - set up, then run the test suite
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
export DAGSTER_HOME ?= $(CURDIR)/.dagster_home

.PHONY: run test setup manifest pdf-libraries browser postgres oldest-duckdb spark java dev lint clean benchmark

$(BIN)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'
	@mkdir -p $(DAGSTER_HOME)
	@touch $@

setup: $(BIN)/.installed manifest pdf-libraries

# The report's PDF is laid out by WeasyPrint, which loads Pango and HarfBuzz (Debian's
# libpango-1.0-0, libpangoft2-1.0-0, libharfbuzz-subset0); installed here when missing.
PDF_LIBRARIES := libpango-1.0.so.0 libpangoft2-1.0.so.0 libharfbuzz-subset.so.0
pdf-libraries:
	@missing=$$(for lib in $(PDF_LIBRARIES); do ldconfig -p | grep -q "$$lib" || echo "$$lib"; done); \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	      libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 >/dev/null; \
	  else \
	    echo "the report's PDF needs Pango and HarfBuzz ($$missing): sudo apt-get install libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0"; exit 1; \
	  fi; \
	fi

# Dagster reads the dbt manifest when it loads the definitions: prepare it here, not lazily.
manifest: $(BIN)/.installed
	$(BIN)/python -m orchestration.warehouse.dbt_project

run: setup
	$(BIN)/warehouse run

# The report's browser test renders the HTML in Debian's Chromium.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else \
	    echo "make test needs Chromium: install Debian's chromium package (sudo apt-get install chromium)"; exit 1; \
	  fi; }

# The deployment test (tests/test_deployment.py) starts a server of its own from Debian's
# PostgreSQL, the database the guide's services use (docs/deployment.md).
postgres:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; \
	  else \
	    echo "make test needs PostgreSQL: install Debian's postgresql package (sudo apt-get install postgresql)"; exit 1; \
	  fi; }

# The oldest DuckDB client the published file supports (BI tools bundle their own), in
# its own environment: tests/test_operations.py opens the published file with it.
OLDEST_DUCKDB ?= 1.1.0
OLDEST_DUCKDB_VENV ?= .venv-duckdb-$(OLDEST_DUCKDB)
oldest-duckdb: $(OLDEST_DUCKDB_VENV)/bin/.installed
$(OLDEST_DUCKDB_VENV)/bin/.installed:
	$(PYTHON) -m venv $(OLDEST_DUCKDB_VENV)
	$(OLDEST_DUCKDB_VENV)/bin/python -m pip install --quiet --disable-pip-version-check duckdb==$(OLDEST_DUCKDB)
	@touch $@

# The dbt project on Apache Spark (`warehouse spark-build`, tests/test_spark.py): dbt with
# dbt-spark and PySpark in an environment of their own (the main one stays as it is: Great
# Expectations imports PySpark wherever it is installed), and a headless Java runtime
# (Debian's openjdk-17-jre-headless) when there is none. Not part of `make run`.
SPARK_VENV ?= .venv-spark
SPARK_PACKAGES := 'dbt-core==1.11.16' 'dbt-spark[session]==1.11.0' 'pyspark==4.3.0'
spark: $(SPARK_VENV)/bin/.installed java
$(SPARK_VENV)/bin/.installed: constraints.txt
	$(PYTHON) -m venv $(SPARK_VENV)
	$(SPARK_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -c constraints.txt $(SPARK_PACKAGES)
	@touch $@

java:
	@command -v java >/dev/null 2>&1 || [ -x "$$JAVA_HOME/bin/java" ] || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jre-headless >/dev/null; \
	  else \
	    echo "the Spark build needs a Java runtime (17 or newer): sudo apt-get install openjdk-17-jre-headless"; exit 1; \
	  fi; }

test: setup browser oldest-duckdb postgres spark
	$(BIN)/python -m pytest

# The Dagster UI: the asset graph with its checks, the inbox sensor and the schedule.
dev: setup
	@mkdir -p $(DAGSTER_HOME) && cp -n dagster.yaml $(DAGSTER_HOME)/dagster.yaml
	$(BIN)/dg dev

# The pipeline against a plain dbt build and hand-written DuckDB and pandas baselines, at
# the embedded data, 1M and 10M ledger rows and ten years of quarters (about 15 minutes).
benchmark: setup
	$(BIN)/python benchmarks/benchmark.py

# The suite runs all of these too (tests/test_layers.py, tests/test_sql_style.py).
lint: setup
	$(BIN)/ruff check orchestration tests benchmarks
	$(BIN)/ruff format --check orchestration tests benchmarks
	$(BIN)/lint-imports
	cd dbt_project && ../$(BIN)/sqlfluff lint models macros tests

clean:
	rm -rf $(VENV) $(OLDEST_DUCKDB_VENV) $(SPARK_VENV) warehouse .dagster_home dbt_project/target dbt_project/logs
