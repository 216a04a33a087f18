# QR Stand — the index of what a developer can do. `make help` lists it.

SHELL       := /bin/bash
GO          ?= go
GOBIN       := $(shell $(GO) env GOPATH)/bin
BUILD       := .build
RUN_DIR     := .run
STATICCHECK := $(GOBIN)/staticcheck
STATICCHECK_VERSION := v0.8.2
VERSION     := $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS     := -s -w -X main.version=$(VERSION)
BENCHTIME   ?= 1s

# Ports for `make run`; the embedded broker stays off 1883, which a system
# Mosquitto usually holds.
HTTP_ADDR   ?= 127.0.0.1:8080
MQTT_ADDR   ?= 127.0.0.1:1884
STAND_ADDR  ?= 127.0.0.1:8090

.PHONY: help run run-stand run-check test test-short lint bench build build-pi fuzz clean load

help:
	@echo "make run        the whole system locally (cloud + embedded broker + WeChat simulator + one simulated stand)"
	@echo "make run-stand  only the simulated stand (e.g. after stopping it with pkill -INT -f 'qrstand -sim')"
	@echo "make test       the full test suite (services it finds on 127.0.0.1 are used; CI=true makes them required)"
	@echo "make lint       go vet, gofmt, staticcheck"
	@echo "make bench      benchmarks (BENCHTIME=$(BENCHTIME), e.g. BENCHTIME=2s)"
	@echo "make load       qrstand-load: virtual stands against a child cloud (LOAD='-stands 20 -rate 10 -duration 30s')"
	@echo "make build      binaries for this machine into $(BUILD)/"
	@echo "make build-pi   stand binaries for a Raspberry Pi (linux/arm64 and linux/arm v6) into $(BUILD)/"
	@echo "make fuzz       run every fuzz target for FUZZTIME each (default 20s)"

# Two processes: the cloud in dev mode (SQLite, embedded broker, WeChat
# simulators, seeded logins) and one simulated stand provisioned from the
# credentials file the cloud writes. Ctrl-C stops both. The stand may be
# stopped alone (pkill -INT -f 'qrstand -sim') and started again with
# `make run-stand` while the cloud keeps running.
STAND_CMD = $(BUILD)/qrstand -sim $(RUN_DIR)/stand -sim-battery -provision $(RUN_DIR)/demo-stand.json -http $(STAND_ADDR)

run: run-check
	@trap 'kill -INT $$cloud $$stand 2>/dev/null; wait; exit 0' INT TERM; \
	$(BUILD)/qrstand-cloud -dev -data $(RUN_DIR) -http $(HTTP_ADDR) -mqtt $(MQTT_ADDR) & cloud=$$!; \
	$(STAND_CMD) & stand=$$!; \
	echo "make run: cloud http://$(HTTP_ADDR)  stand simulator http://$(STAND_ADDR)  (Ctrl-C stops both)"; \
	wait $$cloud; status=$$?; kill -INT $$stand 2>/dev/null; wait; exit $$status

# The simulated stand alone, against a cloud started by `make run`.
run-stand:
	$(GO) build -ldflags '$(LDFLAGS)' -o $(BUILD)/ ./firmware/cmd/qrstand
	$(STAND_CMD)

run-check:
	@mkdir -p $(RUN_DIR) $(BUILD)
	@for v in HTTP_ADDR=$(HTTP_ADDR) MQTT_ADDR=$(MQTT_ADDR) STAND_ADDR=$(STAND_ADDR); do \
	  a=$${v#*=}; if (exec 3<>/dev/tcp/$${a%:*}/$${a##*:}) 2>/dev/null; then \
	    echo "make run: $$a is already in use; pick another port, e.g. make run $${v%%=*}=$${a%:*}:$$(( $${a##*:} + 1 ))"; exit 1; fi; \
	done
	$(GO) build -ldflags '$(LDFLAGS)' -o $(BUILD)/ ./cloud/cmd/qrstand-cloud ./firmware/cmd/qrstand

test:
	$(GO) test -race -count=1 ./...

test-short:
	$(GO) test -short -count=1 ./...

lint: $(STATICCHECK)
	$(GO) vet ./...
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(STATICCHECK) ./...

$(STATICCHECK):
	$(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

bench:
	$(GO) test -run '^$$' -bench . -benchmem -benchtime $(BENCHTIME) ./...

FUZZTIME ?= 20s
fuzz:
	@for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
	    echo "== $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	  done; \
	done

# qrstand-load with its own child cloud, built from this tree.
LOAD ?= -stands 20 -stores 4 -rate 10 -duration 30s
load:
	@mkdir -p $(BUILD)
	$(GO) build -ldflags '$(LDFLAGS)' -o $(BUILD)/ ./cloud/cmd/qrstand-cloud ./firmware/cmd/qrstand-load
	QRSTAND_CLOUD_BIN=$(BUILD)/qrstand-cloud $(BUILD)/qrstand-load $(LOAD)

build:
	@mkdir -p $(BUILD)
	$(GO) build -ldflags '$(LDFLAGS)' -o $(BUILD)/ ./cloud/cmd/... ./firmware/cmd/... ./printer/cmd/...

# The stand links SQLite through cgo, so cross builds need a cross compiler
# (Debian: gcc-aarch64-linux-gnu, gcc-arm-linux-gnueabihf). arm64 is for the
# Pi Zero 2 W, 3, 4 and 5 on a 64-bit OS. The armv6 build (Pi Zero W, Pi 1)
# asks Debian's armhf compiler for ARMv6 code; its C runtime objects target
# ARMv7, so test that binary on the device before relying on it.
build-pi:
	@mkdir -p $(BUILD)/linux_arm64 $(BUILD)/linux_armv6
	CGO_ENABLED=1 CC=aarch64-linux-gnu-gcc GOOS=linux GOARCH=arm64 \
	  $(GO) build -ldflags '$(LDFLAGS)' -o $(BUILD)/linux_arm64/ ./firmware/cmd/...
	CGO_ENABLED=1 CC=arm-linux-gnueabihf-gcc CGO_CFLAGS='-O2 -march=armv6 -mfpu=vfp -mfloat-abi=hard -marm' \
	  GOOS=linux GOARCH=arm GOARM=6 \
	  $(GO) build -ldflags '$(LDFLAGS)' -o $(BUILD)/linux_armv6/ ./firmware/cmd/...

clean:
	rm -rf $(BUILD)
