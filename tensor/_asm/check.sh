#!/usr/bin/env bash
# check.sh regenerates the avo kernels (tensor/_asm/gemm → internal/gemm,
# tensor/_asm/vec → internal/vec) and fails if a committed .s or stub file
# differs from what the generators emit. The committed files are left as
# they were either way. Takes a few seconds (plus a first module download).
set -euo pipefail
cd "$(dirname "$0")"
tmp=$(mktemp -d)
status=0
check() { # generator-dir package file-prefix
	local gen=$1 pkg=$2 pre=$3 out=../internal/$2
	mkdir -p "$tmp/$pkg"
	cp "$out/${pre}_amd64.s" "$out/${pre}_amd64_stub.go" "$tmp/$pkg/"
	(cd "$gen" && go run . -out "../$out/${pre}_amd64.s" -stubs "../$out/${pre}_amd64_stub.go" -pkg "$pkg")
	for f in "${pre}_amd64.s" "${pre}_amd64_stub.go"; do
		if ! diff -u "$tmp/$pkg/$f" "$out/$f"; then
			echo "tensor/internal/$pkg/$f is stale: run 'go generate ./tensor/internal/$pkg' and commit" >&2
			status=1
		fi
		cp "$tmp/$pkg/$f" "$out/$f"
	done
}
check gemm gemm kernel
check vec vec vec
rm -rf "$tmp"
[ "$status" = 0 ] && echo "avo kernels up to date"
exit "$status"
