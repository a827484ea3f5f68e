package main

// The ReLU kernels, forward (with or without a bias) and backward.

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

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
