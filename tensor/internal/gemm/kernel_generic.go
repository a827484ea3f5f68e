package gemm

// goKernel is the portable micro-kernel: always compiled, the only one under
// the purego build tag or off amd64, and the reference the assembly kernels
// are tested against. Go has no SIMD and amd64 has 15 usable float
// registers, so it keeps a 2×4 block of C in eight scalar accumulators (a
// 4×4 block spills) and unrolls k by four; on this machine that measured
// faster than 4×4, 3×4, 4×2, 3×3 and 2×6 blocks.
var goKernel = kernel{name: "go2x4", mr: 2, nr: 4, fn: kernelGo2x4}

func kernelGo2x4(kc int, a, b, c []float32, ldc int, alpha, beta float32) {
	var c00, c01, c02, c03 float32
	var c10, c11, c12, c13 float32
	a = a[:2*kc]
	b = b[:4*kc]
	for len(a) >= 8 && len(b) >= 16 {
		a0, a1 := a[0], a[1]
		c00 += a0 * b[0]
		c10 += a1 * b[0]
		c01 += a0 * b[1]
		c11 += a1 * b[1]
		c02 += a0 * b[2]
		c12 += a1 * b[2]
		c03 += a0 * b[3]
		c13 += a1 * b[3]
		a0, a1 = a[2], a[3]
		c00 += a0 * b[4]
		c10 += a1 * b[4]
		c01 += a0 * b[5]
		c11 += a1 * b[5]
		c02 += a0 * b[6]
		c12 += a1 * b[6]
		c03 += a0 * b[7]
		c13 += a1 * b[7]
		a0, a1 = a[4], a[5]
		c00 += a0 * b[8]
		c10 += a1 * b[8]
		c01 += a0 * b[9]
		c11 += a1 * b[9]
		c02 += a0 * b[10]
		c12 += a1 * b[10]
		c03 += a0 * b[11]
		c13 += a1 * b[11]
		a0, a1 = a[6], a[7]
		c00 += a0 * b[12]
		c10 += a1 * b[12]
		c01 += a0 * b[13]
		c11 += a1 * b[13]
		c02 += a0 * b[14]
		c12 += a1 * b[14]
		c03 += a0 * b[15]
		c13 += a1 * b[15]
		a = a[8:]
		b = b[16:]
	}
	for len(a) >= 2 && len(b) >= 4 {
		a0, a1 := a[0], a[1]
		c00 += a0 * b[0]
		c10 += a1 * b[0]
		c01 += a0 * b[1]
		c11 += a1 * b[1]
		c02 += a0 * b[2]
		c12 += a1 * b[2]
		c03 += a0 * b[3]
		c13 += a1 * b[3]
		a = a[2:]
		b = b[4:]
	}
	update4(c[0:], c00, c01, c02, c03, alpha, beta)
	update4(c[ldc:], c10, c11, c12, c13, alpha, beta)
}

// update4 stores one row of a tile: c = alpha·x, or alpha·x + beta·c.
func update4(c []float32, x0, x1, x2, x3, alpha, beta float32) {
	c = c[:4]
	if beta == 0 {
		c[0] = alpha * x0
		c[1] = alpha * x1
		c[2] = alpha * x2
		c[3] = alpha * x3
		return
	}
	c[0] = alpha*x0 + beta*c[0]
	c[1] = alpha*x1 + beta*c[1]
	c[2] = alpha*x2 + beta*c[2]
	c[3] = alpha*x3 + beta*c[3]
}
