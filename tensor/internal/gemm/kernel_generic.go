package gemm

// goKernel is the portable micro-kernel: always compiled, the only one under
// the purego build tag or off amd64/arm64, and the reference the assembly kernels
// are tested against. Go has no SIMD and, at the default GOAMD64=v1, no
// fused multiply-add, so every multiply-add costs three instructions (a load
// or register copy, MULSS, ADDSS) whatever the tile. It keeps a 2×3 block
// of C in six scalar accumulators and unrolls k by 16. Measured per CPU
// second on this machine (TestTuneKernel and whole 1024³ products), that is
// about 1.4× the 2×4 block with eight accumulators it replaced; 3×2 was
// within noise of it, and 2×2, 1×4, 1×6, 3×3, 4×2, 2×4, 3×4 and 4×4 blocks
// and unrolling by 4 or 8 were slower.
//
// Every product is converted to float32 before it is added (c += float32(a·b)):
// the Go spec lets the compiler fuse x*y + z into one FMA (it does on arm64,
// and on amd64 with GOAMD64=v3), and an explicit conversion forbids it, so
// this kernel gives the same bits on every architecture and build setting.
// (They differ from the fused SIMD kernels' bits: one rounding per term
// there, two here.)
//
// Its k blocks go up to 1024 deep (2·1024 + 3·1024 floats of panel stay in
// L1): on 128×784×128 one block of 784 instead of four of 196 measured
// 7.87 and 9.28 against 7.77 and 8.27 GFLOP/cpu-s in two interleaved runs
// (docs/performance.md).
var goKernel = kernel{name: "go2x3", mr: 2, nr: 3, fn: kernelGo2x3, kc: 1024, skip: kernelGo2x3Skip, native: true}

func kernelGo2x3(kc int, a, b, c []float32, ldc int, alpha, beta float32) {
	var c00, c01, c02 float32
	var c10, c11, c12 float32
	// Reslicing to the exact panel lengths lets the loop conditions below
	// prove every index in range: the body has no bounds checks.
	a = a[:2*kc]
	b = b[:3*kc]
	for len(a) >= 32 && len(b) >= 48 {
		a0, a1 := a[0], a[1]
		c00 += float32(a0 * b[0])
		c10 += float32(a1 * b[0])
		c01 += float32(a0 * b[1])
		c11 += float32(a1 * b[1])
		c02 += float32(a0 * b[2])
		c12 += float32(a1 * b[2])
		a0, a1 = a[2], a[3]
		c00 += float32(a0 * b[3])
		c10 += float32(a1 * b[3])
		c01 += float32(a0 * b[4])
		c11 += float32(a1 * b[4])
		c02 += float32(a0 * b[5])
		c12 += float32(a1 * b[5])
		a0, a1 = a[4], a[5]
		c00 += float32(a0 * b[6])
		c10 += float32(a1 * b[6])
		c01 += float32(a0 * b[7])
		c11 += float32(a1 * b[7])
		c02 += float32(a0 * b[8])
		c12 += float32(a1 * b[8])
		a0, a1 = a[6], a[7]
		c00 += float32(a0 * b[9])
		c10 += float32(a1 * b[9])
		c01 += float32(a0 * b[10])
		c11 += float32(a1 * b[10])
		c02 += float32(a0 * b[11])
		c12 += float32(a1 * b[11])
		a0, a1 = a[8], a[9]
		c00 += float32(a0 * b[12])
		c10 += float32(a1 * b[12])
		c01 += float32(a0 * b[13])
		c11 += float32(a1 * b[13])
		c02 += float32(a0 * b[14])
		c12 += float32(a1 * b[14])
		a0, a1 = a[10], a[11]
		c00 += float32(a0 * b[15])
		c10 += float32(a1 * b[15])
		c01 += float32(a0 * b[16])
		c11 += float32(a1 * b[16])
		c02 += float32(a0 * b[17])
		c12 += float32(a1 * b[17])
		a0, a1 = a[12], a[13]
		c00 += float32(a0 * b[18])
		c10 += float32(a1 * b[18])
		c01 += float32(a0 * b[19])
		c11 += float32(a1 * b[19])
		c02 += float32(a0 * b[20])
		c12 += float32(a1 * b[20])
		a0, a1 = a[14], a[15]
		c00 += float32(a0 * b[21])
		c10 += float32(a1 * b[21])
		c01 += float32(a0 * b[22])
		c11 += float32(a1 * b[22])
		c02 += float32(a0 * b[23])
		c12 += float32(a1 * b[23])
		a0, a1 = a[16], a[17]
		c00 += float32(a0 * b[24])
		c10 += float32(a1 * b[24])
		c01 += float32(a0 * b[25])
		c11 += float32(a1 * b[25])
		c02 += float32(a0 * b[26])
		c12 += float32(a1 * b[26])
		a0, a1 = a[18], a[19]
		c00 += float32(a0 * b[27])
		c10 += float32(a1 * b[27])
		c01 += float32(a0 * b[28])
		c11 += float32(a1 * b[28])
		c02 += float32(a0 * b[29])
		c12 += float32(a1 * b[29])
		a0, a1 = a[20], a[21]
		c00 += float32(a0 * b[30])
		c10 += float32(a1 * b[30])
		c01 += float32(a0 * b[31])
		c11 += float32(a1 * b[31])
		c02 += float32(a0 * b[32])
		c12 += float32(a1 * b[32])
		a0, a1 = a[22], a[23]
		c00 += float32(a0 * b[33])
		c10 += float32(a1 * b[33])
		c01 += float32(a0 * b[34])
		c11 += float32(a1 * b[34])
		c02 += float32(a0 * b[35])
		c12 += float32(a1 * b[35])
		a0, a1 = a[24], a[25]
		c00 += float32(a0 * b[36])
		c10 += float32(a1 * b[36])
		c01 += float32(a0 * b[37])
		c11 += float32(a1 * b[37])
		c02 += float32(a0 * b[38])
		c12 += float32(a1 * b[38])
		a0, a1 = a[26], a[27]
		c00 += float32(a0 * b[39])
		c10 += float32(a1 * b[39])
		c01 += float32(a0 * b[40])
		c11 += float32(a1 * b[40])
		c02 += float32(a0 * b[41])
		c12 += float32(a1 * b[41])
		a0, a1 = a[28], a[29]
		c00 += float32(a0 * b[42])
		c10 += float32(a1 * b[42])
		c01 += float32(a0 * b[43])
		c11 += float32(a1 * b[43])
		c02 += float32(a0 * b[44])
		c12 += float32(a1 * b[44])
		a0, a1 = a[30], a[31]
		c00 += float32(a0 * b[45])
		c10 += float32(a1 * b[45])
		c01 += float32(a0 * b[46])
		c11 += float32(a1 * b[46])
		c02 += float32(a0 * b[47])
		c12 += float32(a1 * b[47])
		a = a[32:]
		b = b[48:]
	}
	for len(a) >= 2 && len(b) >= 3 {
		a0, a1 := a[0], a[1]
		c00 += float32(a0 * b[0])
		c10 += float32(a1 * b[0])
		c01 += float32(a0 * b[1])
		c11 += float32(a1 * b[1])
		c02 += float32(a0 * b[2])
		c12 += float32(a1 * b[2])
		a = a[2:]
		b = b[3:]
	}
	update3(c[0:], c00, c01, c02, alpha, beta)
	update3(c[ldc:], c10, c11, c12, alpha, beta)
}

// update3 stores one row of a tile: c = alpha·x, or alpha·x + beta·c.
func update3(c []float32, x0, x1, x2, alpha, beta float32) {
	c = c[:3]
	if beta == 0 {
		c[0] = alpha * x0
		c[1] = alpha * x1
		c[2] = alpha * x2
		return
	}
	c[0] = float32(alpha*x0) + float32(beta*c[0])
	c[1] = float32(alpha*x1) + float32(beta*c[1])
	c[2] = float32(alpha*x2) + float32(beta*c[2])
}
