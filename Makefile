# Tutti: `make run` starts the service, `make test` passes every test. Both install the
# Debian packages they need first.
SWIFT ?= swift
SWIFT_FLAGS ?=
DATA ?= .tutti-data

.PHONY: run test test-under-load build deps fixtures bench-transcode clean contract

deps:
	@tools/install-deps.sh

build: deps
	$(SWIFT) build $(SWIFT_FLAGS)

test: deps
	$(SWIFT) test $(SWIFT_FLAGS)

# The whole suite three times in a row beside `stress-ng --cpu 2` (see the script).
test-under-load: deps
	SWIFT="$(SWIFT)" SWIFT_FLAGS="$(SWIFT_FLAGS)" tools/test-under-load.sh

# The contract check: schemathesis (pinned in the script) against a live demo server, as an
# admin, an artist and a listener; 0 failures or it fails. See tools/contract-check.sh.
contract: build
	tools/contract-check.sh "$$($(SWIFT) build $(SWIFT_FLAGS) --show-bin-path)/tutti"

run: build
	@tools/run-demo.sh "$$($(SWIFT) build $(SWIFT_FLAGS) --show-bin-path)/tutti" "$(DATA)"

# Regenerates the audio fixtures in media/fixtures (they are committed; see media/README.md).
fixtures: deps
	tools/make-fixtures.sh media/fixtures

bench-transcode: deps
	tools/bench/transcode.sh

clean:
	rm -rf .build $(DATA)
