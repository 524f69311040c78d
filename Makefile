# The two commands of the README:
#   make notebooks   set up (Jupyter, kernel) and execute every notebook (FER_MODE=quick; make notebooks FER_MODE=full for the thesis's settings)
#   make test        vet, unit tests, and every notebook executed in quick mode into a scratch folder
SHELL := /bin/bash

# Where the datasets are (never committed). Default: ../shared/data beside the
# checkout if it exists, else ~/.local/share/fer/data.
FER_DATA_DIR ?= $(if $(wildcard ../shared/data),$(abspath ../shared/data),$(HOME)/.local/share/fer/data)
FER_MODE ?= quick
export FER_DATA_DIR FER_MODE
export GOEXPERIMENT ?= simd
export GOTOOLCHAIN := local

OUT := out

.PHONY: all test-setup install notebooks notebooks-update runs test vet unit test-notebooks test-book browser-test lint-docker book kernel uninstall clean

all: notebooks

# Jupyter (Debian packages if missing and root) + the "Go (fer)" kernel in your Jupyter data dir.
install:
	scripts/install.sh

kernel:
	go run ./cmd/fer kernel install

uninstall:
	go run ./cmd/fer kernel uninstall

# Main job: install, then execute all notebooks into out/notebooks (copies + HTML).
notebooks: install
	go run ./cmd/fer notebooks --mode $(FER_MODE) --out $(OUT)/notebooks

# Re-execute and write the outputs back into notebooks/ (to commit a real run).
notebooks-update: install
	go run ./cmd/fer notebooks --mode $(FER_MODE) --out $(OUT)/notebooks --update

# Copy the long runs committed in runs/ (results, logits, final checkpoints;
# see runs/*/README.md) into out/, where the full-mode notebooks 08, 09b and 09c
# look for them: they then re-evaluate the recorded models from their
# checkpoints instead of training for hours. A folder already in out/ is left
# alone. Use: make runs && make notebooks FER_MODE=full
RUNS := fer2013-full:reproduce-fer2013-full fer2013-vgg:beyond-full fer2013-vgg-restart:beyond-restart-full fer2013-vgg-c3:beyond-c3-full fer2013-vgg-swa:beyond-swa-full ferplus-vgg:beyond-ferplus-full
runs:
	@mkdir -p $(OUT); for r in $(RUNS); do src=runs/$${r%%:*}; dst=$(OUT)/$${r##*:}; \
	  if [[ -e $$dst ]]; then echo "$$dst exists: left alone"; else cp -r $$src $$dst || exit 1; echo "$$src -> $$dst"; fi; done

# A static HTML site of the notebooks (as committed, with the outputs of a
# real run) for people who only want to read: out/book/index.html.
# BOOK_FROM=out/notebooks publishes a fresh execution instead.
BOOK_FROM ?= notebooks
book:
	go run ./cmd/fer book --from $(BOOK_FROM) --out $(OUT)/book

# third_party/compute keeps upstream's formatting; its patched packages are
# vetted. In dot/matmul upstream's own files trip vet's unsafe.Pointer check,
# so only findings in our fer_*.go files fail there.
COMPUTE_PATCHED = ./internal/gobackend/workerspool ./internal/gobackend/ops ./internal/gobackend/fusedops
vet:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' ':!third_party') $$(git ls-files 'third_party/compute/**/fer_*.go')); if [[ -n "$$unformatted" ]]; then echo "gofmt needed: $$unformatted"; exit 1; fi
	go build ./...
	go vet ./...
	cd third_party/compute && GOWORK=off GOFLAGS=-buildvcs=false go vet $(COMPUTE_PATCHED)
	@cd third_party/compute && out=$$(GOWORK=off GOFLAGS=-buildvcs=false go vet ./internal/gobackend/dot/matmul 2>&1 | grep '/fer_'); if [[ -n "$$out" ]]; then echo "$$out"; exit 1; fi

# tools/dockerlint and third_party/compute are modules of their own: ./... does
# not reach them. Of compute, the Go backend's tests (the patched code and
# upstream's compliance suite).
unit:
	go test -timeout 30m ./...
	cd tools/dockerlint && GOWORK=off GOFLAGS=-buildvcs=false go test ./...
	cd third_party/compute && GOWORK=off GOFLAGS=-buildvcs=false go test ./gobackend/ ./internal/gobackend/...

# Tests use a kernel installed into a scratch Jupyter dir.
# (--build: the same call as the Dockerfile's last RUN step.)
test-setup:
	JUPYTER_DATA_DIR=$(CURDIR)/$(OUT)/test-jupyter scripts/install.sh --build

# Notebooks in quick mode, executed into a scratch folder.
test-notebooks:
	JUPYTER_DATA_DIR=$(CURDIR)/$(OUT)/test-jupyter go run ./cmd/fer notebooks --mode quick --out $(OUT)/test-notebooks --min-images 1

# The book of the notebooks just executed in quick mode (checked: links, figures).
test-book:
	go run ./cmd/fer book --from $(OUT)/test-notebooks --out $(OUT)/test-book

# The chapter 5 notebook run in Jupyter Notebook by headless Chromium (outputs
# cleared first); screenshots in out/browser.
browser-test: test-setup
	JUPYTER_DATA_DIR=$(CURDIR)/$(OUT)/test-jupyter OUT_DIR=$(CURDIR)/$(OUT)/browser scripts/browser-test.sh

# Lint the Dockerfile without Docker: BuildKit's parser and checks for VARIANT=cpu and cuda,
# every RUN a call of scripts/install.sh, COPY sources present (tools/dockerlint).
lint-docker:
	scripts/lint-dockerfile.sh

test: test-setup lint-docker vet unit test-notebooks test-book browser-test

clean:
	rm -rf $(OUT)
