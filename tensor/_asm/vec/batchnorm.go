package main

// The batch-normalisation elementwise kernels (its reductions are in
// reduce.go).

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// The batch-normalisation kernels. The elementwise ones use separate
// multiplies and adds in the order of their Go loops (same bits). The
// reductions keep eight partial sums, lane l taking elements l, l+8, ...
// of the multiple-of-8 prefix, fold them as
// ((s0+s4)+(s2+s6)) + ((s1+s5)+(s3+s7)) and then add the remaining
// elements one by one; the Go versions keep the same eight sums in an
// array, so both paths give the same bits.

// bnNormalize emits h = (x−mean)·k; xh = h; y = g·h + b; with keepXh
// false (bnNormalizeYAVX2) xh is not written.
func bnNormalize(keepXh bool) {
	name, label := "bnNormalizeAVX2", "bnnorm"
	if keepXh {
		TEXT(name, NOSPLIT, "func(x, xh, y []float32, mean, k, gamma, shift float32)")
		Pragma("noescape")
		Doc(name + " sets h = (x[i]−mean)·k, xh[i] = h and y[i] = gamma·h + shift for i < len(x); xh and y are at least as long.")
	} else {
		name, label = "bnNormalizeYAVX2", "bnnormy"
		TEXT(name, NOSPLIT, "func(x, y []float32, mean, k, gamma, shift float32)")
		Pragma("noescape")
		Doc(name + " sets y[i] = gamma·h + shift with h = (x[i]−mean)·k for i < len(x), as bnNormalizeAVX2 does; y is at least as long.")
	}
	x := Load(Param("x").Base(), GP64())
	ptrs := []Register{x}
	var xh Register
	if keepXh {
		xh = Load(Param("xh").Base(), GP64())
		ptrs = append(ptrs, xh)
	}
	y := Load(Param("y").Base(), GP64())
	ptrs = append(ptrs, y)
	n := Load(Param("x").Len(), GP64())
	VBROADCASTSS(paramAddr("mean"), Y12)
	VBROADCASTSS(paramAddr("k"), Y13)
	VBROADCASTSS(paramAddr("gamma"), Y14)
	VBROADCASTSS(paramAddr("shift"), Y15)
	loop(label, n, ptrs, func(off int, v VecPhysical, scalar bool) {
		f, t := formOf(scalar), scratchOf(v)
		f.mov(Mem{Base: x, Disp: off}, v)
		f.sub(f.r(Y12), v, v)
		f.mul(f.r(Y13), v, v)
		if keepXh {
			f.mov(v, Mem{Base: xh, Disp: off})
		}
		f.mul(f.r(Y14), v, t)
		f.add(f.r(Y15), t, t)
		f.mov(t, Mem{Base: y, Disp: off})
	})
}

// bnBackward emits dx = k·((dy − mdb) − xh·mdg); with rebuild
// (bnBackwardNAVX2), xh = (x − mean)·is computed as bnNormalize computes
// it, from x, which may be dx.
func bnBackward(rebuild bool) {
	name, third := "bnBackwardAVX2", "xh"
	if rebuild {
		name, third = "bnBackwardNAVX2", "x"
		TEXT(name, NOSPLIT, "func(dx, dy, x []float32, k, mdb, mdg, mean, is float32)")
		Pragma("noescape")
		Doc(name + " sets dx[i] = k·((dy[i]−mdb) − h·mdg) with h = (x[i]−mean)·is for i < len(dx); dy and x are at least as long, and x may be dx.")
	} else {
		TEXT(name, NOSPLIT, "func(dx, dy, xh []float32, k, mdb, mdg float32)")
		Pragma("noescape")
		Doc(name + " sets dx[i] = k·((dy[i]−mdb) − xh[i]·mdg) for i < len(dx); dy and xh are at least as long.")
	}
	dx := Load(Param("dx").Base(), GP64())
	dy := Load(Param("dy").Base(), GP64())
	xh := Load(Param(third).Base(), GP64())
	n := Load(Param("dx").Len(), GP64())
	if rebuild {
		VBROADCASTSS(paramAddr("mean"), Y11)
		VBROADCASTSS(paramAddr("is"), Y12)
	}
	VBROADCASTSS(paramAddr("k"), Y13)
	VBROADCASTSS(paramAddr("mdb"), Y14)
	VBROADCASTSS(paramAddr("mdg"), Y15)
	label := "bnback"
	if rebuild {
		label = "bnbackn"
	}
	loop(label, n, []Register{dx, dy, xh}, func(off int, v VecPhysical, scalar bool) {
		f, t := formOf(scalar), scratchOf(v)
		f.mov(Mem{Base: dy, Disp: off}, v)
		f.sub(f.r(Y14), v, v) // dy − mdb
		f.mov(Mem{Base: xh, Disp: off}, t)
		if rebuild {
			f.sub(f.r(Y11), t, t) // x − mean
			f.mul(f.r(Y12), t, t) // xh = (x − mean)·is
		}
		f.mul(f.r(Y15), t, t) // xh·mdg
		f.sub(t, v, v)        // (dy − mdb) − xh·mdg
		f.mul(f.r(Y13), v, v) // ·k
		f.mov(v, Mem{Base: dx, Disp: off})
	})
}
