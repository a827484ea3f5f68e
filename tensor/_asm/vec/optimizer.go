package main

// The optimiser update kernels: Adam and plain SGD.

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

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
