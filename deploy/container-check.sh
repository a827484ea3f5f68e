#!/usr/bin/env bash
# Builds the rakam container image (Containerfile at the repository root)
# with podman and checks what is inside it, without running a container
# (no registry and no container runtime are needed, only podman build):
#
#   1. a static binary (CGO_ENABLED=0) and a small model trained on the
#      spot (rakam train, one epoch of an MLP on 2,000 images);
#   2. podman build: the image's user (65532:65532, not root), port 8080,
#      PORT, entrypoint, and that every layer comes from a COPY (no RUN);
#   3. podman save, then the layers unpacked with tar: the binary in the
#      image is the one built, and, run on this host as the entrypoint would
#      run it, 'rakam version' works and 'rakam serve' answers
#      /v2/health/ready, /v2/models/NAME and an inference request, turns
#      /readyz to 503 on SIGTERM during --drain-delay and exits 0.
#
# Exit 0 with a "SKIP" line only when podman cannot build an image at all
# on this machine (not installed, or a trivial FROM scratch build fails);
# any other failure exits 1. Takes 20-60 s, most of it the Go build.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

say() { printf 'container-check: %s\n' "$*"; }
fail() { say "FAIL: $*"; exit 1; }

work=$(mktemp -d)
image="localhost/rakam-container-check:$$"
probe="localhost/rakam-container-probe:$$"
server=""
cleanup() {
  if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; fi
  podman rmi -f "$image" "$probe" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

# --- can podman build at all here?
if ! command -v podman >/dev/null 2>&1; then
  say "SKIP: podman is not installed, so no image can be built on this machine (apt-get install podman)"
  exit 0
fi
mkdir -p "$work/probe"
echo probe >"$work/probe/file"
printf 'FROM scratch\nCOPY file /file\n' >"$work/probe/Containerfile"
if ! podman build -q --layers=false -t "$probe" -f "$work/probe/Containerfile" "$work/probe" >"$work/probe.log" 2>&1; then
  say "SKIP: podman cannot build even a FROM scratch image on this machine:"
  sed 's/^/  /' "$work/probe.log" | tail -5
  exit 0
fi
podman rmi -f "$probe" >/dev/null 2>&1 || true
command -v curl >/dev/null 2>&1 || fail "curl is needed to talk to the server (apt-get install curl)"

# --- 1. the binary and a model
ctx="$work/context"
mkdir -p "$ctx"
say "building a static binary (CGO_ENABLED=0)"
# With the commit stamped when git allows it (rakam version then names it),
# else as GOFLAGS says (CI sets -buildvcs=false).
if ! CGO_ENABLED=0 go build -buildvcs=true -trimpath -o "$ctx/rakam" ./cmd/rakam 2>"$work/vcs.log"; then
  say "building without the commit stamped ($(head -1 "$work/vcs.log"))"
  CGO_ENABLED=0 go build -trimpath -o "$ctx/rakam" ./cmd/rakam
fi
buildinfo=$(go version -m "$ctx/rakam")
[[ "$buildinfo" == *CGO_ENABLED=0* ]] || fail "the binary was not built with CGO_ENABLED=0"
say "training a small model (baseline-adam, 1 epoch on 2,000 images)"
"$ctx/rakam" train --model baseline-adam --epochs 1 --train-limit 2000 --quiet \
  --out "$ctx/model.safetensors" >"$work/train.log" 2>&1 || { cat "$work/train.log"; fail "rakam train failed"; }
cp LICENSE "$ctx/LICENSE"

# --- 2. the image
say "podman build"
podman build -q --layers=false -f "$root/Containerfile" --build-arg BINARY=rakam --build-arg MODEL=model.safetensors \
  -t "$image" "$ctx" >"$work/build.log" 2>&1 || { cat "$work/build.log"; fail "podman build failed"; }
inspect() { podman image inspect --format "$1" "$image"; }
[ "$(inspect '{{.Config.User}}')" = "65532:65532" ] || fail "image user is '$(inspect '{{.Config.User}}')'; want 65532:65532"
[ "$(inspect '{{json .Config.Entrypoint}}')" = '["/rakam","serve","--model","/model.safetensors"]' ] ||
  fail "entrypoint is $(inspect '{{json .Config.Entrypoint}}')"
# (Outputs are captured before matching: with pipefail, grep -q leaving a
# pipe early could turn a match into a failed pipeline.)
ports=$(inspect '{{json .Config.ExposedPorts}}')
[[ "$ports" == *'"8080/tcp"'* ]] || fail "port 8080 is not exposed: $ports"
envs=$(inspect '{{json .Config.Env}}')
[[ "$envs" == *'"PORT=8080"'* ]] || fail "PORT=8080 is not set: $envs"
history=$(podman history --no-trunc --format '{{.CreatedBy}}' "$image")
[ -n "$history" ] || fail "podman history is empty"
ran=$(grep -v '#(nop)' <<<"$history" || true)
[ -z "$ran" ] || fail "the image has a step that ran a command (want COPY, ENV, USER ... only): $ran"

# --- 3. the layers, unpacked
say "podman save and unpacking the layers"
podman save --format docker-archive -o "$work/image.tar" "$image" >/dev/null 2>&1 || fail "podman save failed"
mkdir -p "$work/saved" "$work/rootfs"
tar -xf "$work/image.tar" -C "$work/saved"
layers=$(grep -o '"[^"]*\.tar"' "$work/saved/manifest.json" | tr -d '"')
[ -n "$layers" ] || fail "no layers in the saved image's manifest.json"
for l in $layers; do
  tar -xf "$work/saved/$l" -C "$work/rootfs"
done
fs="$work/rootfs"
[ -x "$fs/rakam" ] && [ -f "$fs/model.safetensors" ] && [ -f "$fs/LICENSE" ] ||
  fail "the image lacks /rakam, /model.safetensors or /LICENSE: $(ls -la "$fs")"
cmp -s "$fs/rakam" "$ctx/rakam" || fail "/rakam in the image differs from the binary built"
[ "$(find "$fs" -mindepth 1 | wc -l)" -eq 3 ] || fail "the image holds more than the three files: $(find "$fs" -mindepth 1)"

"$fs/rakam" version
vjson=$("$fs/rakam" version --json)
[[ "$vjson" == *"\"go\": \"$(go env GOVERSION)\""* ]] || fail "rakam version --json does not name $(go env GOVERSION): $vjson"
[[ "$vjson" == *"\"arch\": \"$(go env GOARCH)\""* ]] || fail "rakam version --json does not name $(go env GOARCH): $vjson"
commit=$(sed -n 's/.*"commit": "\([^"]*\)".*/\1/p' <<<"$vjson")
if [ "$commit" != unknown ] && [ "$commit" != "$(git rev-parse HEAD 2>/dev/null)" ]; then
  fail "rakam version says commit $commit; HEAD is $(git rev-parse HEAD)"
fi

# Run it as the entrypoint would, with the model path inside the unpacked
# image and PORT=0 (a free port; in the image PORT is 8080).
say "rakam serve from the image, on this host"
PORT=0 "$fs/rakam" serve --model "$fs/model.safetensors" --drain-delay 2s 2>"$work/serve.log" &
server=$!
url=""
for _ in $(seq 100); do
  url=$(sed -n 's|.* on http://[^ ]*:\([0-9][0-9]*\)/ .*|http://127.0.0.1:\1|p' "$work/serve.log" | head -1)
  [ -n "$url" ] && break
  kill -0 "$server" 2>/dev/null || { cat "$work/serve.log"; fail "rakam serve exited"; }
  sleep 0.1
done
[ -n "$url" ] || { cat "$work/serve.log"; fail "rakam serve never said where it listens"; }
code=$(curl -s -o /dev/null -w '%{http_code}' "$url/v2/health/ready")
[ "$code" = 200 ] || fail "GET /v2/health/ready = $code; want 200"
health=$(curl -fsS "$url/healthz")
name=$(sed -n 's/.*"model":"\([^"]*\)".*/\1/p' <<<"$health")
[ -n "$name" ] || fail "GET /healthz = $health; want the model's name"
meta=$(curl -fsS "$url/v2/models/$name")
[[ "$meta" == *'"name":"input"'* ]] || fail "GET /v2/models/$name = $meta; want an input named input"
zeros=$(printf '0,%.0s' $(seq 783))0
answer=$(curl -sS -X POST -H 'Content-Type: application/json' \
  -d "{\"id\":\"check\",\"inputs\":[{\"name\":\"input\",\"datatype\":\"FP32\",\"shape\":[1,784],\"data\":[$zeros]}]}" \
  "$url/v2/models/$name/infer")
[[ "$answer" == *'"name":"label"'* && "$answer" == *'"id":"check"'* ]] ||
  fail "POST /v2/models/$name/infer answered $answer"
kill -TERM "$server"
code=""
for _ in $(seq 20); do
  code=$(curl -s -o /dev/null -w '%{http_code}' "$url/readyz" || true)
  [ "$code" = 503 ] && break
  sleep 0.05
done
[ "$code" = 503 ] || fail "GET /readyz after SIGTERM = $code; want 503 while draining"
status=0
wait "$server" || status=$?
server=""
[ "$status" = 0 ] || { cat "$work/serve.log"; fail "rakam serve exited $status after SIGTERM; want 0"; }
say "ok: image $(podman image inspect --format '{{.Size}}' "$image" 2>/dev/null || echo '?') bytes, user 65532, model \"$name\"; the binary inside answers /v2"
