//go:build !amd64 || purego

package gemm

// active is the micro-kernel Sgemm uses: the portable one here.
var active = &goKernel

// useFeatures is the test hook that picks a kernel; only "go" exists here.
func useFeatures(avx2, avx512 bool) *kernel { return &goKernel }
