package main

// The 2×2 max-pool kernel.

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// maxPool2x2 emits the 2×2, stride-2 max-pool of one pair of image rows,
// eight outputs at a time. Each window is split into its even and odd
// columns (VSHUFPS, then VPERMPD to undo the 128-bit lane split) and
// reduced with ordered greater-than compares and blends, exactly as
// maxPool2x2Go does: top = v1 > v0 ? v1 : v0, bot = v3 > v2 ? v3 : v2,
// out = bot > top ? bot : top, with the index of the value chosen (ties and
// NaN keep the earlier position).
func maxPool2x2() {
	TEXT("maxPool2x2AVX2", NOSPLIT, "func(out []float32, arg []int32, r0, r1 []float32, base, w int32)")
	Pragma("noescape")
	Doc("maxPool2x2AVX2 pools len(out)/8 blocks of eight windows over rows r0 and r1 (16 columns a block); arg gets base + the window's chosen column (+ w for r1).")
	out := Load(Param("out").Base(), GP64())
	arg := Load(Param("arg").Base(), GP64())
	r0 := Load(Param("r0").Base(), GP64())
	r1 := Load(Param("r1").Base(), GP64())
	n := Load(Param("out").Len(), GP64())
	SHRQ(Imm(3), n)
	idx := GLOBL("maxpool_cols", RODATA|NOPTR)
	for i := 0; i < 8; i++ {
		DATA(4*i, U32(2*i))
	}
	maxpoolCols = idx
	bcast := func(src Op, dst VecPhysical, x VecPhysical) {
		r := GP32()
		MOVL(src, r)
		VMOVD(r, x)
		VPBROADCASTD(x, dst)
	}
	bcast(paramAddr("base"), Y12, X12)
	VPADDD(idx, Y12, Y12) // Y12: base + 2j, the even column of window j
	bcast(paramAddr("w"), Y13, X13)
	VPADDD(Y12, Y13, Y13)    // Y13: the same in row r1
	bcast(U32(16), Y14, X14) // Y14: 16, the column step of a block
	Label("mp_loop")
	TESTQ(n, n)
	JZ(LabelRef("mp_done"))
	poolBlock(Mem{Base: r0}, Mem{Base: r1})
	VMOVUPS(Y0, Mem{Base: out})
	VMOVDQU(Y4, Mem{Base: arg})
	VPADDD(Y14, Y12, Y12)
	VPADDD(Y14, Y13, Y13)
	ADDQ(Imm(32), out)
	ADDQ(Imm(32), arg)
	ADDQ(Imm(64), r0)
	ADDQ(Imm(64), r1)
	DECQ(n)
	JMP(LabelRef("mp_loop"))
	Label("mp_done")
	VZEROUPPER()
	RET()
}

// poolBlock pools eight windows whose rows start at r0 and r1 (16 values
// each), with Y12 and Y13 each window's index of its even column in r0 and
// r1: Y0 gets the maxima, Y4 their indices (Y1–Y9 are overwritten).
func poolBlock(r0, r1 Mem) {
	split := func(m Mem, even, odd VecPhysical) {
		VMOVUPS(m, Y8)
		VMOVUPS(Mem{Base: m.Base, Index: m.Index, Scale: m.Scale, Disp: m.Disp + 32}, Y9)
		VSHUFPS(Imm(0x88), Y9, Y8, even)
		VSHUFPS(Imm(0xdd), Y9, Y8, odd)
		VPERMPD(Imm(0xd8), even, even)
		VPERMPD(Imm(0xd8), odd, odd)
	}
	split(r0, Y0, Y1)
	split(r1, Y2, Y3)
	VCMPPS(Imm(0x1e), Y0, Y1, Y4) // Y4: v1 > v0
	VBLENDVPS(Y4, Y1, Y0, Y0)     // Y0: top
	VPSUBD(Y4, Y12, Y4)           // Y4: top's index (−1 per true lane: +1)
	VCMPPS(Imm(0x1e), Y2, Y3, Y5) // Y5: v3 > v2
	VBLENDVPS(Y5, Y3, Y2, Y2)     // Y2: bottom
	VPSUBD(Y5, Y13, Y5)           // Y5: bottom's index
	VCMPPS(Imm(0x1e), Y0, Y2, Y6) // Y6: bottom > top
	VBLENDVPS(Y6, Y2, Y0, Y0)
	VBLENDVPS(Y6, Y5, Y4, Y4)
}

// blockIndices sets Y12 to the indices of the even columns of eight
// windows in row r0, the first at t (0, 2, …, 14 on), and Y13 to the same
// in row r1 (Y15 holds the row width).
func blockIndices(t GPVirtual) {
	VMOVD(t.As32(), X12)
	VPBROADCASTD(X12, Y12)
	VPADDD(maxpoolCols, Y12, Y12)
	VPADDD(Y12, Y15, Y13)
}

// maxpoolCols is maxPool2x2's table of window columns (0, 2, …, 14), which
// maxPool2x2Planes and maxUnpool2x2Rows read too.
var maxpoolCols Mem

// maxPool2x2Planes emits the 2×2, stride-2 max-pool of whole planes: the
// same compares and blends as maxPool2x2, eight windows at a time. A row
// of eight windows or more goes in blocks, the last ending at the row's
// end (overlapping the one before when the row's windows are not a
// multiple of eight: those windows are computed twice, the same way). A
// shorter row is one block of eight that runs on into the next row (and
// past a plane's last row into the next plane), whose outputs are
// computed again, correctly, when their turn comes: rows and planes go in
// order, and the caller keeps the last blocks inside its slices. One call
// pools planes that maxPool2x2 would pool in a call or two per row.
func maxPool2x2Planes() {
	TEXT("maxPool2x2PlanesAVX2", NOSPLIT, "func(out []float32, arg []int32, x []float32, planes, rows, ow, w, plane int)")
	Pragma("noescape")
	Doc("maxPool2x2PlanesAVX2 pools planes planes (plane values apart in x; their rows·ow outputs one after another) of rows output rows of ow windows (input rows w apart): output row oy from input rows 2oy and 2oy+1; arg gets each window's index in its plane.")
	out := Load(Param("out").Base(), GP64())
	arg := Load(Param("arg").Base(), GP64())
	xplane := Load(Param("x").Base(), GP64())
	planes := Load(Param("planes"), GP64())
	ow := Load(Param("ow"), GP64())
	w := GP64()
	Load(Param("w"), w)
	VMOVD(w.As32(), X15)
	VPBROADCASTD(X15, Y15) // Y15: w, from a window's r0 index to its r1 index
	last := GP64()         // max(ow − 8, 0), the last block's first window
	MOVQ(ow, last)
	SUBQ(Imm(8), last)
	t := GP64()
	XORQ(t, t)
	CMPQ(last, t)
	CMOVQLT(t, last)
	base, r, j, jj, r0 := GP64(), GP64(), GP64(), GP64(), GP64()

	Label("mpp_plane")
	TESTQ(planes, planes)
	JZ(LabelRef("mpp_done"))
	Load(Param("rows"), r)
	XORQ(base, base) // 2·oy·w, the index of row r0's first value in the plane
	Label("mpp_row")
	TESTQ(r, r)
	JZ(LabelRef("mpp_next"))
	XORQ(j, j)
	Label("mpp_block")
	MOVQ(j, jj)
	CMPQ(jj, last)
	CMOVQGT(last, jj)                                  // jj = min(j, last)
	LEAQ(Mem{Base: xplane, Index: base, Scale: 4}, r0) // row r0
	LEAQ(Mem{Base: r0, Index: jj, Scale: 8}, r0)       // + 2·jj values
	LEAQ(Mem{Base: base, Index: jj, Scale: 2}, t)      // the block's first index
	blockIndices(t)
	poolBlock(Mem{Base: r0}, Mem{Base: r0, Index: w, Scale: 4})
	VMOVUPS(Y0, Mem{Base: out, Index: jj, Scale: 4})
	VMOVDQU(Y4, Mem{Base: arg, Index: jj, Scale: 4})
	ADDQ(Imm(8), j)
	CMPQ(j, ow)
	JL(LabelRef("mpp_block"))

	LEAQ(Mem{Base: out, Index: ow, Scale: 4}, out)
	LEAQ(Mem{Base: arg, Index: ow, Scale: 4}, arg)
	LEAQ(Mem{Base: base, Index: w, Scale: 2}, base) // two input rows on
	DECQ(r)
	JMP(LabelRef("mpp_row"))
	Label("mpp_next")
	Load(Param("plane"), t)
	LEAQ(Mem{Base: xplane, Index: t, Scale: 4}, xplane)
	DECQ(planes)
	JMP(LabelRef("mpp_plane"))
	Label("mpp_done")
	VZEROUPPER()
	RET()
}

// maxUnpool2x2Rows emits the backward pass of maxPool2x2Planes over a whole
// plane: each window's gradient g goes to the input position its arg
// names, as 0 + g (the sum the scalar loop makes on a cleared plane, so
// −0 becomes +0), and every other position of the window gets +0. With
// relu set, g is first masked to +0 where the pooled output y is not
// positive (a fused ReLU's mask; NaN is not positive). Windows do not
// overlap, so each position is stored once, not added: a block that
// overlaps the one before it stores the same values again.
func maxUnpool2x2Rows() {
	TEXT("maxUnpool2x2RowsAVX2", NOSPLIT, "func(dx, g []float32, arg []int32, y []float32, rows, ow, w int, relu bool)")
	Pragma("noescape")
	Doc("maxUnpool2x2RowsAVX2 sets input rows 2oy and 2oy+1, columns [0, 2·ow), of the plane dx (row stride w) from the rows output rows of ow ≥ 8 windows: g at each window's arg, +0 elsewhere; with relu, g only where y > 0.")
	dx := Load(Param("dx").Base(), GP64())
	g := Load(Param("g").Base(), GP64())
	arg := Load(Param("arg").Base(), GP64())
	y := Load(Param("y").Base(), GP64())
	rows := Load(Param("rows"), GP64())
	ow := Load(Param("ow"), GP64())
	w := GP64()
	Load(Param("w"), w)
	relu := GP64()
	MOVBQZX(paramAddr("relu"), relu)
	wb := GP64()
	MOVQ(w, wb)
	SHLQ(Imm(2), wb)
	VMOVD(w.As32(), X15)
	VPBROADCASTD(X15, Y15) // Y15: w
	one := GP32()
	MOVL(U32(1), one)
	VMOVD(one, X14)
	VPBROADCASTD(X14, Y14) // Y14: 1, from a window's even column to its odd one
	VXORPS(Y11, Y11, Y11)  // Y11: +0
	last := GP64()
	MOVQ(ow, last)
	SUBQ(Imm(8), last)
	base := GP64()
	XORQ(base, base)
	j, jj, r0, t := GP64(), GP64(), GP64(), GP64()
	xrow := GP64()
	MOVQ(dx, xrow)

	Label("mur_row")
	TESTQ(rows, rows)
	JZ(LabelRef("mur_done"))
	XORQ(j, j)
	Label("mur_block")
	MOVQ(j, jj)
	CMPQ(jj, last)
	CMOVQGT(last, jj)
	LEAQ(Mem{Base: xrow, Index: jj, Scale: 8}, r0)
	LEAQ(Mem{Base: base, Index: jj, Scale: 2}, t)
	blockIndices(t)
	VMOVUPS(Mem{Base: g, Index: jj, Scale: 4}, Y0)
	TESTQ(relu, relu)
	JZ(LabelRef("mur_nomask"))
	VCMPPS(Imm(0x11), Mem{Base: y, Index: jj, Scale: 4}, Y11, Y1) // 0 < y, ordered: NaN is not
	VANDPS(Y1, Y0, Y0)
	Label("mur_nomask")
	VADDPS(Y11, Y0, Y0) // 0 + g
	VMOVDQU(Mem{Base: arg, Index: jj, Scale: 4}, Y1)
	// One input row: the even and odd columns' values, back in column order.
	row := func(even VecPhysical, m Mem) {
		VPCMPEQD(Y1, even, Y2)
		VPADDD(Y14, even, Y3)
		VPCMPEQD(Y1, Y3, Y3)
		VANDPS(Y0, Y2, Y2) // the even columns
		VANDPS(Y0, Y3, Y3) // the odd columns
		VPERMPD(Imm(0xd8), Y2, Y2)
		VPERMPD(Imm(0xd8), Y3, Y3)
		VUNPCKLPS(Y3, Y2, Y4)
		VUNPCKHPS(Y3, Y2, Y5)
		VMOVUPS(Y4, m)
		VMOVUPS(Y5, Mem{Base: m.Base, Index: m.Index, Scale: m.Scale, Disp: m.Disp + 32})
	}
	row(Y12, Mem{Base: r0})
	row(Y13, Mem{Base: r0, Index: wb, Scale: 1})
	ADDQ(Imm(8), j)
	CMPQ(j, ow)
	JL(LabelRef("mur_block"))

	LEAQ(Mem{Base: g, Index: ow, Scale: 4}, g)
	LEAQ(Mem{Base: arg, Index: ow, Scale: 4}, arg)
	LEAQ(Mem{Base: y, Index: ow, Scale: 4}, y)
	LEAQ(Mem{Base: xrow, Index: wb, Scale: 2}, xrow)
	LEAQ(Mem{Base: base, Index: w, Scale: 2}, base)
	DECQ(rows)
	JMP(LabelRef("mur_row"))
	Label("mur_done")
	VZEROUPPER()
	RET()
}
