package main

// The row sums of a bias gradient.

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// rowSums8 emits rowSums8AVX2: the sums of up to eight rows, each summed
// from left to right in float32 from +0, as a plain loop per row does (the
// bits of one). Eight columns of the eight rows are loaded, transposed
// (unpack, shuffle, 128-bit permute) and added to one accumulator a column
// at a time, lane r holding row r's sum: eight dependent additions per 64
// values, where a loop per row has 64. Rows past the count read the last
// row again (their sums are dropped by the caller). Columns past the last
// multiple of eight are the caller's.
func rowSums8() {
	TEXT("rowSums8AVX2", NOSPLIT, "func(out []float32, y []float32, ld, n, rows int)")
	Pragma("noescape")
	Doc("rowSums8AVX2 sets out[r] to the left-to-right float32 sum of y[r·ld : r·ld+n&^7] for r < 8, row r ≥ rows reading row rows−1; 1 ≤ rows ≤ 8.")
	y := Load(Param("y").Base(), GP64())
	ld := Load(Param("ld"), GP64())
	n := Load(Param("n"), GP64())
	rows := Load(Param("rows"), GP64())
	SHLQ(Imm(2), ld)
	zero := GP64()
	XORQ(zero, zero)
	p := []GPVirtual{GP64(), GP64(), GP64(), GP64(), GP64(), GP64(), GP64(), GP64()}
	MOVQ(y, p[0])
	step := GP64()
	for k := 1; k < 8; k++ {
		MOVQ(ld, step)
		CMPQ(rows, Imm(uint64(k)))
		CMOVQLE(zero, step) // row k is past the count: the row before again
		LEAQ(Mem{Base: p[k-1], Index: step, Scale: 1}, p[k])
	}
	SHRQ(Imm(3), n)
	VXORPS(Y15, Y15, Y15) // Y15: the sums, lane r for row r
	Label("rs_loop")
	TESTQ(n, n)
	JZ(LabelRef("rs_done"))
	r := []VecPhysical{Y0, Y1, Y2, Y3, Y4, Y5, Y6, Y7}
	for k := 0; k < 8; k++ {
		VMOVUPS(Mem{Base: p[k]}, r[k])
		ADDQ(Imm(32), p[k])
	}
	Comment("Transpose: t = pairs of rows interleaved, u = four rows per lane, c = a column.")
	VUNPCKLPS(Y1, Y0, Y8)           // t0: r0 r1 interleaved, columns 0 1 | 4 5
	VUNPCKHPS(Y1, Y0, Y9)           // t1: columns 2 3 | 6 7
	VUNPCKLPS(Y3, Y2, Y10)          // t2
	VUNPCKHPS(Y3, Y2, Y11)          // t3
	VUNPCKLPS(Y5, Y4, Y0)           // t4
	VUNPCKHPS(Y5, Y4, Y1)           // t5
	VUNPCKLPS(Y7, Y6, Y2)           // t6
	VUNPCKHPS(Y7, Y6, Y3)           // t7
	VSHUFPS(Imm(0x44), Y10, Y8, Y4) // u0: rows 0-3, column 0 | 4
	VSHUFPS(Imm(0xee), Y10, Y8, Y5) // u1: column 1 | 5
	VSHUFPS(Imm(0x44), Y11, Y9, Y6) // u2: column 2 | 6
	VSHUFPS(Imm(0xee), Y11, Y9, Y7) // u3: column 3 | 7
	VSHUFPS(Imm(0x44), Y2, Y0, Y8)  // u4: rows 4-7
	VSHUFPS(Imm(0xee), Y2, Y0, Y9)  // u5
	VSHUFPS(Imm(0x44), Y3, Y1, Y10) // u6
	VSHUFPS(Imm(0xee), Y3, Y1, Y11) // u7
	for c := 0; c < 8; c++ {
		lo, hi := []VecPhysical{Y4, Y5, Y6, Y7}[c%4], []VecPhysical{Y8, Y9, Y10, Y11}[c%4]
		imm := uint64(0x20) // low lanes: columns 0-3
		if c >= 4 {
			imm = 0x31 // high lanes: columns 4-7
		}
		col := []VecPhysical{Y12, Y13}[c%2]
		VPERM2F128(Imm(imm), hi, lo, col)
		VADDPS(col, Y15, Y15)
	}
	DECQ(n)
	JMP(LabelRef("rs_loop"))
	Label("rs_done")
	out := Load(Param("out").Base(), GP64())
	VMOVUPS(Y15, Mem{Base: out})
	VZEROUPPER()
	RET()
}
