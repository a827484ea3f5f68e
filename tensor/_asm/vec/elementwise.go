package main

// The elementwise arithmetic kernels: axpy, scale and adding a constant.

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

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

// mulAdd is axpy with the product rounded before the add (VMULPS then
// VADDPS, no FMA), as the Go loop computes it: the same bits on every path.
func mulAdd() {
	TEXT("mulAddAVX2", NOSPLIT, "func(alpha float32, x, y []float32)")
	Pragma("noescape")
	Doc("mulAddAVX2 sets y[i] += alpha·x[i], the product rounded before the add, for i < len(x); len(y) ≥ len(x).")
	x := Load(Param("x").Base(), GP64())
	y := Load(Param("y").Base(), GP64())
	n := Load(Param("x").Len(), GP64())
	Comment("Y15 = alpha in every lane.")
	VBROADCASTSS(paramAddr("alpha"), Y15)
	loop("muladd", n, []Register{x, y}, func(off int, v VecPhysical, scalar bool) {
		f := formOf(scalar)
		f.mul(Mem{Base: x, Disp: off}, f.r(Y15), v)
		f.add(Mem{Base: y, Disp: off}, v, v)
		f.mov(v, Mem{Base: y, Disp: off})
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
