// Command gemm generates the amd64 GEMM micro-kernels of
// tensor/internal/gemm with avo. Run it through go generate in that package
// (see gen.go there) or, from tensor/_asm/gemm:
//
//	go run . -out ../../internal/gemm/kernel_amd64.s -stubs ../../internal/gemm/kernel_amd64_stub.go -pkg gemm
//
// Both kernels come from one template, kernel below, so the AVX-512 kernel,
// which this project's machine cannot run, shares every line of logic with
// the AVX2 one that the tests exercise.
package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// isa describes one vector extension: its registers and instruction forms.
type isa struct {
	name  string
	lanes int                   // float32 lanes per vector register
	vec   func(int) VecPhysical // vector register number i
	zero  func(r VecPhysical)   // set r to all zeros
}

var ymm = []VecPhysical{Y0, Y1, Y2, Y3, Y4, Y5, Y6, Y7, Y8, Y9, Y10, Y11, Y12, Y13, Y14, Y15}

var zmm = []VecPhysical{
	Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7, Z8, Z9, Z10, Z11, Z12, Z13, Z14, Z15,
	Z16, Z17, Z18, Z19, Z20, Z21, Z22, Z23, Z24, Z25, Z26, Z27, Z28, Z29, Z30, Z31,
}

var avx2 = isa{
	name:  "AVX2+FMA",
	lanes: 8,
	vec:   func(i int) VecPhysical { return ymm[i] },
	zero:  func(r VecPhysical) { VXORPS(r, r, r) },
}

var avx512 = isa{
	name:  "AVX-512F",
	lanes: 16,
	vec:   func(i int) VecPhysical { return zmm[i] },
	zero:  func(r VecPhysical) { VPXORD(r, r, r) },
}

const signature = "func(kc int, a, b, c []float32, ldc int, alpha, beta float32)"

const skipSignature = "func(steps []int32, a, b, c []float32, ldc int, alpha, beta float32)"

const tilesSignature = "func(kc int, a, b, c []float32, ldc int, alpha, beta float32, tiles int)"

// kernel emits an mr×(nv·lanes) micro-kernel. Registers: the accumulators
// take vector registers 0 .. mr·nv-1 (row i, vector v in register i·nv+v),
// the nv vectors of the current B row the next nv, and two registers take
// turns holding the broadcast A value (one when two do not fit), so
// mr·nv + nv + 2 (or 1) registers in all.
//
// With skip, the kernel is the zero-skipping variant for a mostly-zero A:
// instead of kc it takes steps, the depths p whose A values are not all
// zero, in increasing order, and runs only those steps. A skipped step
// would have added a·b = ±0 to every accumulator (A values are ±0 there),
// which leaves it unchanged (an accumulator starts at +0 and is never -0),
// so the tile comes out bit for bit as the dense kernel makes it, unless B
// holds ±Inf or NaN at a skipped depth.
//
// With tiles, the kernel computes tiles ≥ 1 tiles down a column of C in
// one call: tile t reads the A panel at a + t·mr·kc (packed A panels are
// consecutive), the same B panel, and writes C rows t·mr .. t·mr+mr-1,
// each with the instructions of the one-tile kernel, so with the same
// bits. It saves the caller's loop and a call per tile (tilesFunc).
//
// bstride (0: the tile's width) is the width of the B panels the kernel
// reads: an edge kernel computes the first nr columns of another kernel's
// wider panels (see edgeKernel in the gemm package).
func kernel(name string, x isa, mr, nv, bstride int, skip, tiles bool) {
	if skip && tiles {
		panic("kernel: a zero-skipping kernel runs one tile")
	}
	nr := nv * x.lanes
	if bstride == 0 {
		bstride = nr
	}
	if bstride < nr || (skip && bstride != nr) {
		panic(fmt.Sprintf("%s: B panels %d wide for a %d-wide tile", name, bstride, nr))
	}
	regs := 32
	if x.lanes == 8 {
		regs = 16
	}
	// Two broadcast registers when they fit, else one (AVX2's 4×24 tile:
	// 12 accumulators and 3 B vectors leave one; renaming removes the
	// false dependence between its successive broadcasts).
	aregs := 2
	if mr*nv+nv+2 > regs {
		aregs = 1
	}
	if mr*nv+nv+aregs > regs {
		panic(fmt.Sprintf("%s: %dx%d needs too many registers", name, mr, nr))
	}
	acc := func(i, v int) VecPhysical { return x.vec(i*nv + v) }
	bvec := func(v int) VecPhysical { return x.vec(mr*nv + v) }
	avec := func(p int) VecPhysical { return x.vec(mr*nv + nv + p%aregs) }

	if skip {
		TEXT(name, NOSPLIT, skipSignature)
		Pragma("noescape")
		Doc(
			fmt.Sprintf("%s is the zero-skipping %d×%d %s micro-kernel: with", name, mr, nr, x.name),
			fmt.Sprintf("acc[i][j] = Σ_t a[p*%d+i]·b[p*%d+j] for p = steps[t] (in order, one fused", mr, nr),
			"multiply-add per term) it stores C as the dense kernel does. See skipFunc.",
		)
	} else if tiles {
		TEXT(name, NOSPLIT, tilesSignature)
		Pragma("noescape")
		Doc(
			fmt.Sprintf("%s is the %d×%d %s micro-kernel (B panels %d wide) over tiles tiles down a column of C:", name, mr, nr, x.name, bstride),
			fmt.Sprintf("tile t reads the A panel a[t*kc*%d:], the B panel b and C rows from t*%d,", mr, mr),
			"with the one-tile kernel's arithmetic. See tilesFunc.",
		)
	} else {
		TEXT(name, NOSPLIT, signature)
		Pragma("noescape")
		Doc(
			fmt.Sprintf("%s is the %d×%d %s micro-kernel. With acc[i][j] = Σ_p a[p*%d+i]·b[p*%d+j]", name, mr, nr, x.name, mr, bstride),
			"(p = 0..kc-1, in order, one fused multiply-add per term) it sets",
			"c[i*ldc+j] = alpha·acc[i][j] when beta == 0 (c unread), else",
			"c[i*ldc+j] = fma(beta, c[i*ldc+j], alpha·acc[i][j]). See kernelFunc.",
		)
	}

	var kc, steps Register
	if skip {
		steps = Load(Param("steps").Base(), GP64())
		kc = Load(Param("steps").Len(), GP64())
	} else {
		kc = Load(Param("kc"), GP64())
	}
	a := Load(Param("a").Base(), GP64())
	b := Load(Param("b").Base(), GP64())
	c := Load(Param("c").Base(), GP64())
	ldc := Load(Param("ldc"), GP64())

	Comment("Row stride of C in bytes.")
	SHLQ(Imm(2), ldc)
	var ntiles, kc0, b0 Register
	if tiles {
		ntiles = Load(Param("tiles"), GP64())
		kc0, b0 = GP64(), GP64()
		MOVQ(kc, kc0)
		MOVQ(b, b0)
		Label(name + "_tile")
		Comment("Each tile starts from the whole depth and the top of the B panel;",
			"a is at its panel (the previous tile's steps left it there).")
		MOVQ(kc0, kc)
		MOVQ(b0, b)
	}
	Comment("Warm the C tile while the loop runs.")
	row := GP64()
	MOVQ(c, row)
	for i := 0; i < mr; i++ {
		PREFETCHT0(Mem{Base: row})
		if i < mr-1 {
			ADDQ(ldc, row)
		}
	}

	Comment("Clear the accumulators.")
	for i := 0; i < mr; i++ {
		for v := 0; v < nv; v++ {
			x.zero(acc(i, v))
		}
	}

	// step emits one k iteration reading A at byte offset ao and B at bo.
	step := func(u, ao, bo int) {
		for v := 0; v < nv; v++ {
			VMOVUPS(Mem{Base: b, Disp: bo + 4*x.lanes*v}, bvec(v))
		}
		for i := 0; i < mr; i++ {
			r := avec(u*mr + i)
			VBROADCASTSS(Mem{Base: a, Disp: ao + 4*i}, r)
			for v := 0; v < nv; v++ {
				VFMADD231PS(bvec(v), r, acc(i, v))
			}
		}
	}

	if skip {
		if mr != 6 || nr != 16 {
			panic("skip kernel: the addressing below assumes a 6×16 tile")
		}
		// step emits one listed step: the depth at byte offset off of
		// steps; ao = 3p (A at a + 8·ao = a + 24p), p·8 (B at b + 8·8p =
		// b + 64p).
		p, ao := GP64(), GP64()
		step := func(off int) {
			MOVLQSX(Mem{Base: steps, Disp: off}, p)
			LEAQ(Mem{Base: p, Index: p, Scale: 2}, ao)
			SHLQ(Imm(3), p)
			for v := 0; v < nv; v++ {
				VMOVUPS(Mem{Base: b, Index: p, Scale: 8, Disp: 4 * x.lanes * v}, bvec(v))
			}
			for i := 0; i < mr; i++ {
				r := avec(i)
				VBROADCASTSS(Mem{Base: a, Index: ao, Scale: 8, Disp: 4 * i}, r)
				for v := 0; v < nv; v++ {
					VFMADD231PS(bvec(v), r, acc(i, v))
				}
			}
		}
		Comment("Two listed steps per iteration, then the odd one.")
		n2 := GP64()
		MOVQ(kc, n2)
		SHRQ(Imm(1), n2)
		JZ(LabelRef(name + "_odd"))
		Label(name + "_loop")
		step(0)
		step(4)
		ADDQ(Imm(8), steps)
		DECQ(n2)
		JNZ(LabelRef(name + "_loop"))
		Label(name + "_odd")
		ANDQ(Imm(1), kc)
		JZ(LabelRef(name + "_store"))
		step(0)
		storeTile(name, x, mr, nv, acc, bvec, c, ldc, nil)
		return
	}

	const unroll = 4
	Comment(fmt.Sprintf("Main loop: %d steps of k per iteration.", unroll))
	n4 := GP64()
	MOVQ(kc, n4)
	SHRQ(Imm(2), n4)
	JZ(LabelRef(name + "_tail"))
	Label(name + "_loop4")
	for u := 0; u < unroll; u++ {
		step(u, 4*mr*u, 4*bstride*u)
	}
	ADDQ(U32(4*mr*unroll), a)
	ADDQ(U32(4*bstride*unroll), b)
	DECQ(n4)
	JNZ(LabelRef(name + "_loop4"))

	Label(name + "_tail")
	Comment("The kc mod 4 remaining steps.")
	ANDQ(Imm(3), kc)
	JZ(LabelRef(name + "_store"))
	Label(name + "_loop1")
	step(0, 0, 0)
	ADDQ(U32(4*mr), a)
	ADDQ(U32(4*bstride), b)
	DECQ(kc)
	JNZ(LabelRef(name + "_loop1"))

	if !tiles {
		storeTile(name, x, mr, nv, acc, bvec, c, ldc, nil)
		return
	}
	storeTile(name, x, mr, nv, acc, bvec, c, ldc, func() {
		Comment("c is at the tile's last row: move it to the next tile's first.")
		ADDQ(ldc, c)
		DECQ(ntiles)
		JNZ(LabelRef(name + "_tile"))
	})
}

// storeTile emits the kernels' common end at label name_store: acc *=
// alpha, then C = acc (beta == ±0, C unread) or C = fma(beta, C, acc).
// With next, each way ends with next's code (the tiles kernels' loop back)
// before it returns.
func storeTile(name string, x isa, mr, nv int, acc func(i, v int) VecPhysical, bvec func(int) VecPhysical, c, ldc Register, next func()) {
	Label(name + "_store")
	Comment("acc *= alpha (bvec registers are free now).")
	alpha, beta := bvec(0), x.vec(mr*nv+nv)
	VBROADCASTSS(paramAddr("alpha"), alpha)
	for i := 0; i < mr; i++ {
		for v := 0; v < nv; v++ {
			VMULPS(alpha, acc(i, v), acc(i, v))
		}
	}
	Comment("beta == ±0 (its bits shifted left by one are all zero): store without reading C.")
	bits := GP32()
	MOVL(paramAddr("beta"), bits)
	SHLL(Imm(1), bits)
	JNZ(LabelRef(name + "_beta"))
	for i := 0; i < mr; i++ {
		for v := 0; v < nv; v++ {
			VMOVUPS(acc(i, v), Mem{Base: c, Disp: 4 * x.lanes * v})
		}
		if i < mr-1 {
			ADDQ(ldc, c)
		}
	}
	if next != nil {
		next()
	}
	VZEROUPPER()
	RET()

	Label(name + "_beta")
	Comment("acc = beta·C + acc, one rounding; then store.")
	VBROADCASTSS(paramAddr("beta"), beta)
	for i := 0; i < mr; i++ {
		for v := 0; v < nv; v++ {
			VFMADD231PS(Mem{Base: c, Disp: 4 * x.lanes * v}, beta, acc(i, v))
			VMOVUPS(acc(i, v), Mem{Base: c, Disp: 4 * x.lanes * v})
		}
		if i < mr-1 {
			ADDQ(ldc, c)
		}
	}
	if next != nil {
		next()
	}
	VZEROUPPER()
	RET()
}

// paramAddr is the stack address of the named argument.
func paramAddr(name string) Mem {
	p, err := Param(name).Resolve()
	if err != nil {
		panic(err)
	}
	return p.Addr
}

// transposePack emits the AVX2 packing routine for operands stored the
// other way round from their panels (A NoTrans, B Trans): it reads blocks
// of 8 consecutive depths from each of rows (≤ h) source rows ld bytes
// apart, transposes the h×8 block in registers (rows past `rows` read as
// zero) and stores h floats per depth, dstride bytes apart. h is 8
// (transposePackAVX2) or 4 (transposePack4AVX2, for 4-wide panels: a
// quarter of the shuffles, half the stores). With h = 8 and dstride < 32
// (6-wide A panels) each store spills 32−dstride bytes past its slot;
// stores run in increasing depth order so the next slot's store overwrites
// the spill, and the caller leaves room after the last block. With h = 4
// each depth's four floats are stored exactly.
func transposePack(h int) {
	name, lb := "transposePackAVX2", "tp"
	if h == 4 {
		name, lb = "transposePack4AVX2", "tp4"
	}
	TEXT(name, NOSPLIT, "func(dst, src *float32, ld, dstride, rows, blocks int)")
	Pragma("noescape")
	if h == 8 {
		Doc(
			"transposePackAVX2 sets, for each block b < blocks and p, r < 8,",
			"dst[(8b+p)·dstride/4 + r] = src[r·ld/4 + 8b+p] for r < rows, else 0.",
			"ld and dstride are in bytes.",
		)
	} else {
		Doc(
			"transposePack4AVX2 sets, for each block b < blocks, p < 8 and r < 4,",
			"dst[(8b+p)·dstride/4 + r] = src[r·ld/4 + 8b+p] for r < rows, else 0.",
			"ld and dstride are in bytes.",
		)
	}
	dst := Load(Param("dst"), GP64())
	src := Load(Param("src"), GP64())
	ld := Load(Param("ld"), GP64())
	dstride := Load(Param("dstride"), GP64())
	rows := Load(Param("rows"), GP64())
	blocks := Load(Param("blocks"), GP64())
	r := ymm[:h]
	t := ymm[h : 2*h]
	TESTQ(blocks, blocks)
	JZ(LabelRef(lb + "_done"))
	Label(lb + "_block")
	Comment(fmt.Sprintf("Load up to %d rows of 8 depths; missing rows are zero.", h))
	p := GP64()
	MOVQ(src, p)
	for i := 0; i < h; i++ {
		VXORPS(r[i], r[i], r[i])
	}
	for i := 0; i < h; i++ {
		CMPQ(rows, Imm(uint64(i)))
		JLE(LabelRef(lb + "_loaded"))
		VMOVUPS(Mem{Base: p}, r[i])
		if i < h-1 {
			ADDQ(ld, p)
		}
	}
	Label(lb + "_loaded")
	if h == 8 {
		Comment("8×8 transpose: interleave pairs, then quads, then 128-bit halves.")
	} else {
		Comment("4×8 transpose: interleave pairs, then quads; the low 128-bit half of",
			"r[i] is depth i's four values, the high half depth i+4's.")
	}
	for i := 0; i < h; i += 2 {
		VUNPCKLPS(r[i+1], r[i], t[i])
		VUNPCKHPS(r[i+1], r[i], t[i+1])
	}
	for a := 0; a < h; a += 4 {
		b := a + 2
		VSHUFPS(Imm(0x44), t[b], t[a], r[a])
		VSHUFPS(Imm(0xEE), t[b], t[a], r[a+1])
		VSHUFPS(Imm(0x44), t[b+1], t[a+1], r[a+2])
		VSHUFPS(Imm(0xEE), t[b+1], t[a+1], r[a+3])
	}
	if h == 8 {
		for i := 0; i < 4; i++ {
			VPERM2F128(Imm(0x20), r[i+4], r[i], t[i])
			VPERM2F128(Imm(0x31), r[i+4], r[i], t[i+4])
		}
	}
	Comment(fmt.Sprintf("Store depth p's %d values at dst + p·dstride, in order of p.", h))
	MOVQ(dst, p)
	if h == 8 {
		for i := 0; i < 8; i++ {
			VMOVUPS(t[i], Mem{Base: p})
			ADDQ(dstride, p)
		}
	} else {
		for i := 0; i < 4; i++ {
			VMOVUPS(r[i].AsX(), Mem{Base: p})
			ADDQ(dstride, p)
		}
		for i := 0; i < 4; i++ {
			VEXTRACTF128(Imm(1), r[i], Mem{Base: p})
			ADDQ(dstride, p)
		}
	}
	MOVQ(p, dst)
	ADDQ(Imm(32), src)
	DECQ(blocks)
	JNZ(LabelRef(lb + "_block"))
	Label(lb + "_done")
	VZEROUPPER()
	RET()
}

// copyPack emits the AVX2 packing routine for operands stored the same way
// round as their panels (A Trans, B NoTrans) with panel width w ∈ {6, 16, 24}:
// for each of kc source rows (ld bytes apart) it copies `full` runs of w
// floats into consecutive panels (panel bytes apart), one depth slot (4·w
// bytes) further down each time.
func copyPack(name string, w int) {
	TEXT(name, NOSPLIT, "func(dst, src *float32, ld, kc, full, panel int)")
	Pragma("noescape")
	Doc(
		fmt.Sprintf("%s sets dst[q·panel/4 + p·%d + i] = src[p·ld/4 + q·%d + i]", name, w, w),
		fmt.Sprintf("for p < kc, q < full, i < %d (ld and panel in bytes).", w),
	)
	dst := Load(Param("dst"), GP64())
	src := Load(Param("src"), GP64())
	ld := Load(Param("ld"), GP64())
	kc := Load(Param("kc"), GP64())
	full := Load(Param("full"), GP64())
	panel := Load(Param("panel"), GP64())
	s, d, q := GP64(), GP64(), GP64()
	TESTQ(kc, kc)
	JZ(LabelRef(name + "_done"))
	TESTQ(full, full)
	JZ(LabelRef(name + "_done"))
	Label(name + "_row")
	MOVQ(src, s)
	MOVQ(dst, d)
	MOVQ(full, q)
	Label(name + "_run")
	switch w {
	case 16, 24:
		for v := 0; v < w/8; v++ {
			VMOVUPS(Mem{Base: s, Disp: 32 * v}, ymm[v])
		}
		for v := 0; v < w/8; v++ {
			VMOVUPS(ymm[v], Mem{Base: d, Disp: 32 * v})
		}
	case 6:
		VMOVUPS(Mem{Base: s}, X0)
		VMOVSD(Mem{Base: s, Disp: 16}, X1)
		VMOVUPS(X0, Mem{Base: d})
		VMOVSD(X1, Mem{Base: d, Disp: 16})
	default:
		panic("copyPack: unsupported width")
	}
	ADDQ(U32(4*w), s)
	ADDQ(panel, d)
	DECQ(q)
	JNZ(LabelRef(name + "_run"))
	ADDQ(ld, src)
	ADDQ(U32(4*w), dst)
	DECQ(kc)
	JNZ(LabelRef(name + "_row"))
	Label(name + "_done")
	VZEROUPPER()
	RET()
}

func main() {
	ConstraintExpr("amd64,!purego")
	kernel("kernelAVX2", avx2, 6, 2, 0, false, false)
	kernel("kernelAVX2_4x24", avx2, 4, 3, 0, false, false)
	kernel("kernelAVX512", avx512, 14, 2, 0, false, false)
	kernel("kernelAVX512_8x48", avx512, 8, 3, 0, false, false)
	kernel("kernelAVX512_16x16", avx512, 16, 1, 0, false, false)
	kernel("tilesKernelAVX2", avx2, 6, 2, 0, false, true)
	kernel("tilesKernelAVX2_4x24", avx2, 4, 3, 0, false, true)
	kernel("tilesKernelAVX512", avx512, 14, 2, 0, false, true)
	kernel("tilesKernelAVX512_8x48", avx512, 8, 3, 0, false, true)
	kernel("tilesKernelAVX512_16x16", avx512, 16, 1, 0, false, true)
	// Edge kernels: the last, narrower column of a product on the
	// kernels' wider panels.
	for _, e := range []struct {
		name      string
		x         isa
		mr, nv, b int
	}{
		{"edgeAVX2_6x8", avx2, 6, 1, 16},
		{"edgeAVX2_4x8", avx2, 4, 1, 24},
		{"edgeAVX2_4x16", avx2, 4, 2, 24},
		{"edgeAVX512_14x16", avx512, 14, 1, 32},
		{"edgeAVX512_8x16", avx512, 8, 1, 48},
		{"edgeAVX512_8x32", avx512, 8, 2, 48},
	} {
		kernel(e.name, e.x, e.mr, e.nv, e.b, false, false)
		kernel("tilesE"+e.name[1:], e.x, e.mr, e.nv, e.b, false, true)
	}
	kernel("skipKernelAVX2", avx2, 6, 2, 0, true, false)
	panelSteps6()
	transposePack(8)
	transposePack(4)
	copyPack("copyPack16AVX2", 16)
	copyPack("copyPack6AVX2", 6)
	copyPack("copyPack24AVX2", 24)
	Generate()
}

// panelSteps6 emits the AVX2 lister of a 6-row packed A panel's non-zero
// steps (see panelSteps in sparse.go), four steps (24 floats, three
// vectors) per iteration and without a data-dependent branch: it compares
// the values with zero (unordered: NaN is non-zero, ±0 is not), gathers
// the 24 lane bits into one word (step s has bits 6s..6s+5), and for each
// step stores its depth at the end of the list and advances the end when
// any of its six bits is set.
func panelSteps6() {
	TEXT("panelSteps6AVX2", NOSPLIT, "func(a *float32, groups int, steps *int32) int")
	Pragma("noescape")
	Doc(
		"panelSteps6AVX2 writes to steps, in increasing order, each depth p < 4·groups",
		"at which a[6p..6p+5] holds a value other than ±0, and returns how many. It",
		"writes steps[n] (one past the last listed) too, when n < 4·groups.",
	)
	a := Load(Param("a"), GP64())
	groups := Load(Param("groups"), GP64())
	steps := Load(Param("steps"), GP64())
	n, p, m, t, f := GP64(), GP64(), GP64(), GP64(), GP64()
	XORQ(n, n)
	XORQ(p, p)
	zero := ymm[0]
	VXORPS(zero, zero, zero)
	TESTQ(groups, groups)
	JZ(LabelRef("steps_done"))
	Label("steps_loop")
	for v := 0; v < 3; v++ {
		VCMPPS(Imm(4), Mem{Base: a, Disp: 32 * v}, zero, ymm[1+v]) // NEQ_UQ
	}
	VMOVMSKPS(ymm[1], m.As32())
	VMOVMSKPS(ymm[2], t.As32())
	SHLQ(Imm(8), t)
	ORQ(t, m)
	VMOVMSKPS(ymm[3], t.As32())
	SHLQ(Imm(16), t)
	ORQ(t, m)
	for s := 0; s < 4; s++ {
		MOVL(p.As32(), Mem{Base: steps, Index: n, Scale: 4})
		XORL(f.As32(), f.As32())
		TESTL(U32(63<<(6*s)), m.As32())
		SETNE(f.As8())
		ADDQ(f, n)
		INCQ(p)
	}
	ADDQ(U32(96), a)
	DECQ(groups)
	JNZ(LabelRef("steps_loop"))
	Label("steps_done")
	VZEROUPPER()
	Store(n, ReturnIndex(0))
	RET()
}
