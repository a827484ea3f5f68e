//go:build !amd64 || purego

package gemm

// Without the amd64 assembly there is no AVX2 packing or step listing: the
// Go loops of pack.go and sparse.go do it all.

// packAVX2 is always false here.
var packAVX2 = false

// transposePackAVX2 is never called here (packAVX2 is false).
func transposePackAVX2(dst, src *float32, ld, dstride, rows, blocks int) {
	panic("gemm: transposePackAVX2 without AVX2")
}

// transposePack4AVX2 is never called here (packAVX2 is false).
func transposePack4AVX2(dst, src *float32, ld, dstride, rows, blocks int) {
	panic("gemm: transposePack4AVX2 without AVX2")
}

// copyPack16AVX2, copyPack6AVX2 and copyPack24AVX2 are never called here
// (packAVX2 is false).
func copyPack16AVX2(dst, src *float32, ld, kc, full, panel int) {
	panic("gemm: copyPack16AVX2 without AVX2")
}

func copyPack6AVX2(dst, src *float32, ld, kc, full, panel int) {
	panic("gemm: copyPack6AVX2 without AVX2")
}

func copyPack24AVX2(dst, src *float32, ld, kc, full, panel int) {
	panic("gemm: copyPack24AVX2 without AVX2")
}

// stepsAVX2 is always false here.
var stepsAVX2 = false

// panelStepsFast leaves every depth to the Go loop here.
func panelStepsFast(a []float32, mr, kc int, steps []int32) (done, n int) { return 0, 0 }
