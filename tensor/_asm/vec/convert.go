package main

// The conversion of image bytes to float32.

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// bytesToFloat emits dst[i] = float32(src[i]) / div: bytes widened to
// int32 (VPMOVZXBD), converted exactly (VCVTDQ2PS: every byte is a float32)
// and divided with VDIVPS, which rounds like Go's float32 division.
func bytesToFloat() {
	TEXT("bytesToFloatAVX2", NOSPLIT, "func(dst []float32, src []uint8, div float32)")
	Pragma("noescape")
	Doc("bytesToFloatAVX2 sets dst[i] = float32(src[i]) / div for i < len(src); len(dst) ≥ len(src).")
	dst := Load(Param("dst").Base(), GP64())
	src := Load(Param("src").Base(), GP64())
	n := Load(Param("src").Len(), GP64())
	VBROADCASTSS(paramAddr("div"), Y15)
	Label("b2f_32")
	CMPQ(n, Imm(32))
	JL(LabelRef("b2f_8"))
	for u := 0; u < 4; u++ {
		v := []VecPhysical{Y0, Y1, Y2, Y3}[u]
		VPMOVZXBD(Mem{Base: src, Disp: 8 * u}, v)
		VCVTDQ2PS(v, v)
		VDIVPS(Y15, v, v)
		VMOVUPS(v, Mem{Base: dst, Disp: 32 * u})
	}
	ADDQ(Imm(32), src)
	ADDQ(Imm(128), dst)
	SUBQ(Imm(32), n)
	JMP(LabelRef("b2f_32"))
	Label("b2f_8")
	CMPQ(n, Imm(8))
	JL(LabelRef("b2f_1"))
	VPMOVZXBD(Mem{Base: src}, Y0)
	VCVTDQ2PS(Y0, Y0)
	VDIVPS(Y15, Y0, Y0)
	VMOVUPS(Y0, Mem{Base: dst})
	ADDQ(Imm(8), src)
	ADDQ(Imm(32), dst)
	SUBQ(Imm(8), n)
	JMP(LabelRef("b2f_8"))
	Label("b2f_1")
	TESTQ(n, n)
	JZ(LabelRef("b2f_done"))
	b := GP32()
	MOVBLZX(Mem{Base: src}, b)
	VCVTSI2SSL(b, X0, X0)
	VDIVSS(X15, X0, X0)
	VMOVSS(X0, Mem{Base: dst})
	ADDQ(Imm(1), src)
	ADDQ(Imm(4), dst)
	DECQ(n)
	JMP(LabelRef("b2f_1"))
	Label("b2f_done")
	VZEROUPPER()
	RET()
}
