# Admit: `make run` serves the demo, `make test` runs every test against the
# real local stack. Both install what is missing (scripts/stack).

SHELL := /bin/bash
export PATH := $(PATH):/usr/local/go/bin
GO ?= go
BIN := bin/admit
VERSION ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X main.version=$(VERSION)

.PHONY: run test stop build stack vet ha ha-down faults

build:
	@$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/admit

stack:
	@scripts/stack up

run: stack build
	@scripts/run $(BIN)

test: stack
	$(GO) vet ./...
	$(GO) test -race -count=1 -timeout 20m ./...

stop:
	@scripts/stack down

# The paired (high-availability) stack on loopback addresses: scripts/ha.
ha: build
	@scripts/ha up

ha-down:
	@scripts/ha down

# The fault test: each component killed in turn under load, then the
# invariants checked (scripts/faults; FAULTS_FLAGS=-quick for a short run).
faults: ha
	@scripts/faults $(FAULTS_FLAGS)
