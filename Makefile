# dmine: PostgreSQL extension built with PGXS (make, make install, make installcheck).
EXTENSION  = dmine
EXTVERSION = 0.1.0
MODULE_big = dmine

KERNEL_SRCS = $(sort $(wildcard src/kernels/*.cpp src/kernels/*/*.cpp))
GLUE_SRCS   = $(sort $(wildcard src/pg/*.cpp))
OBJS        = $(KERNEL_SRCS:.cpp=.o) $(GLUE_SRCS:.cpp=.o)

# The install script is assembled from one file per area (a folder per large area), in path order.
SCRIPT_PARTS = $(sort $(wildcard extension/parts/*.sql extension/parts/*/*.sql))
DATA_built   = $(EXTENSION)--$(EXTVERSION).sql
DATA         = $(wildcard extension/$(EXTENSION)--*--*.sql)

# pg_regress: every sql/NAME.sql is a test, compared with expected/NAME.out.
REGRESS      = $(patsubst sql/%.sql,%,$(sort $(wildcard sql/*.sql)))
REGRESS_OPTS = --inputdir=. --load-extension=$(EXTENSION)

EIGEN_INC   ?= /usr/include/eigen3
PG_CPPFLAGS  = -I$(srcdir)/src/kernels -I$(srcdir)/src/pg -isystem $(EIGEN_INC)
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

# Objects depend on the headers next to them (kernels: one level of area folders, e.g. trends/).
$(OBJS): $(wildcard src/kernels/*.hpp src/kernels/*/*.hpp) $(wildcard src/pg/*.hpp)
