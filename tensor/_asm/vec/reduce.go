package main

// The reductions (sum, squared deviations, dot product with sum) and the
// horizontal sum they end with.

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

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
	case "addsum":
		TEXT(name, NOSPLIT, "func(v []float32, c float32) float32")
		Doc(name + " sets v[i] += c and returns Σ v[i] of the results in the eight-lane order of sumGo (addsumGo).")
	case "sqdev":
		TEXT(name, NOSPLIT, "func(v []float32, mu float32) float32")
		Doc(name + " returns Σ (v[i]−mu)² in the eight-lane order of sqdevGo.")
	case "dotsum":
		TEXT(name, NOSPLIT, "func(g, h []float32) (dot, sum float32)")
		Doc(name + " returns Σ g[i]·h[i] and Σ g[i] in the eight-lane order of dotsumGo; len(h) ≥ len(g).")
	case "dotsumn":
		TEXT(name, NOSPLIT, "func(g, x []float32, mean, k float32) (dot, sum float32)")
		Doc(name + " is dotsumAVX2 with h[i] = (x[i]−mean)·k computed as bnNormalizeAVX2 computes it (dotsumnGo); len(x) ≥ len(g).")
	}
	Pragma("noescape")
	var a, b Register
	var n Register
	two := kind == "dotsum" || kind == "dotsumn"
	if kind == "dotsum" {
		a = Load(Param("g").Base(), GP64())
		b = Load(Param("h").Base(), GP64())
		n = Load(Param("g").Len(), GP64())
	} else if kind == "dotsumn" {
		a = Load(Param("g").Base(), GP64())
		b = Load(Param("x").Base(), GP64())
		n = Load(Param("g").Len(), GP64())
		VBROADCASTSS(paramAddr("mean"), Y14)
		VBROADCASTSS(paramAddr("k"), Y15)
	} else {
		a = Load(Param("v").Base(), GP64())
		n = Load(Param("v").Len(), GP64())
	}
	if kind == "sqdev" {
		VBROADCASTSS(paramAddr("mu"), Y15)
	}
	if kind == "addsum" {
		VBROADCASTSS(paramAddr("c"), Y15)
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
		mean, k := f.r(Y14), f.r(Y15)
		ld(Mem{Base: a}, t)
		switch kind {
		case "sum":
			add(t, acc, acc)
		case "addsum":
			add(mu, t, t) // mu is c here
			ld(t, Mem{Base: a})
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
		case "dotsumn":
			ld(Mem{Base: b}, u)
			sub(mean, u, u) // x − mean
			mul(k, u, u)    // h = (x − mean)·k
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
	if two {
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
	if two {
		Store(X0, ReturnIndex(0))
		Store(X1, ReturnIndex(1))
	} else {
		Store(X0, ReturnIndex(0))
	}
	RET()
}
