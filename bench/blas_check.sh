# blas_check.sh is sourced by the benchmarks that time NumPy or PyTorch.
# Debian's python3-numpy and python3-torch call whatever libblas.so.3 the
# alternatives system points at; installed with --no-install-recommends that
# is the netlib reference BLAS, some 20-40x slower than OpenBLAS, and every
# peer figure would be meaningless. blas_check stops the run in that case.
blas_check() {
	local lib=/usr/lib/x86_64-linux-gnu/libblas.so.3
	[ "$(uname -m)" = x86_64 ] && [ -e "$lib" ] || return 0
	case "$(readlink -f "$lib")" in
	*openblas* | *blis* | *mkl*) return 0 ;;
	esac
	echo "$0: $lib is $(readlink -f "$lib"), the reference BLAS: NumPy and PyTorch would run" >&2
	echo "  far below their real speed. Run: apt-get install -y libopenblas0-pthread" >&2
	exit 1
}
blas_check
