# dmine: PostgreSQL extension built with PGXS (make, make install, make installcheck).
EXTENSION  = dmine
# The version comes from dmine.control (default_version), like dmine-report's (CMakeLists.txt).
EXTVERSION := $(shell sed -n "s/^default_version *= *'\(.*\)'/\1/p" dmine.control)
MODULE_big = dmine

KERNEL_SRCS = $(sort $(wildcard src/kernels/*.cpp src/kernels/*/*.cpp))
GLUE_SRCS   = $(sort $(wildcard src/pg/*.cpp))
OBJS        = $(KERNEL_SRCS:.cpp=.o) $(GLUE_SRCS:.cpp=.o)

# The install script is assembled from one file per area (a folder per large area), in path order.
SCRIPT_PARTS = $(sort $(wildcard extension/parts/*.sql extension/parts/*/*.sql))
# The upgrade script from the previous release is assembled from one piece per change set,
# extension/upgrade/NAME.sql, in the order of UPGRADE_ORDER (aggregate and type changes first: later
# pieces may use them); the search-path pinning of the install script closes it. A piece missing
# from the list stops the build, so that none is left out silently.
UPGRADE_FROM  = 0.1.0
UPGRADE_ORDER = states context forecast fcfast fcpipe citus release explorefast profilefast ctxstate cituspro ctxintkeys
UPGRADE_PIECES = $(wildcard $(foreach p,$(UPGRADE_ORDER),extension/upgrade/$(p).sql))
UPGRADE_STRAY = $(filter-out $(foreach p,$(UPGRADE_ORDER),extension/upgrade/$(p).sql),$(wildcard extension/upgrade/*.sql))
ifneq ($(UPGRADE_STRAY),)
$(error upgrade pieces missing from UPGRADE_ORDER in the Makefile: $(UPGRADE_STRAY))
endif
UPGRADE_SCRIPT = $(EXTENSION)--$(UPGRADE_FROM)--$(EXTVERSION).sql

DATA_built   = $(EXTENSION)--$(EXTVERSION).sql $(UPGRADE_SCRIPT)
# Released install scripts are kept as released (extension/dmine--0.1.0.sql, built once from the
# tag v0.1.0), so that a database can still be created at that version and then updated.
DATA         = $(filter-out extension/$(UPGRADE_SCRIPT),$(wildcard extension/$(EXTENSION)--*.sql))

# pg_regress: every sql/NAME.sql is a test, compared with expected/NAME.out.
REGRESS      = $(patsubst sql/%.sql,%,$(sort $(wildcard sql/*.sql)))
REGRESS_OPTS = --inputdir=. --load-extension=$(EXTENSION)

EIGEN_INC   ?= /usr/include/eigen3
# EIGEN_NO_DEBUG: Eigen's index assertions would abort the backend, and cost a sixth of the
# instructions of a K-Means fit; the unit tests (CMake Release) build without them too.
PG_CPPFLAGS  = -I$(srcdir)/src/kernels -I$(srcdir)/src/pg -isystem $(EIGEN_INC) -DEIGEN_NO_DEBUG
PG_CXXFLAGS  = -std=c++17 -Wall -Wextra -Wno-unused-parameter -Wno-cast-function-type -Wno-register \
               -fvisibility-inlines-hidden
SHLIB_LINK  += -lstdc++

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# The bitcode compile for JIT inlining needs the same C++ dialect as the object compile, and no
# constructor aliases: the JIT inliner cannot resolve them and the backend would crash.
COMPILE.cxx.bc += $(PG_CXXFLAGS) -Xclang -mno-constructor-aliases
# PostgreSQL's C flags are not all valid for C++.
override CXXFLAGS := $(filter-out -Wmissing-prototypes -Wdeclaration-after-statement,$(CXXFLAGS))

$(EXTENSION)--$(EXTVERSION).sql: $(SCRIPT_PARTS)
	cat $^ > $@

# The pieces (their `-- @install` lines replaced by the install script's statements:
# scripts/upgrade_pieces.py), then every routine, view and comment of the release again
# (scripts/upgrade_refresh.py: CREATE OR REPLACE), so that no piece repeats a definition.
$(UPGRADE_SCRIPT): $(UPGRADE_PIECES) $(EXTENSION)--$(EXTVERSION).sql scripts/upgrade_pieces.py \
		scripts/upgrade_refresh.py scripts/sql_statements.py extension/parts/99_search_path.sql Makefile
	{ printf '%s\n' '-- dmine upgrade script $(UPGRADE_FROM) -> $(EXTVERSION), assembled from extension/upgrade/*.sql' \
	      '\echo Use "ALTER EXTENSION dmine UPDATE" to load this file. \quit'; \
	  python3 scripts/upgrade_pieces.py $(EXTENSION)--$(EXTVERSION).sql $(UPGRADE_PIECES); \
	  printf '\n'; python3 scripts/upgrade_refresh.py $(EXTENSION)--$(EXTVERSION).sql; \
	  printf '\n-- ---- extension/parts/99_search_path.sql\n'; cat extension/parts/99_search_path.sql; } > $@

# Objects depend on the headers next to them (kernels: one level of area folders, e.g. trends/).
$(OBJS): $(wildcard src/kernels/*.hpp src/kernels/*/*.hpp) $(wildcard src/pg/*.hpp)
