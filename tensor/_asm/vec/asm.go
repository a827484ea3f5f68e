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

// relu emits y[i] = max(x[i] (+ b[i]), 0). MAXPS returns its second source
// operand (in Intel order) when the comparison is unordered, so NaN gives
// 0, exactly as the Go loop `if v > 0 { v } else { 0 }` does.
func relu(name string, withBias bool) {
	if withBias {
		TEXT(name, NOSPLIT, "func(x, b []float32)")
		Doc(name + " sets x[i] = max(x[i]+b[i], 0) for i < len(x) (NaN gives 0); len(b) ≥ len(x).")
	} else {
		TEXT(name, NOSPLIT, "func(y, x []float32)")
		Doc(name + " sets y[i] = max(x[i], 0) for i < len(x) (NaN gives 0); len(y) ≥ len(x).")
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
	Comment("Y15 = 0.")
	VXORPS(Y15, Y15, Y15)
	loop(name, n, []Register{x, other}, func(off int, v VecPhysical, scalar bool) {
		dst := x
		if !withBias {
			dst = other
		}
		if scalar {
			VMOVSS(Mem{Base: x, Disp: off}, v)
			if withBias {
				VADDSS(Mem{Base: other, Disp: off}, v, v)
			}
			VMAXSS(X15, v, v)
			VMOVSS(v, Mem{Base: dst, Disp: off})
			return
		}
		VMOVUPS(Mem{Base: x, Disp: off}, v)
		if withBias {
			VADDPS(Mem{Base: other, Disp: off}, v, v)
		}
		VMAXPS(Y15, v, v)
		VMOVUPS(v, Mem{Base: dst, Disp: off})
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
	Generate()
}
