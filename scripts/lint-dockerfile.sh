#!/usr/bin/env bash
# Lints the Dockerfile without a Docker engine (none runs on CI machines):
# BuildKit's own parser and lint rules for both variants (VARIANT=cpu, cuda),
# every RUN a call of scripts/install.sh with flags it accepts, every COPY
# source present and not excluded by .dockerignore, base images pinned.
# See tools/dockerlint (a module of its own, so BuildKit stays out of go.mod).
#
#   scripts/lint-dockerfile.sh                 # lints ./Dockerfile
#   scripts/lint-dockerfile.sh path/to/Dockerfile [-v]
#
# Prints FILE:LINE: message per problem; exits 1 if there is any.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

args=()
file=
for a in "$@"; do
  case "$a" in
    -h | --help)
      sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'
      exit 0 ;;
    -*) args+=("$a") ;;
    *)
      [[ -z $file ]] || { echo "lint-dockerfile.sh: one Dockerfile at a time" >&2; exit 2; }
      file=$a ;;
  esac
done
# A relative path is relative to where the script was called from.
if [[ -n $file && $file != /* ]]; then
  file="$OLDPWD/$file"
fi

command -v go >/dev/null || { echo "lint-dockerfile.sh: the go command is required" >&2; exit 2; }
# Built once into out/ (go build skips relinking when nothing changed).
bin="$root/out/bin/dockerlint"
mkdir -p "$(dirname "$bin")"
(cd tools/dockerlint && GOWORK=off GOTOOLCHAIN=local GOFLAGS="-mod=readonly -buildvcs=false" go build -o "$bin" .) ||
  { echo "lint-dockerfile.sh: building tools/dockerlint failed (it needs github.com/moby/buildkit from the Go module proxy once)" >&2; exit 2; }

exec "$bin" -C "$root" "${args[@]}" ${file:+"$file"}
