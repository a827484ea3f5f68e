//go:build amd64 && !purego

package gemm

import "golang.org/x/sys/cpu"

var (
	avx2Kernel   = kernel{name: "avx2_6x16", mr: 6, nr: 16, fn: kernelAVX2, sparse: sparseRowAVX2}
	avx512Kernel = kernel{name: "avx512_14x32", mr: 14, nr: 32, fn: kernelAVX512, sparse: sparseRowAVX2}
)

// sparseRowAVX2 is the sparse-A row update of the FMA kernels (AVX2 and
// AVX-512 accumulate alike: one fused multiply-add per term, so one
// routine serves both): 64 columns at a time, then 32, 16 and 8, then one.
func sparseRowAVX2(vals []float32, ps []int32, b []float32, ldb int, c []float32, alpha, beta float32, _ []float32) {
	n, jj := len(c), 0
	for ; jj+64 <= n; jj += 64 {
		sparseRow64AVX2(vals, ps, &b[jj], ldb, &c[jj], alpha, beta)
	}
	if jj+32 <= n {
		sparseRow32AVX2(vals, ps, &b[jj], ldb, &c[jj], alpha, beta)
		jj += 32
	}
	if jj+16 <= n {
		sparseRow16AVX2(vals, ps, &b[jj], ldb, &c[jj], alpha, beta)
		jj += 16
	}
	if jj+8 <= n {
		sparseRow8AVX2(vals, ps, &b[jj], ldb, &c[jj], alpha, beta)
		jj += 8
	}
	for ; jj < n; jj++ {
		sparseRow1AVX2(vals, ps, &b[jj], ldb, &c[jj], alpha, beta)
	}
}

// scanAVX2 selects the AVX2 scan for the sparse path's row lists; tests
// switch it off to cover the Go loop.
var scanAVX2 = cpu.X86.HasAVX2

// scanRow lists the non-zero values of row and their indices plus p0
// (see scanRowGo), eight at a time with AVX2 and the rest in Go.
func scanRow(row []float32, p0 int32, vals []float32, ps []int32) int {
	if !scanAVX2 || len(row) < 8 {
		return scanRowGo(row, p0, vals, ps)
	}
	blocks := len(row) / 8
	_, _ = vals[len(row)-1], ps[len(row)-1] // room for every value
	n := scanNonzeroAVX2(&row[0], blocks, p0, &vals[0], &ps[0])
	return n + scanRowGo(row[8*blocks:], p0+int32(8*blocks), vals[n:], ps[n:])
}

// active is the micro-kernel Sgemm uses, chosen once from the CPU's
// features. x/sys/cpu reports AVX2 and AVX-512 only when the OS saves the
// wider registers too.
var active = useFeatures(cpu.X86.HasAVX2 && cpu.X86.HasFMA, cpu.X86.HasAVX512F)

// packAVX2 selects the AVX2 transposing pack for A NoTrans / B Trans
// panels; tests switch it off to cover the Go loops.
var packAVX2 = cpu.X86.HasAVX2

// useFeatures returns the best kernel allowed by the given features. Tests
// call it with features switched off to cover every path on one machine;
// they never switch on a feature the CPU lacks.
func useFeatures(avx2, avx512 bool) *kernel {
	switch {
	case avx512 && cpu.X86.HasAVX512F:
		return &avx512Kernel
	case avx2 && cpu.X86.HasAVX2 && cpu.X86.HasFMA:
		return &avx2Kernel
	}
	return &goKernel
}
