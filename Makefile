# exhunt developer tasks. `make help` lists them.
FUZZTIME ?= 60s
GO ?= go

# package:FuzzTarget pairs; every parser of untrusted input has one.
FUZZ = \
	./internal/evidence:FuzzZip \
	./internal/hunt:FuzzClassify \
	./internal/iislog:FuzzParse \
	./internal/exlog:FuzzParse \
	./internal/eventlog:FuzzRead \
	./internal/eventlog:FuzzChunk \
	./internal/exchange:FuzzParseBuild \
	./internal/kbfeed:FuzzParseCVERecord \
	./internal/kbfeed:FuzzParseKEV \
	./internal/mailhdr:FuzzParse \
	./internal/rules:FuzzParse \
	./internal/rules:FuzzCondition \
	./internal/rules:FuzzCandidate \
	./internal/yara:FuzzCompile \
	./internal/yara:FuzzScan \
	./internal/filecheck:FuzzDetect \
	./internal/ruleset:FuzzExtract \
	./internal/store/result:FuzzReadResults \
	./internal/schema:FuzzValidate \
	./internal/report:FuzzExports \
	./internal/safetext:FuzzLine \
	./internal/scan:FuzzParseEntry \
	./internal/scan:FuzzNTLMChallenge \
	./internal/scan:FuzzBuildParsers \
	./internal/scan:FuzzObserve \
	./internal/jsonfmt:FuzzIndent \
	./internal/collect:FuzzVerify \
	./internal/collect:FuzzParseManifest \
	./internal/collect:FuzzApplicationHost \
	./internal/peversion:FuzzRead \
	./internal/web:FuzzFleetQuery

.PHONY: help build test vet fmt fuzz windows ci
help: ## list the targets
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-8s %s\n", $$1, $$2}'
build: ## build ./exhunt
	CGO_ENABLED=0 $(GO) build -trimpath -o exhunt ./cmd/exhunt
test: ## run every test (the README's test command)
	$(GO) test ./...
vet: ## go vet
	$(GO) vet ./...
fmt: ## gofmt the tree
	gofmt -w $$(git ls-files '*.go')
windows: ## cross-build the Windows binary without cgo, and vet the Windows code
	CGO_ENABLED=0 GOOS=windows GOARCH=amd64 $(GO) build -trimpath -o exhunt.exe ./cmd/exhunt
	CGO_ENABLED=0 GOOS=windows GOARCH=amd64 $(GO) vet $$($(GO) list ./... | grep -v -x -F -f .ci/windows-vet-skip)
fuzz: ## run every fuzz target for FUZZTIME (default 60s)
	@for t in $(FUZZ); do pkg=$${t%%:*}; fn=$${t##*:}; \
		echo "== $$pkg $$fn"; \
		$(GO) test -run='^$$' -fuzz="^$$fn$$" -fuzztime=$(FUZZTIME) -fuzzminimizetime=5s $$pkg || exit 1; \
	done
ci: ## what CI runs
	bash .ci/run
