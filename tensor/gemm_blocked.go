package tensor

import blocked "github.com/rakam-ml/rakam/tensor/internal/gemm"

// gemm runs the packed, blocked, multi-core implementation.
func gemm(threads int, tA, tB Transpose, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	blocked.SgemmThreads(threads, bool(tA), bool(tB), m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// SetThreads sets the process-wide default thread budget: how many threads
// a large Gemm, and nn's layer passes, use when their caller passed no
// budget of its own (the calling goroutine plus n-1 persistent workers).
// n < 1 restores runtime.GOMAXPROCS(0). It is for programs (a --threads
// flag); libraries pass a budget (GemmThreads, nn.Sequential.SetThreads)
// instead of changing it. The thread count changes speed only: every
// element of C goes through the same operations in the same order whatever
// the thread count, so results are bit-identical.
func SetThreads(n int) { blocked.SetThreads(n) }

// Kernels names the matrix micro-kernels Gemm runs on this CPU: the one
// chosen at start-up from the CPU's features (honouring GODEBUG, e.g.
// cpu.avx512f=off, and -tags purego), then the alternatives it hands the
// products they fit better to. For example [avx512_14x32 avx512_8x48
// avx512_16x16 avx2_6x16] on an AVX-512 CPU, [go2x3] with -tags purego.
func Kernels() []string { return blocked.Active() }

// Threads reports the default thread budget (GOMAXPROCS at start-up).
func Threads() int { return blocked.Threads() }

// gemmRef is the naive triple loop (i, p, j order so B and C stream by
// rows), kept as the reference the fast path is tested and benchmarked
// against. Its products are converted before they are added, so the
// compiler cannot fuse them and it gives the same bits on every
// architecture.
func gemmRef(tA, tB Transpose, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	for i := 0; i < m; i++ {
		ci := c[i*ldc : i*ldc+n]
		if beta == 0 {
			clear(ci)
		} else if beta != 1 {
			for j := range ci {
				ci[j] *= beta
			}
		}
		for p := 0; p < k; p++ {
			var av float32
			if tA {
				av = a[p*lda+i]
			} else {
				av = a[i*lda+p]
			}
			av *= alpha
			if tB {
				for j := range ci {
					ci[j] += float32(av * b[j*ldb+p])
				}
			} else {
				bp := b[p*ldb : p*ldb+n]
				for j, bv := range bp {
					ci[j] += float32(av * bv)
				}
			}
		}
	}
}
