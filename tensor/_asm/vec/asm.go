// Command vec generates the amd64 AVX2 elementwise kernels of
// tensor/internal/vec with avo. Run it through go generate in that package
// (see gen.go there) or, from tensor/_asm/vec:
//
//	go run . -out ../../internal/vec/vec_amd64.s -stubs ../../internal/vec/vec_amd64_stub.go -pkg vec
//
// Every kernel walks its slices 32 values (four ymm registers) at a time,
// then 8, then one by one with the scalar form of the same instruction, so
// an element gets the same arithmetic wherever it falls.
package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// body emits the work on `lanes` values at byte offset off (lanes is 8 for
// one ymm register, 1 for the scalar tail); v is the register to use.
type body func(off int, v VecPhysical, scalar bool)

// loop emits the 4×8, 8 and 1 loops over n elements, advancing the given
// pointers by 4 bytes per element after each block.
func loop(name string, n Register, ptrs []Register, f body) {
	Label(name + "_32")
	CMPQ(n, Imm(32))
	JL(LabelRef(name + "_8"))
	for u := 0; u < 4; u++ {
		f(32*u, []VecPhysical{Y0, Y1, Y2, Y3}[u], false)
	}
	for _, p := range ptrs {
		ADDQ(Imm(128), p)
	}
	SUBQ(Imm(32), n)
	JMP(LabelRef(name + "_32"))

	Label(name + "_8")
	CMPQ(n, Imm(8))
	JL(LabelRef(name + "_1"))
	f(0, Y0, false)
	for _, p := range ptrs {
		ADDQ(Imm(32), p)
	}
	SUBQ(Imm(8), n)
	JMP(LabelRef(name + "_8"))

	Label(name + "_1")
	TESTQ(n, n)
	JZ(LabelRef(name + "_done"))
	f(0, X0, true)
	for _, p := range ptrs {
		ADDQ(Imm(4), p)
	}
	DECQ(n)
	JMP(LabelRef(name + "_1"))

	Label(name + "_done")
	VZEROUPPER()
	RET()
}

// form is one of the two shapes every elementwise kernel is emitted in:
// eight lanes of a ymm register, or lane 0 of an xmm register for the
// scalar tail. Both run the same operation on each element, so an element
// gets the same bits wherever it falls.
type form struct {
	scalar                  bool
	mov, add, sub, mul, div func(...Op)
}

func formOf(scalar bool) form {
	if scalar {
		return form{true, VMOVSS, VADDSS, VSUBSS, VMULSS, VDIVSS}
	}
	return form{false, VMOVUPS, VADDPS, VSUBPS, VMULPS, VDIVPS}
}

// r returns register y in this form: y, or its xmm half.
func (f form) r(y VecPhysical) Op {
	if f.scalar {
		return y.AsX()
	}
	return y
}

// scratchOf is the spare register that goes with loop's working register v.
func scratchOf(v VecPhysical) VecPhysical {
	return map[VecPhysical]VecPhysical{Y0: Y4, Y1: Y5, Y2: Y6, Y3: Y7, X0: X4}[v]
}

func axpy() {
	TEXT("axpyAVX2", NOSPLIT, "func(alpha float32, x, y []float32)")
	Pragma("noescape")
	Doc("axpyAVX2 sets y[i] = fma(alpha, x[i], y[i]) for i < len(x); len(y) ≥ len(x).")
	x := Load(Param("x").Base(), GP64())
	y := Load(Param("y").Base(), GP64())
	n := Load(Param("x").Len(), GP64())
	Comment("Y15 = alpha in every lane.")
	VBROADCASTSS(paramAddr("alpha"), Y15)
	loop("axpy", n, []Register{x, y}, func(off int, v VecPhysical, scalar bool) {
		if scalar {
			VMOVSS(Mem{Base: y, Disp: off}, v)
			VFMADD231SS(Mem{Base: x, Disp: off}, X15, v)
			VMOVSS(v, Mem{Base: y, Disp: off})
			return
		}
		VMOVUPS(Mem{Base: y, Disp: off}, v)
		VFMADD231PS(Mem{Base: x, Disp: off}, Y15, v)
		VMOVUPS(v, Mem{Base: y, Disp: off})
	})
}

func scale() {
	TEXT("scaleAVX2", NOSPLIT, "func(alpha float32, x []float32)")
	Pragma("noescape")
	Doc("scaleAVX2 sets x[i] *= alpha.")
	x := Load(Param("x").Base(), GP64())
	n := Load(Param("x").Len(), GP64())
	VBROADCASTSS(paramAddr("alpha"), Y15)
	loop("scale", n, []Register{x}, func(off int, v VecPhysical, scalar bool) {
		if scalar {
			VMULSS(Mem{Base: x, Disp: off}, X15, v)
			VMOVSS(v, Mem{Base: x, Disp: off})
			return
		}
		VMULPS(Mem{Base: x, Disp: off}, Y15, v)
		VMOVUPS(v, Mem{Base: x, Disp: off})
	})
}

// relu emits y[i] = max(x[i] (+ b[i]), 0) as a bit operation: the sign
// bit, spread over the lane by an arithmetic shift, clears negative values
// (−0 included) to +0 with ANDNPS. A NaN keeps its sign: a positive NaN
// goes through, so the loss sees it and training stops, instead of being
// silently turned into 0 as MAXPS would. The Go loop reluGo does the same
// on the same bits.
func relu(name string, withBias bool) {
	if withBias {
		TEXT(name, NOSPLIT, "func(x, b []float32)")
		Doc(name + " sets x[i] = max(x[i]+b[i], 0) for i < len(x) (−0 gives +0, a NaN keeps its value if positive); len(b) ≥ len(x).")
	} else {
		TEXT(name, NOSPLIT, "func(y, x []float32)")
		Doc(name + " sets y[i] = max(x[i], 0) for i < len(x) (−0 gives +0, a NaN keeps its value if positive); len(y) ≥ len(x).")
	}
	Pragma("noescape")
	x := Load(Param("x").Base(), GP64())
	n := Load(Param("x").Len(), GP64())
	var other Register
	if withBias {
		other = Load(Param("b").Base(), GP64())
	} else {
		other = Load(Param("y").Base(), GP64())
	}
	loop(name, n, []Register{x, other}, func(off int, v VecPhysical, scalar bool) {
		dst := x
		if !withBias {
			dst = other
		}
		f, t := formOf(scalar), scratchOf(v)
		f.mov(Mem{Base: x, Disp: off}, v)
		if withBias {
			f.add(Mem{Base: other, Disp: off}, v, v)
		}
		VPSRAD(Imm(31), v, t)
		VANDNPS(v, t, v)
		f.mov(v, Mem{Base: dst, Disp: off})
	})
}

func reluBackward() {
	TEXT("reluBackwardAVX2", NOSPLIT, "func(dx, dy, y []float32)")
	Pragma("noescape")
	Doc("reluBackwardAVX2 sets dx[i] = dy[i] where y[i] > 0, else 0, for i < len(y); dx and dy are at least as long.")
	dx := Load(Param("dx").Base(), GP64())
	dy := Load(Param("dy").Base(), GP64())
	y := Load(Param("y").Base(), GP64())
	n := Load(Param("y").Len(), GP64())
	VXORPS(Y15, Y15, Y15)
	loop("relub", n, []Register{dx, dy, y}, func(off int, v VecPhysical, scalar bool) {
		// v = (y > 0) as an all-ones mask, then v &= dy. The predicates are
		// ordered and quiet, so a NaN y gives 0: 0x1e is y > 0 (scalar),
		// 0x11 is 0 < y (the memory operand must be the second source).
		if scalar {
			VMOVSS(Mem{Base: y, Disp: off}, v)
			VCMPSS(Imm(0x1e), X15, v, v)
			VMOVSS(Mem{Base: dy, Disp: off}, X1) // not VANDPS m128: it would read past the end
			VANDPS(X1, v, v)
			VMOVSS(v, Mem{Base: dx, Disp: off})
			return
		}
		VCMPPS(Imm(0x11), Mem{Base: y, Disp: off}, Y15, v)
		VANDPS(Mem{Base: dy, Disp: off}, v, v)
		VMOVUPS(v, Mem{Base: dx, Disp: off})
	})
}

// adam emits one Adam update over a parameter tensor:
//
//	g' = g + l2·p;  m += (g' − m)·c1;  v += (g'·g' − v)·c2;  p −= alpha·m / (sqrt(v) + eps)
//
// with separate multiplies and adds (no FMA), in the order the Go loop
// adamGo evaluates them, so both give the same bits. VSQRTPS is correctly
// rounded, as float32(math.Sqrt(float64(v))) is. Eight values a step, then
// one at a time; the division and square root bound it, not memory.
func adam() {
	TEXT("adamAVX2", NOSPLIT, "func(p, g, m, v []float32, l2, c1, c2, alpha, eps float32)")
	Pragma("noescape")
	Doc("adamAVX2 applies one Adam step to p[i] from g[i], updating the moments m[i] and v[i], for i < len(p); g, m and v are at least as long.")
	p := Load(Param("p").Base(), GP64())
	g := Load(Param("g").Base(), GP64())
	m := Load(Param("m").Base(), GP64())
	v := Load(Param("v").Base(), GP64())
	n := Load(Param("p").Len(), GP64())
	VBROADCASTSS(paramAddr("l2"), Y11)
	VBROADCASTSS(paramAddr("c1"), Y12)
	VBROADCASTSS(paramAddr("c2"), Y13)
	VBROADCASTSS(paramAddr("alpha"), Y14)
	VBROADCASTSS(paramAddr("eps"), Y15)
	step := func(off int, scalar bool) {
		f := formOf(scalar)
		ld, st, mul, add, sub, div, C := f.mov, f.mov, f.mul, f.add, f.sub, f.div, f.r
		sqrt := func(src, dst Op) { VSQRTPS(src, dst) }
		if scalar {
			sqrt = func(src, dst Op) { VSQRTSS(src, dst, dst) }
		}
		R := func(i int) Op { return f.r([]VecPhysical{Y0, Y1, Y2, Y3, Y4}[i]) }
		P, G, M, V, T := R(0), R(1), R(2), R(3), R(4)
		ld(Mem{Base: p, Disp: off}, P)
		ld(Mem{Base: g, Disp: off}, G)
		ld(Mem{Base: m, Disp: off}, M)
		ld(Mem{Base: v, Disp: off}, V)
		mul(C(Y11), P, T) // T = l2·p
		add(T, G, G)      // G = g + l2·p
		sub(M, G, T)      // T = g' − m
		mul(C(Y12), T, T) // T = (g' − m)·c1
		add(T, M, M)      // m += T
		st(M, Mem{Base: m, Disp: off})
		mul(G, G, T)      // T = g'·g'
		sub(V, T, T)      // T = g'·g' − v
		mul(C(Y13), T, T) // T = (g'·g' − v)·c2
		add(T, V, V)      // v += T
		st(V, Mem{Base: v, Disp: off})
		sqrt(V, T)        // T = sqrt(v)
		add(C(Y15), T, T) // T = sqrt(v) + eps
		mul(M, C(Y14), M) // M = alpha·m
		div(T, M, M)      // M = alpha·m / (sqrt(v) + eps)
		sub(M, P, P)      // p −= M
		st(P, Mem{Base: p, Disp: off})
	}
	Label("adam_8")
	CMPQ(n, Imm(8))
	JL(LabelRef("adam_1"))
	step(0, false)
	for _, r := range []Register{p, g, m, v} {
		ADDQ(Imm(32), r)
	}
	SUBQ(Imm(8), n)
	JMP(LabelRef("adam_8"))
	Label("adam_1")
	TESTQ(n, n)
	JZ(LabelRef("adam_done"))
	step(0, true)
	for _, r := range []Register{p, g, m, v} {
		ADDQ(Imm(4), r)
	}
	DECQ(n)
	JMP(LabelRef("adam_1"))
	Label("adam_done")
	VZEROUPPER()
	RET()
}

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

// The batch-normalisation kernels. The elementwise ones use separate
// multiplies and adds in the order of their Go loops (same bits). The
// reductions keep eight partial sums, lane l taking elements l, l+8, ...
// of the multiple-of-8 prefix, fold them as
// ((s0+s4)+(s2+s6)) + ((s1+s5)+(s3+s7)) and then add the remaining
// elements one by one; the Go versions keep the same eight sums in an
// array, so both paths give the same bits.

// bnNormalize emits h = (x−mean)·k; xh = h; y = g·h + b.
func bnNormalize() {
	TEXT("bnNormalizeAVX2", NOSPLIT, "func(x, xh, y []float32, mean, k, gamma, shift float32)")
	Pragma("noescape")
	Doc("bnNormalizeAVX2 sets h = (x[i]−mean)·k, xh[i] = h and y[i] = gamma·h + shift for i < len(x); xh and y are at least as long.")
	x := Load(Param("x").Base(), GP64())
	xh := Load(Param("xh").Base(), GP64())
	y := Load(Param("y").Base(), GP64())
	n := Load(Param("x").Len(), GP64())
	VBROADCASTSS(paramAddr("mean"), Y12)
	VBROADCASTSS(paramAddr("k"), Y13)
	VBROADCASTSS(paramAddr("gamma"), Y14)
	VBROADCASTSS(paramAddr("shift"), Y15)
	loop("bnnorm", n, []Register{x, xh, y}, func(off int, v VecPhysical, scalar bool) {
		f, t := formOf(scalar), scratchOf(v)
		f.mov(Mem{Base: x, Disp: off}, v)
		f.sub(f.r(Y12), v, v)
		f.mul(f.r(Y13), v, v)
		f.mov(v, Mem{Base: xh, Disp: off})
		f.mul(f.r(Y14), v, t)
		f.add(f.r(Y15), t, t)
		f.mov(t, Mem{Base: y, Disp: off})
	})
}

// bnBackward emits dx = k·((dy − mdb) − xh·mdg).
func bnBackward() {
	TEXT("bnBackwardAVX2", NOSPLIT, "func(dx, dy, xh []float32, k, mdb, mdg float32)")
	Pragma("noescape")
	Doc("bnBackwardAVX2 sets dx[i] = k·((dy[i]−mdb) − xh[i]·mdg) for i < len(dx); dy and xh are at least as long.")
	dx := Load(Param("dx").Base(), GP64())
	dy := Load(Param("dy").Base(), GP64())
	xh := Load(Param("xh").Base(), GP64())
	n := Load(Param("dx").Len(), GP64())
	VBROADCASTSS(paramAddr("k"), Y13)
	VBROADCASTSS(paramAddr("mdb"), Y14)
	VBROADCASTSS(paramAddr("mdg"), Y15)
	loop("bnback", n, []Register{dx, dy, xh}, func(off int, v VecPhysical, scalar bool) {
		f, t := formOf(scalar), scratchOf(v)
		f.mov(Mem{Base: dy, Disp: off}, v)
		f.sub(f.r(Y14), v, v) // dy − mdb
		f.mov(Mem{Base: xh, Disp: off}, t)
		f.mul(f.r(Y15), t, t) // xh·mdg
		f.sub(t, v, v)        // (dy − mdb) − xh·mdg
		f.mul(f.r(Y13), v, v) // ·k
		f.mov(v, Mem{Base: dx, Disp: off})
	})
}

// hsum folds the eight lanes of y (its xmm half is x) into x's lane 0 as
// ((s0+s4)+(s2+s6)) + ((s1+s5)+(s3+s7)); tmp is clobbered.
func hsum(y VecPhysical, x, tmp VecPhysical) {
	VEXTRACTF128(Imm(1), y, tmp)
	VADDPS(tmp, x, x) // s0+s4, s1+s5, s2+s6, s3+s7
	VMOVHLPS(x, x, tmp)
	VADDPS(tmp, x, x) // (s0+s4)+(s2+s6), (s1+s5)+(s3+s7)
	VMOVSHDUP(x, tmp)
	VADDSS(tmp, x, x)
}

// reduce emits one of the three reductions: "sum" (Σ v), "sqdev" (Σ (v−mu)²)
// or "dotsum" (Σ g·h and Σ g).
func reduce(kind string) {
	name := kind + "AVX2"
	switch kind {
	case "sum":
		TEXT(name, NOSPLIT, "func(v []float32) float32")
		Doc(name + " returns Σ v[i] in the eight-lane order of sumGo.")
	case "sqdev":
		TEXT(name, NOSPLIT, "func(v []float32, mu float32) float32")
		Doc(name + " returns Σ (v[i]−mu)² in the eight-lane order of sqdevGo.")
	case "dotsum":
		TEXT(name, NOSPLIT, "func(g, h []float32) (dot, sum float32)")
		Doc(name + " returns Σ g[i]·h[i] and Σ g[i] in the eight-lane order of dotsumGo; len(h) ≥ len(g).")
	}
	Pragma("noescape")
	var a, b Register
	var n Register
	if kind == "dotsum" {
		a = Load(Param("g").Base(), GP64())
		b = Load(Param("h").Base(), GP64())
		n = Load(Param("g").Len(), GP64())
	} else {
		a = Load(Param("v").Base(), GP64())
		n = Load(Param("v").Len(), GP64())
	}
	if kind == "sqdev" {
		VBROADCASTSS(paramAddr("mu"), Y15)
	}
	VXORPS(Y0, Y0, Y0) // the sum (or the dot product)
	VXORPS(Y1, Y1, Y1) // Σ g for dotsum
	ptrs := []Register{a}
	if b != nil {
		ptrs = append(ptrs, b)
	}
	body := func(scalar bool) {
		f := formOf(scalar)
		ld, sub, mul, add := f.mov, f.sub, f.mul, f.add
		acc, acc2, t, u, mu := f.r(Y0), f.r(Y1), f.r(Y2), f.r(Y3), f.r(Y15)
		ld(Mem{Base: a}, t)
		switch kind {
		case "sum":
			add(t, acc, acc)
		case "sqdev":
			sub(mu, t, t)
			mul(t, t, t)
			add(t, acc, acc)
		case "dotsum":
			ld(Mem{Base: b}, u)
			add(t, acc2, acc2)
			mul(u, t, t)
			add(t, acc, acc)
		}
	}
	Label(kind + "_8")
	CMPQ(n, Imm(8))
	JL(LabelRef(kind + "_fold"))
	body(false)
	for _, p := range ptrs {
		ADDQ(Imm(32), p)
	}
	SUBQ(Imm(8), n)
	JMP(LabelRef(kind + "_8"))
	Label(kind + "_fold")
	hsum(Y0, X0, X4)
	if kind == "dotsum" {
		hsum(Y1, X1, X4)
	}
	Label(kind + "_1")
	TESTQ(n, n)
	JZ(LabelRef(kind + "_done"))
	body(true)
	for _, p := range ptrs {
		ADDQ(Imm(4), p)
	}
	DECQ(n)
	JMP(LabelRef(kind + "_1"))
	Label(kind + "_done")
	// VZEROUPPER first: Store emits legacy-SSE MOVSS, and an SSE
	// instruction while the upper halves are dirty costs about 100 ns on
	// this project's machine (measured; a VEX MOVQ instead of MOVQ in the
	// gemm scan took a call from 124 to 7 ns). The low halves survive it.
	VZEROUPPER()
	if kind == "dotsum" {
		Store(X0, ReturnIndex(0))
		Store(X1, ReturnIndex(1))
	} else {
		Store(X0, ReturnIndex(0))
	}
	RET()
}

// addConst emits dst[i] = src[i] + c.
func addConst() {
	TEXT("addConstAVX2", NOSPLIT, "func(dst, src []float32, c float32)")
	Pragma("noescape")
	Doc("addConstAVX2 sets dst[i] = src[i] + c for i < len(src); len(dst) ≥ len(src).")
	dst := Load(Param("dst").Base(), GP64())
	src := Load(Param("src").Base(), GP64())
	n := Load(Param("src").Len(), GP64())
	VBROADCASTSS(paramAddr("c"), Y15)
	loop("addc", n, []Register{dst, src}, func(off int, v VecPhysical, scalar bool) {
		if scalar {
			VMOVSS(Mem{Base: src, Disp: off}, v)
			VADDSS(X15, v, v)
			VMOVSS(v, Mem{Base: dst, Disp: off})
			return
		}
		VADDPS(Mem{Base: src, Disp: off}, Y15, v)
		VMOVUPS(v, Mem{Base: dst, Disp: off})
	})
}

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
	split := func(r Register, even, odd VecPhysical) {
		VMOVUPS(Mem{Base: r}, Y8)
		VMOVUPS(Mem{Base: r, Disp: 32}, Y9)
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

// sgd emits plain SGD with an L2 term: d = g + wd·p; p −= lr·d, each
// operation rounded separately like the Go loop.
func sgd() {
	TEXT("sgdAVX2", NOSPLIT, "func(p, g []float32, lr, wd float32)")
	Pragma("noescape")
	Doc("sgdAVX2 sets p[i] −= lr·(g[i] + wd·p[i]) for i < len(p); len(g) ≥ len(p).")
	p := Load(Param("p").Base(), GP64())
	g := Load(Param("g").Base(), GP64())
	n := Load(Param("p").Len(), GP64())
	VBROADCASTSS(paramAddr("lr"), Y14)
	VBROADCASTSS(paramAddr("wd"), Y15)
	loop("sgd", n, []Register{p, g}, func(off int, v VecPhysical, scalar bool) {
		f, t := formOf(scalar), scratchOf(v)
		f.mov(Mem{Base: p, Disp: off}, v)
		f.mul(f.r(Y15), v, t)                // wd·p
		f.add(Mem{Base: g, Disp: off}, t, t) // d = g + wd·p
		f.mul(f.r(Y14), t, t)                // lr·d
		f.sub(t, v, v)                       // p − lr·d
		f.mov(v, Mem{Base: p, Disp: off})
	})
}

func paramAddr(name string) Mem {
	p, err := Param(name).Resolve()
	if err != nil {
		panic(fmt.Sprint(err))
	}
	return p.Addr
}

func main() {
	ConstraintExpr("amd64,!purego")
	axpy()
	scale()
	relu("reluAVX2", false)
	relu("addReLUAVX2", true)
	reluBackward()
	adam()
	bytesToFloat()
	bnNormalize()
	bnBackward()
	reduce("sum")
	reduce("sqdev")
	reduce("dotsum")
	addConst()
	maxPool2x2()
	sgd()
	Generate()
}
