// Command vec generates the amd64 AVX2 elementwise kernels of
// tensor/internal/vec with avo. Run it through go generate in that package
// (see gen.go there) or, from tensor/_asm/vec:
//
//	go run . -out ../../internal/vec/vec_amd64.s -stubs ../../internal/vec/vec_amd64_stub.go -pkg vec
//
// Every kernel walks its slices 32 values (four ymm registers) at a time,
// then 8, then one by one with the scalar form of the same instruction, so
// an element gets the same arithmetic wherever it falls.
//
// This file holds main and the loop and register helpers every kernel
// uses; each family of kernels has a file of its own: elementwise.go
// (axpy, its unfused form mulAdd, scale, add a constant), activation.go
// (ReLU), optimizer.go (Adam, SGD), convert.go (bytes to float32),
// batchnorm.go, reduce.go (sums), pool.go (2×2 max-pool) and taps.go
// (the direct convolution's multi-tap dot products and multiply-adds). The order of the kernels in the output is the
// order of the calls in main.
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
	mulAdd()
	scale()
	relu("reluAVX2", false)
	relu("addReLUAVX2", true)
	reluBackward()
	adam()
	bytesToFloat()
	bnNormalize(true)
	bnNormalize(false)
	bnBackward(false)
	bnBackward(true)
	reduce("sum")
	reduce("addsum")
	reduce("sqdev")
	reduce("dotsum")
	reduce("dotsumn")
	addConst()
	maxPool2x2()
	maxPool2x2Planes()
	maxUnpool2x2Rows()
	sgd()
	for _, s := range tapShapes() {
		dotTaps(s[0], s[1])
		mulAddTaps(s[0], s[1])
	}
	rowsCopy(false)
	rowsCopy(true)
	rowsAdd()
	rowsCopyBlocks()
	maskedCopyBlocks()
	maskedAddBlocks()
	rowSums8()
	Generate()
}
