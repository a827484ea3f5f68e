//go:build amd64 && !purego

package gemm

import "golang.org/x/sys/cpu"

var (
	avx2Kernel   = kernel{name: "avx2_6x16", mr: 6, nr: 16, fn: kernelAVX2, skip: skipKernelAVX2}
	avx512Kernel = kernel{name: "avx512_14x32", mr: 14, nr: 32, fn: kernelAVX512, skipWith: &avx2Kernel}
)

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

// stepsAVX2 selects the AVX2 step lister for 6-row panels; tests switch it
// off to cover the Go loop.
var stepsAVX2 = cpu.X86.HasAVX2

// panelStepsFast lists the steps of whole groups of four depths of a 6-row
// panel with AVX2 and reports how many depths it covered and listed.
func panelStepsFast(a []float32, mr, kc int, steps []int32) (done, n int) {
	if !stepsAVX2 || mr != 6 || kc < 4 {
		return 0, 0
	}
	groups := kc / 4
	return 4 * groups, panelSteps6AVX2(&a[0], groups, &steps[0])
}
