//go:build amd64 && !purego

package gemm

var active = &goKernel

func useFeatures(avx2, avx512 bool) *kernel { return &goKernel }
