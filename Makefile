# DoSQL build.  `make` builds bin/, `make test` builds an ASan+UBSan tree
# under build/test and runs the whole suite through prove, `make run`
# starts the local cluster, `make fuzz` runs the libFuzzer targets.

CC       ?= gcc
WARN     := -Wall -Wextra -Werror
CSTD     := -std=c11 -D_GNU_SOURCE
INCLUDES := -I.
OPT      ?= -O2
LIBS     := -lpg_query -lsqlite3 -lssl -lcrypto -lpthread -lm -ljansson -lxxhash -levent -levent_openssl -lpq
SAN      := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined

COMMON_SRC := common/buf.c common/arena.c common/pgnode.c common/fault.c common/pgident.c common/pgtime.c
PGWIRE_SRC := pgwire/conn.c pgwire/auth.c pgwire/blocking.c pgwire/tls.c pgwire/evconn.c
PGSQL_SRC  := $(sort $(wildcard pgsql/*.c))
SHARD_SRC  := $(sort $(wildcard shard/*.c))
VSCHEMA_SRC := $(sort $(wildcard vschema/*.c))
ROUTER_SRC  := $(sort $(wildcard router/*.c))
# cdc/: the replication command grammar serves the shard too; the rest
# (streaming, the merge, output plugins) is the router's
CDC_SHARD_SRC := cdc/replcmd.c
CDC_SRC     := $(sort $(wildcard cdc/*.c))
UNIT_SRC   := $(sort $(wildcard t/unit/test_*.c))
# lake/: dosql-lake, the change stream as Iceberg tables of Parquet files
LAKE_SRC   := $(sort $(wildcard lake/*.c))
LAKE_LIBS  := -lpq -levent -ljansson -lavro -lsnappy -lzstd -lz -lcrypto -lm
LAKE_LIBS  += -lcurl

# Objects per build flavour: build/release and build/test.
release_dir := build/release
test_dir    := build/test

define objs
$(patsubst %.c,$(1)/%.o,$(2))
endef

# the log module (common/log.h), linked into every program
COMMON_SRC += common/log.c

LIB_SRC := $(COMMON_SRC) $(PGWIRE_SRC)

.PHONY: all deps test run fuzz bench clean unit-bins test-bins
all: deps bin/dosql-shard bin/dosql bin/dosql-passwd bin/dosql-lake

# Every object waits for the installed dependencies (libpg-query-dev's
# headers among them): an order-only prerequisite, so that any -j works on
# a fresh machine and an installed stamp never makes objects out of date.
DEPS_STAMP := build/deps.stamp
$(DEPS_STAMP): tools/deps.sh
	@tools/deps.sh
	@mkdir -p $(dir $@)
	@touch $@

deps: $(DEPS_STAMP)

# ---- release
$(release_dir)/%.o: %.c | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(CSTD) $(WARN) $(OPT) -g $(INCLUDES) -MMD -MP -c $< -o $@

bin/dosql: $(call objs,$(release_dir),$(LIB_SRC) $(VSCHEMA_SRC) $(ROUTER_SRC) $(CDC_SRC) $(PGSQL_SRC))
	@mkdir -p bin
	$(CC) $(OPT) -g -o $@ $^ $(LIBS)

bin/dosql-shard: $(call objs,$(release_dir),$(LIB_SRC) $(CDC_SHARD_SRC) $(PGSQL_SRC) $(SHARD_SRC))
	@mkdir -p bin
	$(CC) $(OPT) -g -o $@ $^ $(LIBS)

bin/dosql-passwd: $(call objs,$(release_dir),tools/dosql-passwd.c $(LIB_SRC))
	@mkdir -p bin
	$(CC) $(OPT) -g -o $@ $^ $(LIBS)

bin/dosql-lake: $(call objs,$(release_dir),$(LAKE_SRC) common/buf.c common/fault.c)
	@mkdir -p bin
	$(CC) $(OPT) -g -o $@ $^ $(LAKE_LIBS)

# ---- test build (sanitizers)
$(test_dir)/%.o: %.c | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(CSTD) $(WARN) -O1 -g $(SAN) -DDOSQL_FAULT_INJECTION $(INCLUDES) -MMD -MP -c $< -o $@

$(test_dir)/bin/dosql: $(call objs,$(test_dir),$(LIB_SRC) $(VSCHEMA_SRC) $(ROUTER_SRC) $(CDC_SRC) $(PGSQL_SRC))
	@mkdir -p $(dir $@)
	$(CC) $(SAN) -o $@ $^ $(LIBS)

$(test_dir)/bin/dosql-shard: $(call objs,$(test_dir),$(LIB_SRC) $(CDC_SHARD_SRC) $(PGSQL_SRC) $(SHARD_SRC))
	@mkdir -p $(dir $@)
	$(CC) $(SAN) -o $@ $^ $(LIBS)

$(test_dir)/bin/dosql-passwd: $(call objs,$(test_dir),tools/dosql-passwd.c $(LIB_SRC))
	@mkdir -p $(dir $@)
	$(CC) $(SAN) -o $@ $^ $(LIBS)

$(test_dir)/bin/dosql-lake: $(call objs,$(test_dir),$(LAKE_SRC) common/buf.c common/fault.c)
	@mkdir -p $(dir $@)
	$(CC) $(SAN) -o $@ $^ $(LAKE_LIBS)

# Each unit test links everything but the programs' main().
UNIT_LINK := $(call objs,$(test_dir),$(LIB_SRC) $(CDC_SHARD_SRC) $(PGSQL_SRC) $(filter-out shard/main.c,$(SHARD_SRC)) $(VSCHEMA_SRC))
$(test_dir)/t/unit/%: $(test_dir)/t/unit/%.o $(UNIT_LINK)
	$(CC) $(SAN) -o $@ $^ $(LIBS)

# The planner tests link the router too (its objects but main()).
PLAN_LINK := $(call objs,$(test_dir),$(filter-out router/main.c,$(ROUTER_SRC)) $(filter-out $(CDC_SHARD_SRC),$(CDC_SRC)))
$(test_dir)/t/unit/test_plan: $(test_dir)/t/unit/test_plan.o $(UNIT_LINK) $(PLAN_LINK)
	$(CC) $(SAN) -o $@ $^ $(LIBS)

# Write t/unit/plan/cases.out from today's plans (after a deliberate change
# of the planner; read `git diff t/unit/plan/cases.out` before committing).
.PHONY: plan-golden
plan-golden: deps $(test_dir)/t/unit/test_plan
	DOSQL_PLAN_REGENERATE=1 ASAN_OPTIONS=detect_leaks=1 $(test_dir)/t/unit/test_plan >/dev/null

# dosql-lake's unit tests link its objects instead.
LAKE_UNIT_LINK := $(call objs,$(test_dir),$(filter-out lake/main.c,$(LAKE_SRC)) common/buf.c common/fault.c)
$(test_dir)/t/unit/test_lake: $(test_dir)/t/unit/test_lake.o $(LAKE_UNIT_LINK)
	$(CC) $(SAN) -o $@ $^ $(LAKE_LIBS)
$(test_dir)/t/unit/test_lake_parquet: $(test_dir)/t/unit/test_lake_parquet.o $(LAKE_UNIT_LINK)
	$(CC) $(SAN) -o $@ $^ $(LAKE_LIBS)
$(test_dir)/t/unit/test_lake_store: $(test_dir)/t/unit/test_lake_store.o $(LAKE_UNIT_LINK)
	$(CC) $(SAN) -o $@ $^ $(LAKE_LIBS)

UNIT_BINS := $(patsubst t/unit/%.c,$(test_dir)/t/unit/%,$(UNIT_SRC))
test-bins: deps $(test_dir)/bin/dosql-shard $(test_dir)/bin/dosql $(test_dir)/bin/dosql-passwd $(test_dir)/bin/dosql-lake $(UNIT_BINS)

PROVE_JOBS ?= 2
test: test-bins
	DOSQL_BINDIR=$(CURDIR)/$(test_dir)/bin \
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:halt_on_error=1 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	prove -j$(PROVE_JOBS) -I t/lib $(UNIT_BINS) t/*.pl

# ---- randomized differential tester and PostgreSQL's regression SQL
# `make sqlfuzz` (DURATION seconds, SEED, QUERIES per family, 0: no
# limit) runs tools/sqlfuzz against PostgreSQL 15 with the sanitizer build;
# differences go to build/sqlfuzz-report.txt.  `make pgregress` runs the
# statements of PGREGRESS_DIR on PostgreSQL 15 and one shard and prints
# the per-file table; `make catcov` calls the functions and operators of
# the core types on both and prints the coverage table.
DURATION ?= 60
SEED     ?= 1
QUERIES  ?= 0
SAN_ENV  := ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:halt_on_error=1 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
PGREGRESS_DIR ?= $(CURDIR)/../shared/reference/pgregress
.PHONY: sqlfuzz pgregress catcov
sqlfuzz: test-bins
	@mkdir -p build
	DOSQL_BINDIR=$(CURDIR)/$(test_dir)/bin $(SAN_ENV) \
	tools/sqlfuzz/sqlfuzz --seed $(SEED) --seconds $(DURATION) --queries $(QUERIES) \
		--report build/sqlfuzz-report.txt

pgregress: test-bins
	@mkdir -p build
	DOSQL_BINDIR=$(CURDIR)/$(test_dir)/bin $(SAN_ENV) \
	tools/pgregress/pgregress --dir $(PGREGRESS_DIR) --report build/pgregress-report.txt

catcov: test-bins
	@mkdir -p build
	DOSQL_BINDIR=$(CURDIR)/$(test_dir)/bin $(SAN_ENV) \
	tools/catcov/catcov --report build/catcov-report.txt

# ---- benchmarks: DoSQL against PostgreSQL and pgbouncer (bench/run)
bench: all
	bench/run
	bench/transfers

# ---- local cluster
# The shards of etc/vschema.json and the router on 127.0.0.1:6432
# (etc/dosql.json), in the foreground; Ctrl-C stops them.  Data under
# DOSQL_DATA (make variable or environment).
DOSQL_DATA ?= $(CURDIR)/data
run: all
	tools/local-cluster --data "$(DOSQL_DATA)"

clean:
	rm -rf build bin

-include $(shell find build -name '*.d' 2>/dev/null)

# ---- fuzzing (libFuzzer, clang)
# `make fuzz` builds every target into build/fuzz and runs each for
# FUZZ_RUNS executions, starting from the seeds in fuzz/corpus/<target>.
# Inputs found while fuzzing go to build/fuzz/corpus/<target>, crash
# reproducers to build/fuzz/artifacts/, the full output to
# build/fuzz/<target>.log.
FUZZ_CC      ?= clang
FUZZ_RUNS    ?= 1000000
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
fuzz_dir     := build/fuzz
FUZZ_TARGETS := fuzz_startup fuzz_messages fuzz_scram fuzz_capture fuzz_replcmd fuzz_shape fuzz_values fuzz_sql
FUZZ_LIB_SRC := common/buf.c common/arena.c common/pgnode.c pgwire/conn.c pgwire/auth.c fuzz/fuzz_stub.c shard/capture.c cdc/replcmd.c router/shape.c
# A startup packet is at most PGW_MAX_STARTUP (10000) bytes; a few KiB hold
# a long message sequence or both SCRAM messages.
FUZZ_MAX_LEN_fuzz_startup  := 10004
FUZZ_MAX_LEN_fuzz_messages := 4096
FUZZ_MAX_LEN_fuzz_scram    := 4096
FUZZ_MAX_LEN_fuzz_capture  := 4096
FUZZ_MAX_LEN_fuzz_replcmd  := 2048
FUZZ_MAX_LEN_fuzz_shape    := 2048
FUZZ_MAX_LEN_fuzz_values   := 512
FUZZ_MAX_LEN_fuzz_sql      := 1024
FUZZ_BINS := $(addprefix $(fuzz_dir)/,$(FUZZ_TARGETS))

.PHONY: fuzz fuzz-bins
$(fuzz_dir)/%.o: %.c | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(CSTD) $(WARN) -O1 -g -fsanitize=fuzzer-no-link $(FUZZ_SAN) $(INCLUDES) -MMD -MP -c $< -o $@

$(FUZZ_BINS): $(fuzz_dir)/%: $(fuzz_dir)/fuzz/%.o $(call objs,$(fuzz_dir),$(FUZZ_LIB_SRC))
	$(FUZZ_CC) -fsanitize=fuzzer $(FUZZ_SAN) -o $@ $^ -lpg_query -lssl -lcrypto -lsqlite3 -ljansson -lm
# the value decoders and the translation are the engine's (pgsql/)
FUZZ_PGSQL_SRC := $(PGSQL_SRC) common/pgident.c common/pgtime.c common/log.c common/fault.c
$(fuzz_dir)/fuzz_values $(fuzz_dir)/fuzz_sql: $(call objs,$(fuzz_dir),$(FUZZ_PGSQL_SRC))

fuzz-bins: deps $(FUZZ_BINS)

fuzz: deps fuzz-bins $(addprefix fuzz-run-,$(FUZZ_TARGETS))

fuzz-run-%: $(fuzz_dir)/%
	@mkdir -p $(fuzz_dir)/corpus/$* $(fuzz_dir)/artifacts
	@echo "== $*: -runs=$(FUZZ_RUNS) -max_len=$(FUZZ_MAX_LEN_$*)"
	@ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	$< -runs=$(FUZZ_RUNS) -max_len=$(FUZZ_MAX_LEN_$*) -print_final_stats=1 \
		$(if $(wildcard fuzz/$*.dict),-dict=fuzz/$*.dict) -artifact_prefix=$(fuzz_dir)/artifacts/$*- \
		$(fuzz_dir)/corpus/$* fuzz/corpus/$* >$(fuzz_dir)/$*.log 2>&1 || \
		{ tail -n 60 $(fuzz_dir)/$*.log; echo "$*: FAILED, see $(fuzz_dir)/$*.log"; exit 1; }
	@grep -E '^(Done [0-9]+ runs|stat::number_of_executed_units|stat::peak_rss_mb)' $(fuzz_dir)/$*.log

# The sqllogictest corpus (../shared/reference/sqllogictest, about 228,000
# records) through a 4-shard cluster, every table sharded by its first
# column, against PostgreSQL 15 (not in CI); differences in build/slt-diff.txt.
SLT_DIR ?= ../shared/reference/sqllogictest
.PHONY: sqllogictest
sqllogictest: all
	perl tools/slt/run-slt --out build/slt-diff.txt $(SLT_DIR)
