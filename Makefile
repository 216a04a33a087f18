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

.PHONY: help run run-stand run-check test test-short lint bench build build-pi fuzz clean load faults

help:
	@echo "make run        the whole system locally (cloud + embedded broker + WeChat simulator + one simulated stand)"
	@echo "make run-stand  only the simulated stand (e.g. after stopping it with pkill -INT -f 'qrstand -sim')"
	@echo "make test       the full test suite (services it finds on 127.0.0.1 are used; CI=true makes them required)"
	@echo "make lint       go vet, gofmt, staticcheck"
	@echo "make bench      benchmarks (BENCHTIME=$(BENCHTIME), e.g. BENCHTIME=2s)"
	@echo "make load       qrstand-load: virtual stands against a child cloud (LOAD='-stands 20 -rate 10 -duration 30s')"
	@echo "make faults     the fault matrix over ≥ 1,000 payments, embedded and scale-out (Mosquitto + 2 nodes on PostgreSQL); a small version runs in make test"
	@echo "make build      binaries for this machine into $(BUILD)/"
	@echo "make build-pi   stand binaries for a Raspberry Pi (arm64, armhf, armv6) into $(BUILD)/"
	@echo "make test-pi    stand-side tests for arm64, armhf and ARMv6 under qemu-user"
	@echo "make deb        Debian packages (stand, cloud, voice pack) into $(BUILD)/deb"
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

# The fault matrix (firmware/internal/faults): every fault while payments
# flow, a table row each; fails on any loss or unlabelled repeat.
faults:
	@mkdir -p $(BUILD)
	$(GO) build -o $(BUILD)/ ./cloud/cmd/qrstand-cloud
	QRSTAND_CLOUD_BIN=$(abspath $(BUILD))/qrstand-cloud $(GO) test -count=1 -v -timeout 40m -run '^TestFaults$$' ./firmware/internal/faults -faults.full

build:
	@mkdir -p $(BUILD)
	$(GO) build -ldflags '$(LDFLAGS)' -o $(BUILD)/ ./cloud/cmd/... ./firmware/cmd/... ./printer/cmd/...

# --- Raspberry Pi: cross builds, tests under qemu-user, Debian packages -------
# The stand links SQLite through cgo, so cross builds need Debian's cross
# compilers (gcc-aarch64-linux-gnu, gcc-arm-linux-gnueabihf,
# gcc-arm-linux-gnueabi) and test runs need qemu-user-static; .ci/run
# installs them. Three stand targets:
#   arm64  Pi Zero 2 W, 3, 4, 5 on a 64-bit OS (dynamic, Debian arm64 libc)
#   armhf  Pi 2, 3, 4 on a 32-bit OS (ARMv7, dynamic, Debian armhf libc)
#   armv6  Pi Zero W and Pi 1: Debian's armhf libc is ARMv7 and traps on an
#          ARM1176, so this one links statically against Debian's armel libc
#          (ARMv5T code) with GOARM=6: every instruction in it is ARMv6, and
#          it needs no loader, so it runs on Raspberry Pi OS's ARMv6 armhf too.
PI_PKGS     := ./firmware/... ./display/... ./printer/... ./mqtt/...
PI_ARM64    := CGO_ENABLED=1 CC=aarch64-linux-gnu-gcc GOOS=linux GOARCH=arm64
PI_ARMHF    := CGO_ENABLED=1 CC=arm-linux-gnueabihf-gcc GOOS=linux GOARCH=arm GOARM=7
PI_ARMV6    := CGO_ENABLED=1 CC=arm-linux-gnueabi-gcc GOOS=linux GOARCH=arm GOARM=6
PI_V6_TAGS  := -tags netgo,osusergo,sqlite_omit_load_extension
PI_V6_LINK  := -linkmode external -extldflags -static
# qemu-user runs one foreign binary; QEMU_LD_PREFIX finds its loader and libc
# (and is inherited by tests that start themselves as a child process, which
# the kernel hands to qemu when binfmt_misc has its handler: see .ci/run).
PI_EXEC_ARM64 := QEMU_LD_PREFIX=/usr/aarch64-linux-gnu $(GO) test -count=1 -exec qemu-aarch64-static
PI_EXEC_ARMHF := QEMU_LD_PREFIX=/usr/arm-linux-gnueabihf $(GO) test -count=1 -exec qemu-arm-static
# Left out under emulation: TestOffline500 journals 500 events with an fsync
# each and waits for their acks within fixed bounds; under qemu it measures
# the emulator (it timed out here at 1 min for the acks). It runs natively in
# `make test`.
PI_SKIP     := -skip '^TestOffline500$$'
# The ARMv6 run is a subset: the packages with C (the journal's SQLite) and
# float-heavy code (speech, display, printer rendering), on qemu's ARM1176.
PI_V6_PKGS  := ./firmware/internal/journal ./firmware/internal/update ./firmware/internal/speech ./firmware/internal/config ./display/... ./printer/... ./mqtt ./mqtt/bundle

.PHONY: test-pi test-pi-arm64 test-pi-armhf test-pi-armv6 deb

build-pi:
	@mkdir -p $(BUILD)/linux_arm64 $(BUILD)/linux_armhf $(BUILD)/linux_armv6
	$(PI_ARM64) $(GO) build -ldflags '$(LDFLAGS)' -o $(BUILD)/linux_arm64/ ./firmware/cmd/...
	$(PI_ARMHF) $(GO) build -ldflags '$(LDFLAGS)' -o $(BUILD)/linux_armhf/ ./firmware/cmd/...
	$(PI_ARMV6) $(GO) build $(PI_V6_TAGS) -ldflags '$(LDFLAGS) $(PI_V6_LINK)' -o $(BUILD)/linux_armv6/ ./firmware/cmd/...

test-pi: test-pi-arm64 test-pi-armhf test-pi-armv6

test-pi-arm64:
	$(PI_ARM64) $(PI_EXEC_ARM64) $(PI_SKIP) $(PI_PKGS)

test-pi-armhf:
	$(PI_ARMHF) $(PI_EXEC_ARMHF) $(PI_SKIP) $(PI_PKGS)

test-pi-armv6:
	$(PI_ARMV6) $(GO) test -count=1 $(PI_V6_TAGS) -ldflags '$(PI_V6_LINK)' \
	  -exec 'qemu-arm-static -cpu arm1176' $(PI_V6_PKGS)

# Debian packages (nfpm as a library in firmware/packaging, a module of its
# own so nfpm's dependencies stay out of go.mod) into
# $(BUILD)/deb: the stand for arm64 and armhf, the cloud for amd64 and arm64,
# and the default voice pack (arch all, its own licence).
deb:
	@mkdir -p $(BUILD)/deb/linux_amd64 $(BUILD)/deb/linux_arm64 $(BUILD)/deb/linux_armhf
	$(PI_ARM64) $(GO) build -ldflags '$(LDFLAGS)' -o $(BUILD)/deb/linux_arm64/ ./firmware/cmd/qrstand
	$(PI_ARMHF) $(GO) build -ldflags '$(LDFLAGS)' -o $(BUILD)/deb/linux_armhf/ ./firmware/cmd/qrstand
	CGO_ENABLED=1 GOOS=linux GOARCH=amd64 $(GO) build -ldflags '$(LDFLAGS)' -o $(BUILD)/deb/linux_amd64/ ./cloud/cmd/qrstand-cloud
	$(PI_ARM64) $(GO) build -ldflags '$(LDFLAGS)' -o $(BUILD)/deb/linux_arm64/ ./cloud/cmd/qrstand-cloud
	cd firmware/packaging && $(GO) run ./mkdeb -root ../.. -version $(VERSION) -bin $(abspath $(BUILD)/deb) -out $(abspath $(BUILD)/deb)
# --- end Raspberry Pi --------------------------------------------------------

clean:
	rm -rf $(BUILD)
