package main

// The tap kernels of the direct one-channel convolution (tensor.Direct1):
// r rows of t consecutive taps of a kernel at once, the weights or the
// accumulators of all r·t taps held in registers, so each pass over a
// plane reads it once for all of them instead of once per tap.

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// tapShapes are the (rows, taps per row) the kernels are emitted for:
// r·t ≤ 12 accumulators or weights, up to 3 rows of up to 8 taps.
// tensor/internal/vec's tables (taps_amd64.go) list the same shapes.
func tapShapes() [][2]int {
	var s [][2]int
	for r := 1; r <= 3; r++ {
		for t := 1; t <= 8 && r*t <= 12; t++ {
			s = append(s, [2]int{r, t})
		}
	}
	return s
}

var ymm = []VecPhysical{Y0, Y1, Y2, Y3, Y4, Y5, Y6, Y7, Y8, Y9, Y10, Y11, Y12, Y13, Y14, Y15}

// rowRegs loads rows[0..r) (offsets in elements) into registers.
func rowRegs(r int) []Register {
	base := Load(Param("rows").Base(), GP64())
	regs := make([]Register, r)
	for i := range regs {
		regs[i] = GP64()
		MOVQ(Mem{Base: base, Disp: 8 * i}, regs[i])
	}
	return regs
}

// dotTaps emits dotTaps{r}x{t}AVX2: out[i·t+j] is Σ_p g[p]·x[p+rows[i]+j]
// over p < len(g) in dotsumGo's order: eight lanes over the
// multiple-of-8 prefix (lane l takes p ≡ l mod 8, each product rounded
// before its add), folded as hsum does, then the rest one by one. It
// returns Σ g[p] in the same order (dotsumGo's sum), one add per eight
// values more.
func dotTaps(r, t int) {
	name := fmt.Sprintf("dotTaps%dx%dAVX2", r, t)
	TEXT(name, NOSPLIT, "func(g, x []float32, rows []int, out []float32) (sum float32)")
	Pragma("noescape")
	Doc(fmt.Sprintf("%s sets out[i·%d+j] = Σ g[p]·x[p+rows[i]+j] for i < %d, j < %d over p < len(g), in the order of dotsumGo's dot, and returns Σ g[p] in the order of its sum.", name, t, r, t))
	g := Load(Param("g").Base(), GP64())
	x := Load(Param("x").Base(), GP64())
	n := Load(Param("g").Len(), GP64())
	rows := rowRegs(r)
	acc := ymm[: r*t : r*t] // capped: append(acc, sv) below must not write ymm
	sv, gv, tmp := Y13, Y14, Y15
	for _, a := range append(acc, sv) {
		VXORPS(a, a, a)
	}
	lbl := fmt.Sprintf("dottaps%dx%d", r, t)
	Label(lbl + "_8")
	CMPQ(n, Imm(8))
	JL(LabelRef(lbl + "_fold"))
	VMOVUPS(Mem{Base: g}, gv)
	VADDPS(gv, sv, sv)
	for i := 0; i < r; i++ {
		for j := 0; j < t; j++ {
			VMULPS(Mem{Base: x, Index: rows[i], Scale: 4, Disp: 4 * j}, gv, tmp)
			VADDPS(tmp, acc[i*t+j], acc[i*t+j])
		}
	}
	ADDQ(Imm(32), g)
	ADDQ(Imm(32), x)
	SUBQ(Imm(8), n)
	JMP(LabelRef(lbl + "_8"))

	Label(lbl + "_fold")
	for _, a := range append(acc, sv) {
		hsum(a, a.AsX().(VecPhysical), tmp.AsX().(VecPhysical))
	}
	Comment("The last len(g) mod 8 products, one at a time, added to the folded sums.")
	Label(lbl + "_1")
	TESTQ(n, n)
	JZ(LabelRef(lbl + "_done"))
	VMOVSS(Mem{Base: g}, gv.AsX())
	VADDSS(gv.AsX(), sv.AsX(), sv.AsX())
	for i := 0; i < r; i++ {
		for j := 0; j < t; j++ {
			VMULSS(Mem{Base: x, Index: rows[i], Scale: 4, Disp: 4 * j}, gv.AsX(), tmp.AsX())
			VADDSS(tmp.AsX(), acc[i*t+j].AsX(), acc[i*t+j].AsX())
		}
	}
	ADDQ(Imm(4), g)
	ADDQ(Imm(4), x)
	DECQ(n)
	JMP(LabelRef(lbl + "_1"))

	Label(lbl + "_done")
	out := Load(Param("out").Base(), GP64())
	for k, a := range acc {
		VMOVSS(a.AsX(), Mem{Base: out, Disp: 4 * k})
	}
	Store(sv.AsX(), ReturnIndex(0))
	VZEROUPPER()
	RET()
}

// mulAddTaps emits mulAddTaps{r}x{t}AVX2: for p < len(y),
// y[p] += w[i·t+j]·x[p+rows[i]+j] for each tap (i, j) in row-major order,
// each product rounded before its add: the bits of one mulAddGo per tap.
// Sixteen outputs at a time (two independent chains of adds), then eight,
// then one.
func mulAddTaps(r, t int) {
	name := fmt.Sprintf("mulAddTaps%dx%dAVX2", r, t)
	TEXT(name, NOSPLIT, "func(y, x []float32, rows []int, w []float32, set bool)")
	Pragma("noescape")
	Doc(fmt.Sprintf("%s sets y[p] += w[i·%d+j]·x[p+rows[i]+j] for p < len(y) and taps i < %d, j < %d in row-major order, each product rounded before its add; with set, y[p] starts from +0 instead of its value.", name, t, r, t))
	y := Load(Param("y").Base(), GP64())
	x := Load(Param("x").Base(), GP64())
	n := Load(Param("y").Len(), GP64())
	rows := rowRegs(r)
	wb := Load(Param("w").Base(), GP64())
	wv := ymm[: r*t : r*t]
	for k, v := range wv {
		VBROADCASTSS(Mem{Base: wb, Disp: 4 * k}, v)
	}
	a0, a1, t0, t1 := Y12, Y13, Y14, Y15
	lbl := fmt.Sprintf("muladdtaps%dx%d", r, t)
	set := Load(Param("set"), GP8())
	// body handles blocks (1 or 2) of 8 outputs, or with scalar one,
	// starting from y or (set) from +0.
	body := func(blocks int, scalar, set bool) {
		f := formOf(scalar)
		accs, tmps := []VecPhysical{a0, a1}[:blocks], []VecPhysical{t0, t1}[:blocks]
		for b, a := range accs {
			if set {
				VXORPS(a, a, a)
			} else {
				f.mov(Mem{Base: y, Disp: 32 * b}, f.r(a))
			}
		}
		for i := 0; i < r; i++ {
			for j := 0; j < t; j++ {
				for b, a := range accs {
					f.mul(Mem{Base: x, Index: rows[i], Scale: 4, Disp: 4*j + 32*b}, f.r(wv[i*t+j]), f.r(tmps[b]))
					f.add(f.r(tmps[b]), f.r(a), f.r(a))
				}
			}
		}
		for b, a := range accs {
			f.mov(f.r(a), Mem{Base: y, Disp: 32 * b})
		}
		step := 8 * blocks
		if scalar {
			step = 1
		}
		ADDQ(Imm(uint64(4*step)), y)
		ADDQ(Imm(uint64(4*step)), x)
		SUBQ(Imm(uint64(step)), n)
	}
	TESTB(set, set)
	JNZ(LabelRef(lbl + "s_16"))
	for _, mode := range []struct {
		set bool
		l   string
	}{{false, lbl}, {true, lbl + "s"}} {
		l := mode.l
		Label(l + "_16")
		CMPQ(n, Imm(16))
		JL(LabelRef(l + "_8"))
		body(2, false, mode.set)
		JMP(LabelRef(l + "_16"))
		Label(l + "_8")
		CMPQ(n, Imm(8))
		JL(LabelRef(l + "_1"))
		body(1, false, mode.set)
		Label(l + "_1")
		TESTQ(n, n)
		JZ(LabelRef(lbl + "_done"))
		body(1, true, mode.set)
		JMP(LabelRef(l + "_1"))
	}
	Label(lbl + "_done")
	VZEROUPPER()
	RET()
}

// rowsCopy emits rowsCopyAVX2 or, with add, rowsAddConstAVX2: for
// r < rows and q < width (width ≥ 8), dst[r·ds+q] = src[r·ss+q] (+ c):
// the rows of a plane moved to another row stride (the direct
// convolution's output rows out of its padded-width span, and its output
// gradient's into one). Each row is copied eight values at a time, the
// last eight ending at the row's end (overlapping the previous ones when
// width is not a multiple of 8: they get the same values again); rows of
// up to 32 values without a loop per row.
func rowsCopy(add bool) {
	name, sig := "rowsCopyAVX2", "func(dst, src []float32, rows, width, ds, ss int)"
	doc := "rowsCopyAVX2 sets dst[r·ds+q] = src[r·ss+q] for r < rows, q < width; width ≥ 8."
	if add {
		name, sig = "rowsAddConstAVX2", "func(dst, src []float32, rows, width, ds, ss int, c float32)"
		doc = "rowsAddConstAVX2 sets dst[r·ds+q] = src[r·ss+q] + c for r < rows, q < width; width ≥ 8."
	}
	TEXT(name, NOSPLIT, sig)
	Pragma("noescape")
	Doc(doc)
	dst, src, rows, width, ds, ss := rowsParams()
	if add {
		VBROADCASTSS(paramAddr("c"), Y15)
	}
	d, s, n := GP64(), GP64(), GP64()
	lbl := "rows"
	if add {
		lbl = "rowsc"
	}
	move := func(src, dst Mem) {
		if add {
			VADDPS(src, Y15, Y0)
		} else {
			VMOVUPS(src, Y0)
		}
		VMOVUPS(Y0, dst)
	}
	Comment("Rows of up to 32 values: blocks at 0, 8, 16 and width−8 (as many as",
		"needed), straight-line code per row; wider rows loop over blocks.")
	last := GP64()
	MOVQ(width, last) // the last block's byte offset, 4·width − 32
	SHLQ(Imm(2), last)
	SUBQ(Imm(32), last)
	for nb := 1; nb <= 4; nb++ {
		CMPQ(width, Imm(uint64(8*nb)))
		JLE(LabelRef(fmt.Sprintf("%s_w%d", lbl, nb)))
	}
	JMP(LabelRef(lbl + "_row"))
	for nb := 1; nb <= 4; nb++ {
		l := fmt.Sprintf("%s_w%d", lbl, nb)
		Label(l)
		TESTQ(rows, rows)
		JZ(LabelRef(lbl + "_done"))
		for b := 0; b < nb-1; b++ {
			move(Mem{Base: src, Disp: 32 * b}, Mem{Base: dst, Disp: 32 * b})
		}
		move(Mem{Base: src, Index: last, Scale: 1}, Mem{Base: dst, Index: last, Scale: 1})
		ADDQ(ds, dst)
		ADDQ(ss, src)
		DECQ(rows)
		JMP(LabelRef(l))
	}

	Label(lbl + "_row")
	TESTQ(rows, rows)
	JZ(LabelRef(lbl + "_done"))
	MOVQ(dst, d)
	MOVQ(src, s)
	MOVQ(width, n)
	Label(lbl + "_8")
	CMPQ(n, Imm(8))
	JL(LabelRef(lbl + "_tail"))
	move(Mem{Base: s}, Mem{Base: d})
	ADDQ(Imm(32), d)
	ADDQ(Imm(32), s)
	SUBQ(Imm(8), n)
	JMP(LabelRef(lbl + "_8"))
	Label(lbl + "_tail")
	TESTQ(n, n)
	JZ(LabelRef(lbl + "_next"))
	Comment("The row's last eight values, back from its end.")
	LEAQ(Mem{Base: d, Index: n, Scale: 4, Disp: -32}, d)
	LEAQ(Mem{Base: s, Index: n, Scale: 4, Disp: -32}, s)
	move(Mem{Base: s}, Mem{Base: d})
	Label(lbl + "_next")
	ADDQ(ds, dst)
	ADDQ(ss, src)
	DECQ(rows)
	JMP(LabelRef(lbl + "_row"))
	Label(lbl + "_done")
	VZEROUPPER()
	RET()
}

// rowsParams loads the row kernels' common arguments: the two base
// pointers, rows and width, and the row strides in bytes.
func rowsParams() (dst, src, rows, width, ds, ss Register) {
	dst = Load(Param("dst").Base(), GP64())
	src = Load(Param("src").Base(), GP64())
	rows = Load(Param("rows"), GP64())
	width = Load(Param("width"), GP64())
	ds = Load(Param("ds"), GP64())
	ss = Load(Param("ss"), GP64())
	SHLQ(Imm(2), ds)
	SHLQ(Imm(2), ss)
	return
}

// rowsAdd emits rowsAddAVX2: for r < rows and q < width (width ≥ 8),
// dst[r·ds+q] += src[r·ss+q], one rounding per sum as the scalar loop's:
// the rows of a patch row added back to an image (col2im of a "valid"
// convolution). Blocks of eight as in rowsCopy, the last ending at the
// row's end; a value covered by two blocks must not be added twice, so
// the last block's sums are taken from dst before any block of the row
// is stored: where the blocks overlap they store the same sums.
func rowsAdd() {
	TEXT("rowsAddAVX2", NOSPLIT, "func(dst, src []float32, rows, width, ds, ss int)")
	Pragma("noescape")
	Doc("rowsAddAVX2 sets dst[r·ds+q] += src[r·ss+q] for r < rows, q < width; width ≥ 8.")
	dst, src, rows, width, ds, ss := rowsParams()
	d, s, n := GP64(), GP64(), GP64()
	last := GP64()
	MOVQ(width, last) // the last block's byte offset, 4·width − 32
	SHLQ(Imm(2), last)
	SUBQ(Imm(32), last)
	Comment("Rows of up to 32 values: every block of the row summed into",
		"registers first, then stored; wider rows loop over blocks.")
	for nb := 1; nb <= 4; nb++ {
		CMPQ(width, Imm(uint64(8*nb)))
		JLE(LabelRef(fmt.Sprintf("rowsa_w%d", nb)))
	}
	JMP(LabelRef("rowsa_row"))
	regs := []VecPhysical{Y0, Y1, Y2, Y3}
	for nb := 1; nb <= 4; nb++ {
		l := fmt.Sprintf("rowsa_w%d", nb)
		Label(l)
		TESTQ(rows, rows)
		JZ(LabelRef("rowsa_done"))
		for b := 0; b < nb-1; b++ {
			VMOVUPS(Mem{Base: src, Disp: 32 * b}, regs[b])
			VADDPS(Mem{Base: dst, Disp: 32 * b}, regs[b], regs[b])
		}
		VMOVUPS(Mem{Base: src, Index: last, Scale: 1}, regs[nb-1])
		VADDPS(Mem{Base: dst, Index: last, Scale: 1}, regs[nb-1], regs[nb-1])
		for b := 0; b < nb-1; b++ {
			VMOVUPS(regs[b], Mem{Base: dst, Disp: 32 * b})
		}
		VMOVUPS(regs[nb-1], Mem{Base: dst, Index: last, Scale: 1})
		ADDQ(ds, dst)
		ADDQ(ss, src)
		DECQ(rows)
		JMP(LabelRef(l))
	}

	Label("rowsa_row")
	TESTQ(rows, rows)
	JZ(LabelRef("rowsa_done"))
	Comment("The row's last eight sums, from dst as it was.")
	VMOVUPS(Mem{Base: src, Index: last, Scale: 1}, Y1)
	VADDPS(Mem{Base: dst, Index: last, Scale: 1}, Y1, Y1)
	MOVQ(dst, d)
	MOVQ(src, s)
	MOVQ(width, n)
	Label("rowsa_8")
	CMPQ(n, Imm(8))
	JL(LabelRef("rowsa_next"))
	VMOVUPS(Mem{Base: s}, Y0)
	VADDPS(Mem{Base: d}, Y0, Y0)
	VMOVUPS(Y0, Mem{Base: d})
	ADDQ(Imm(32), d)
	ADDQ(Imm(32), s)
	SUBQ(Imm(8), n)
	JMP(LabelRef("rowsa_8"))
	Label("rowsa_next")
	VMOVUPS(Y1, Mem{Base: dst, Index: last, Scale: 1})
	ADDQ(ds, dst)
	ADDQ(ss, src)
	DECQ(rows)
	JMP(LabelRef("rowsa_row"))
	Label("rowsa_done")
	VZEROUPPER()
	RET()
}

// rowsCopyBlocks emits rowsCopyBlocksAVX2: blocks of rows, each block's
// rows ss apart in src and blocks bs apart, copied into dst one after
// another (rows of width values, no gaps) — the patch row of several
// images of a "valid" convolution in one call. Widths 8 to 32 only, each
// row as in rowsCopy (blocks of eight, the last ending at the row's end).
func rowsCopyBlocks() {
	TEXT("rowsCopyBlocksAVX2", NOSPLIT, "func(dst, src []float32, blocks, rows, width, ss, bs int)")
	Pragma("noescape")
	Doc("rowsCopyBlocksAVX2 sets dst[(b·rows+r)·width+q] = src[b·bs+r·ss+q] for b < blocks, r < rows, q < width; 8 ≤ width ≤ 32.")
	dst := Load(Param("dst").Base(), GP64())
	src := Load(Param("src").Base(), GP64())
	blocks := Load(Param("blocks"), GP64())
	rows := Load(Param("rows"), GP64())
	width := Load(Param("width"), GP64())
	ss := Load(Param("ss"), GP64())
	bs := Load(Param("bs"), GP64())
	SHLQ(Imm(2), ss)
	SHLQ(Imm(2), bs)
	ds := GP64() // a dst row in bytes
	MOVQ(width, ds)
	SHLQ(Imm(2), ds)
	last := GP64() // the last block's byte offset, 4·width − 32
	MOVQ(ds, last)
	SUBQ(Imm(32), last)
	s, r := GP64(), GP64()
	for nb := 1; nb <= 4; nb++ {
		CMPQ(width, Imm(uint64(8*nb)))
		JLE(LabelRef(fmt.Sprintf("rcb_w%d", nb)))
	}
	JMP(LabelRef("rcb_done"))
	for nb := 1; nb <= 4; nb++ {
		l := fmt.Sprintf("rcb_w%d", nb)
		Label(l)
		TESTQ(blocks, blocks)
		JZ(LabelRef("rcb_done"))
		MOVQ(src, s)
		MOVQ(rows, r)
		Label(l + "_row")
		TESTQ(r, r)
		JZ(LabelRef(l + "_next"))
		for b := 0; b < nb-1; b++ {
			VMOVUPS(Mem{Base: s, Disp: 32 * b}, Y0)
			VMOVUPS(Y0, Mem{Base: dst, Disp: 32 * b})
		}
		VMOVUPS(Mem{Base: s, Index: last, Scale: 1}, Y0)
		VMOVUPS(Y0, Mem{Base: dst, Index: last, Scale: 1})
		ADDQ(ds, dst)
		ADDQ(ss, s)
		DECQ(r)
		JMP(LabelRef(l + "_row"))
		Label(l + "_next")
		ADDQ(bs, src)
		DECQ(blocks)
		JMP(LabelRef(l))
	}
	Label("rcb_done")
	VZEROUPPER()
	RET()
}

// maskedCopyBlocks emits maskedCopyBlocksAVX2: blocks of n values one
// after another in dst, block e taking zeros at [0, a) and [b, n) and
// src[e·ss+q−a] AND mask[q] at [a, b) — a "same" convolution's patch row
// of several images in one call, the mask zeroing the positions whose
// window column falls off the image (which would otherwise read the
// neighbouring image row). With n ≥ 8 and b − a ≥ 8 every store is eight
// values inside the block: the zeros first (the last eight of each run
// ending at the block's end if need be, over values the copy rewrites),
// then the copied run, its last eight ending at b.
func maskedCopyBlocks() {
	TEXT("maskedCopyBlocksAVX2", NOSPLIT, "func(dst, src []float32, mask []uint32, blocks, n, a, b, ss int)")
	Pragma("noescape")
	Doc("maskedCopyBlocksAVX2 sets, for e < blocks, dst[e·n+q] = src[e·ss+q−a] AND mask[q] for a ≤ q < b",
		"and 0 for q < a and b ≤ q < n; n ≥ 8, b − a ≥ 8.")
	dst := Load(Param("dst").Base(), GP64())
	src := Load(Param("src").Base(), GP64())
	mask := Load(Param("mask").Base(), GP64())
	blocks := Load(Param("blocks"), GP64())
	n := Load(Param("n"), GP64())
	a := Load(Param("a"), GP64())
	b := Load(Param("b"), GP64())
	ss := Load(Param("ss"), GP64())
	for _, r := range []Register{n, a, b, ss} {
		SHLQ(Imm(2), r) // in bytes
	}
	Comment("src − 4a: byte offset q of a block reads its value at position q.")
	SUBQ(a, src)
	last, bl := GP64(), GP64()
	MOVQ(n, last) // the block's last eight values, 4n − 32
	SUBQ(Imm(32), last)
	MOVQ(b, bl) // the run's last eight, 4b − 32
	SUBQ(Imm(32), bl)
	q, t := GP64(), GP64()
	VXORPS(Y0, Y0, Y0)
	Label("mcb_block")
	TESTQ(blocks, blocks)
	JZ(LabelRef("mcb_done"))
	// zero stores eight zeros at min(q, last) for q from start while q < end.
	zero := func(l string, start, end Register) {
		MOVQ(start, q)
		Label(l)
		CMPQ(q, end)
		JGE(LabelRef(l + "_end"))
		MOVQ(q, t)
		CMPQ(t, last)
		CMOVQGT(last, t)
		VMOVUPS(Y0, Mem{Base: dst, Index: t, Scale: 1})
		ADDQ(Imm(32), q)
		JMP(LabelRef(l))
		Label(l + "_end")
	}
	XORQ(t, t)
	zero("mcb_head", t, a)
	zero("mcb_tail", b, n)
	MOVQ(a, q)
	Label("mcb_copy")
	CMPQ(q, bl)
	JGE(LabelRef("mcb_copy_last"))
	VMOVUPS(Mem{Base: src, Index: q, Scale: 1}, Y1)
	VANDPS(Mem{Base: mask, Index: q, Scale: 1}, Y1, Y1)
	VMOVUPS(Y1, Mem{Base: dst, Index: q, Scale: 1})
	ADDQ(Imm(32), q)
	JMP(LabelRef("mcb_copy"))
	Label("mcb_copy_last")
	VMOVUPS(Mem{Base: src, Index: bl, Scale: 1}, Y1)
	VANDPS(Mem{Base: mask, Index: bl, Scale: 1}, Y1, Y1)
	VMOVUPS(Y1, Mem{Base: dst, Index: bl, Scale: 1})
	ADDQ(n, dst)
	ADDQ(ss, src)
	DECQ(blocks)
	JMP(LabelRef("mcb_block"))
	Label("mcb_done")
	VZEROUPPER()
	RET()
}

// maskedAddBlocks emits maskedAddBlocksAVX2: for e < blocks and q < n,
// dst[e·ds+q] += src[e·ss+q] AND mask[q], one rounding per sum as the
// scalar loop's — a "same" convolution's patch row of several images
// added back to them (col2im), the mask dropping the positions whose
// window column falls off the image (they add +0, as a zeroed entry
// would). Blocks of eight, the last ending at the run's end (n ≥ 8); a
// value covered by two blocks must not be added twice, so the last
// block's sums are taken from dst before any block of the run is stored,
// as in rowsAdd.
func maskedAddBlocks() {
	TEXT("maskedAddBlocksAVX2", NOSPLIT, "func(dst, src []float32, mask []uint32, blocks, n, ds, ss int)")
	Pragma("noescape")
	Doc("maskedAddBlocksAVX2 sets dst[e·ds+q] += src[e·ss+q] AND mask[q] for e < blocks, q < n; n ≥ 8.")
	dst := Load(Param("dst").Base(), GP64())
	src := Load(Param("src").Base(), GP64())
	mask := Load(Param("mask").Base(), GP64())
	blocks := Load(Param("blocks"), GP64())
	n := Load(Param("n"), GP64())
	ds := Load(Param("ds"), GP64())
	ss := Load(Param("ss"), GP64())
	for _, r := range []Register{n, ds, ss} {
		SHLQ(Imm(2), r) // in bytes
	}
	last := GP64()
	MOVQ(n, last) // the run's last eight values, 4n − 32
	SUBQ(Imm(32), last)
	q := GP64()
	Label("mab_block")
	TESTQ(blocks, blocks)
	JZ(LabelRef("mab_done"))
	Comment("The run's last eight sums, from dst as it was.")
	VMOVUPS(Mem{Base: src, Index: last, Scale: 1}, Y1)
	VANDPS(Mem{Base: mask, Index: last, Scale: 1}, Y1, Y1)
	VADDPS(Mem{Base: dst, Index: last, Scale: 1}, Y1, Y1)
	XORQ(q, q)
	Label("mab_8")
	CMPQ(q, last)
	JGE(LabelRef("mab_next"))
	VMOVUPS(Mem{Base: src, Index: q, Scale: 1}, Y0)
	VANDPS(Mem{Base: mask, Index: q, Scale: 1}, Y0, Y0)
	VADDPS(Mem{Base: dst, Index: q, Scale: 1}, Y0, Y0)
	VMOVUPS(Y0, Mem{Base: dst, Index: q, Scale: 1})
	ADDQ(Imm(32), q)
	JMP(LabelRef("mab_8"))
	Label("mab_next")
	VMOVUPS(Y1, Mem{Base: dst, Index: last, Scale: 1})
	ADDQ(ds, dst)
	ADDQ(ss, src)
	DECQ(blocks)
	JMP(LabelRef("mab_block"))
	Label("mab_done")
	VZEROUPPER()
	RET()
}
