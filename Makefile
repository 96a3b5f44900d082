# Admit: `make run` serves the demo, `make test` runs every test against the
# real local stack. Both install what is missing (scripts/stack).

SHELL := /bin/bash
export PATH := $(PATH):/usr/local/go/bin
GO ?= go
BIN := bin/admit
VERSION ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X main.version=$(VERSION)

.PHONY: run test fuzz stop build stack vet ha ha-down faults drill-ha deploys layout screenshots

build:
	@$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/admit

stack:
	@scripts/stack up

# The README's Layout table, from the packages' doc comments.
layout:
	$(GO) test -count=1 -run TestReadmeLayoutIsCurrent ./internal/tests/deps -update

run: stack build
	@scripts/run $(BIN)

test: stack
	$(GO) vet ./...
	$(GO) test -race -count=1 -timeout 20m ./...
	@$(MAKE) --no-print-directory fuzz

# Each fuzz target for FUZZTIME on top of its seed corpus (which go test
# runs as ordinary tests), against the real stack where it needs one. A
# failing input is saved under the package's testdata/fuzz and replayed by
# every later go test. Minimizing is capped: the live-stack targets take
# milliseconds per input. FUZZTIME is a count of inputs, not a duration:
# Go 1.26's fuzzer can fail a target with "context deadline exceeded" when
# a duration ends while an input runs (go.dev/issue/75804, fixed in 1.27);
# 1000 inputs is about 5 s for the slowest target here.
FUZZTIME ?= 1000x
FUZZ_TARGETS := ./internal/web:FuzzEventDescriptionMarkdown ./internal/web:FuzzCheckoutForms \
	./internal/webhook:FuzzURLPolicy ./internal/api:FuzzCheckoutAPIBodies ./internal/api:FuzzV1Bodies

fuzz: stack
	@for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; name=$${t##*:}; \
		echo "fuzz $$name ($$pkg, $(FUZZTIME))"; \
		$(GO) test -run='^$$' -fuzz="^$$name\$$" -fuzztime=$(FUZZTIME) -fuzzminimizetime=10x -parallel=2 $$pkg || exit 1; \
	done

stop:
	@scripts/stack down

# PNGs of the event page, checkout, confirmation, dashboard, order detail
# and check-in at 390 and 1280 px, in var/screenshots, taken in Chromium
# from a demo served on a port and database of its own.
screenshots: stack
	@mkdir -p var/screenshots
	ADMIT_SCREENSHOTS_DIR=$(CURDIR)/var/screenshots $(GO) test -count=1 -run '^TestBrowserScreenshots$$' -v ./cmd/admit | grep -E '^(---|ok|FAIL)|wrote'


# The paired (high-availability) stack on loopback addresses: scripts/ha.
ha: build
	@scripts/ha up

ha-down:
	@scripts/ha down

# The fault test: each component killed in turn under load, then the
# invariants checked (scripts/faults; FAULTS_FLAGS=-quick for a short run).
faults: ha
	@scripts/faults $(FAULTS_FLAGS)

# The restore drill on the paired stack (scripts/ha drill): it deletes every
# order of that stack and puts them back; the stack must be up (make ha).
drill-ha:
	@scripts/ha drill

# The deploy test: a good deploy, a rollback and two broken canaries rolled
# back on their own, under load (scripts/deploys; DEPLOYS_REV=HEAD builds a
# revision rather than the working tree).
deploys: ha
	@scripts/deploys $(FAULTS_FLAGS)
