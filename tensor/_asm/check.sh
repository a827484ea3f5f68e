#!/usr/bin/env bash
# check.sh regenerates the avo kernels and fails if the committed
# kernel_amd64.s / kernel_amd64_stub.go differ from what the generator emits.
# The committed files are left as they were either way.
set -euo pipefail
cd "$(dirname "$0")"
out=../internal/gemm
tmp=$(mktemp -d)
trap 'cp "$tmp/kernel_amd64.s" "$tmp/kernel_amd64_stub.go" "$out/"; rm -rf "$tmp"' EXIT
cp "$out/kernel_amd64.s" "$out/kernel_amd64_stub.go" "$tmp/"
go run . -out ../internal/gemm/kernel_amd64.s -stubs ../internal/gemm/kernel_amd64_stub.go -pkg gemm
status=0
for f in kernel_amd64.s kernel_amd64_stub.go; do
	if ! diff -u "$tmp/$f" "$out/$f"; then
		echo "tensor/internal/gemm/$f is stale: run 'go generate ./tensor/internal/gemm' and commit" >&2
		status=1
	fi
done
[ "$status" = 0 ] && echo "avo kernels up to date"
exit "$status"
