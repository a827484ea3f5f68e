//go:build !amd64 || purego

package gemm

// active is the micro-kernel Sgemm uses: the portable one here.
var active = &goKernel

// useFeatures is the test hook that picks a kernel; only "go" exists here.
func useFeatures(avx2, avx512 bool) *kernel { return &goKernel }

// packAVX2 is always false here.
var packAVX2 = false

// transposePackAVX2 is never called here (packAVX2 is false).
func transposePackAVX2(dst, src *float32, ld, dstride, rows, blocks int) {
	panic("gemm: transposePackAVX2 without AVX2")
}

// copyPack16AVX2 and copyPack6AVX2 are never called here (packAVX2 is false).
func copyPack16AVX2(dst, src *float32, ld, kc, full, panel int) {
	panic("gemm: copyPack16AVX2 without AVX2")
}

func copyPack6AVX2(dst, src *float32, ld, kc, full, panel int) {
	panic("gemm: copyPack6AVX2 without AVX2")
}

// scanAVX2 is always false here.
var scanAVX2 = false

// scanRow is scanRowGo here.
func scanRow(row []float32, p0 int32, vals []float32, ps []int32) int {
	return scanRowGo(row, p0, vals, ps)
}
