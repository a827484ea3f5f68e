//go:build arm64 && !purego

package gemm

import "golang.org/x/sys/cpu"

// neonKernel is the 8×12 NEON micro-kernel (kernel_arm64.s). ASIMD is
// mandatory in ARMv8-A, so every arm64 CPU runs it; there is no
// zero-skipping variant (skip nil: mostly-zero products run it dense).
var neonKernel = kernel{name: "neon_8x12", mr: 8, nr: 12, fn: kernelNEON,
	native: cpu.ARM64.HasASIMD, fused: true}

// builtKernels lists every micro-kernel of this build, best first. The
// tests must reach each of them (TestMain in main_test.go).
var builtKernels = []*kernel{&neonKernel, &goKernel}

// kernelNEON is the 8×12 NEON micro-kernel. With acc[i][j] = Σ_p
// a[p*8+i]·b[p*12+j] (p = 0..kc-1, in order, one fused multiply-add per
// term, from acc = +0) it sets c[i*ldc+j] = alpha·acc[i][j] when beta == 0
// (c unread), else c[i*ldc+j] = fma(beta, c[i*ldc+j], alpha·acc[i][j]). See
// kernelFunc.
//
//go:noescape
func kernelNEON(kc int, a, b, c []float32, ldc int, alpha, beta float32)
