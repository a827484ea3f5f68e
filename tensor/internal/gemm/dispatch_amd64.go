//go:build amd64 && !purego

package gemm

import "golang.org/x/sys/cpu"

// The amd64 kernels. x/sys/cpu reports AVX2 and AVX-512 only when the OS
// saves the wider registers too, and honours GODEBUG=cpu.avx512f=off (or
// cpu.avx2=off), which is how an AVX-512 machine runs the AVX2 path.
var (
	avx2Kernel = kernel{name: "avx2_6x16", mr: 6, nr: 16, fn: kernelAVX2, tiles: tilesKernelAVX2,
		edges: []edgeKernel{{"edgeAVX2_6x8", 8, edgeAVX2_6x8, tilesEdgeAVX2_6x8}}, skip: skipKernelAVX2,
		native: cpu.X86.HasAVX2 && cpu.X86.HasFMA, fused: true, lanes: 8} // alts: init below
	// avx2x4Kernel fits products with 4, 8, 16, 32 or 64 rows (a CNN's
	// channel counts) whole, where the 6-row tile leaves 11 % of 16 and 32
	// rows empty: 12 accumulators, 3 B registers and one broadcast register.
	// On Zen 5 with AVX-512 off, one thread (BenchmarkKernels and
	// BenchmarkConvShapes, medians of 3, 2026-12-06): 512³ 115 against 122
	// GFLOP/s (its tiles fill 97 % of the columns there); the zoo cnn's
	// forward products at batch 64 74 against 62 (16 rows), 96 against 88
	// (32) and 112 against 105 (64 rows, where both tiles fill 97-100 %:
	// hence eff 0.98 rather than the 512³ ratio).
	avx2x4Kernel = kernel{name: "avx2_4x24", mr: 4, nr: 24, fn: kernelAVX2_4x24, tiles: tilesKernelAVX2_4x24,
		edges: []edgeKernel{{"edgeAVX2_4x8", 8, edgeAVX2_4x8, tilesEdgeAVX2_4x8}, {"edgeAVX2_4x16", 16, edgeAVX2_4x16, tilesEdgeAVX2_4x16}}, skipWith: &avx2Kernel,
		native: cpu.X86.HasAVX2 && cpu.X86.HasFMA, fused: true, lanes: 8, eff: 0.98}
	avx512Kernel = kernel{name: "avx512_14x32", mr: 14, nr: 32, fn: kernelAVX512, tiles: tilesKernelAVX512,
		edges: []edgeKernel{{"edgeAVX512_14x16", 16, edgeAVX512_14x16, tilesEdgeAVX512_14x16}}, skipWith: &avx2Kernel,
		alts: []*kernel{&avx512x8Kernel, &avx512x16Kernel, &avx2Kernel}, native: cpu.X86.HasAVX512F, fused: true, lanes: 16}
	// avx512x8Kernel fits products with 8, 16, 32 or 64 rows, a CNN's
	// channel counts, whole (the 14-row tile leaves 12 of 28 rows and 10 of
	// 42 empty at 16 and 32), with 24 accumulators, 3 B and 2 broadcast
	// registers.
	avx512x8Kernel = kernel{name: "avx512_8x48", mr: 8, nr: 48, fn: kernelAVX512_8x48, tiles: tilesKernelAVX512_8x48,
		edges: []edgeKernel{{"edgeAVX512_8x16", 16, edgeAVX512_8x16, tilesEdgeAVX512_8x16}, {"edgeAVX512_8x32", 32, edgeAVX512_8x32, tilesEdgeAVX512_8x32}}, skipWith: &avx2Kernel,
		native: cpu.X86.HasAVX512F, fused: true, lanes: 16}
	// avx512x16Kernel fits products with few columns (a 10-class output
	// layer, a 3×3 kernel's 9 weight-gradient columns): 16 accumulators, one
	// B register per depth.
	// It loads 16 broadcasts and one B vector per 16 multiply-adds, so on
	// whole tiles it runs at 0.86 of the 14×32 kernel (512³ on Zen 5, one
	// thread: 208 against 241 GFLOP/s).
	avx512x16Kernel = kernel{name: "avx512_16x16", mr: 16, nr: 16, fn: kernelAVX512_16x16, tiles: tilesKernelAVX512_16x16, skipWith: &avx2Kernel,
		native: cpu.X86.HasAVX512F, fused: true, lanes: 16, eff: 0.85}
)

// avx2x4Kernel hands mostly-zero products back to avx2Kernel, so the
// reverse link waits for init (a cycle in the variables' initialisers).
func init() { avx2Kernel.alts = []*kernel{&avx2x4Kernel} }

// builtKernels lists every micro-kernel of this build, best first. The
// tests must reach each of them, natively or in the interpreter
// (TestMain in main_test.go).
var builtKernels = []*kernel{&avx512Kernel, &avx512x8Kernel, &avx512x16Kernel, &avx2Kernel, &avx2x4Kernel, &goKernel}

// packAVX2 selects the AVX2 transposing pack for A NoTrans / B Trans
// panels; tests switch it off to cover the Go loops.
var packAVX2 = cpu.X86.HasAVX2

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
