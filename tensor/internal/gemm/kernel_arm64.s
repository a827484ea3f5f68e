//go:build arm64 && !purego

// kernelNEON: the 8×12 NEON (ASIMD) micro-kernel, hand-written.
//
// Tile and registers. The 32 128-bit V registers hold:
//
//	V0–V23   the 8×12 accumulator tile: row i, floats 4v..4v+3 in V(3i+v)
//	V24–V26  the 12 floats of the current B row (one LD1 of three registers)
//	V28–V29  the 8 floats of the current A column (one LD1 of two registers)
//	V27, V30, V31 free in the loop; alpha and beta at the end
//
// so 29 registers, leaving nothing for a wider tile: 8×12 (as BLIS's
// armv8a sgemm kernel) and 12×8 both need 24 accumulators + 5 operand
// registers; 6×16 needs 24 + 4 + 2 and loads 22 floats per 96 multiply-adds
// against 20 here; 8 rows fill A's two registers exactly.
//
// Each term is one FMLA by element, Vacc.4S += Vb.4S · Va.S[i]: the A value
// is read from its lane, so a depth step is 24 FMLA and 2 load instructions
// (5 quadword loads, 80 bytes), with no broadcast. The alternative with the
// vector FMLA that Go's assembler has, one LD1R (load and replicate) per A
// value, needs 8 LD1R + 1 LD1 per 24 FMLA, and on cores where the
// replication issues to an ASIMD pipe (see the core's software optimization
// guide) that takes up to a third of the FMA slots. Go's assembler knows
// neither FMLA nor FMUL by element (cmd/asm testdata arm64enc.s lists them
// as TODO) nor a vector FMUL, so FMLAE and FMULE below emit their A64
// encodings with WORD; `go tool objdump` decodes them (as
// "VFMLA V28.S[2], V26.S4, V8.S4" and "FMUL V30.S[0], V0.S4, V0.S4").
//
// Expected rate, from the instruction count alone: UNMEASURED, no arm64
// hardware was available; only correctness was checked (under qemu). Per
// depth step 24 FMLA = 96 fused multiply-adds = 192 flops, 2 loads, and a
// SUBS+BNE per 4 steps. The FMLA chains are independent (24 accumulators;
// FMLA latency 4 cycles needs 8 in flight on 2 pipes, 16 on 4), so the FMA
// pipes bound the loop:
//
//	Neoverse N1 (2 × 128-bit FMA pipes): 12 cycles per step, 16 flops/cycle:
//	  40 GFLOP/s per core at 2.5 GHz (Graviton2), 48 at 3.0 GHz (Altra);
//	Apple M1 P-core (4 × 128-bit FMA pipes): 6 cycles per step,
//	  32 flops/cycle: 102 GFLOP/s per core at 3.2 GHz;
//	Neoverse V1 (4 × 128-bit NEON pipes): 83 GFLOP/s per core at 2.6 GHz.
//
// Those are the kernel's ceilings; a whole Sgemm also packs A and B (for
// widths 8 and 12 through pack.go's generic loops) and loses the edges.
//
// Arithmetic (kernelFunc in kernel.go): the accumulators start at +0 and
// every term is one FMLA, as the AVX2 kernel's VXORPS then VFMADD231PS, so
// a step whose products are all ±0 leaves +0 at +0. Then acc = alpha·acc
// (one rounding, FMUL) and C = acc when beta == ±0 (C not read), else
// C = fma(beta, C, acc) (FMLA with acc as the accumulator): the AVX2 path's
// bits for the same k blocking. NaN payloads may differ from x86's.

#include "textflag.h"

// FMLAE(d, n, m, i) is FMLA Vd.4S, Vn.4S, Vm.S[i] (Vd += Vn · Vm[i], one
// rounding): 0 Q=1 0 01111 1 sz=0 L M Rm 0001 H 0 Rn Rd, index i = H:L.
#define FMLAE(d, n, m, i) WORD $(0x4f801000 | (((i)&1)<<21) | (((i)>>1)<<11) | ((m)<<16) | ((n)<<5) | (d))

// FMULE(d, n, m, i) is FMUL Vd.4S, Vn.4S, Vm.S[i]: the same with opcode
// 1001 in bits 15–12.
#define FMULE(d, n, m, i) WORD $(0x4f809000 | (((i)&1)<<21) | (((i)>>1)<<11) | ((m)<<16) | ((n)<<5) | (d))

// STEP is one depth: load the A column (R1) and the B row (R2), advancing
// both, and add their outer product into the tile.
#define STEP \
	VLD1.P	32(R1), [V28.S4, V29.S4] \
	VLD1.P	48(R2), [V24.S4, V25.S4, V26.S4] \
	FMLAE(0, 24, 28, 0) \
	FMLAE(1, 25, 28, 0) \
	FMLAE(2, 26, 28, 0) \
	FMLAE(3, 24, 28, 1) \
	FMLAE(4, 25, 28, 1) \
	FMLAE(5, 26, 28, 1) \
	FMLAE(6, 24, 28, 2) \
	FMLAE(7, 25, 28, 2) \
	FMLAE(8, 26, 28, 2) \
	FMLAE(9, 24, 28, 3) \
	FMLAE(10, 25, 28, 3) \
	FMLAE(11, 26, 28, 3) \
	FMLAE(12, 24, 29, 0) \
	FMLAE(13, 25, 29, 0) \
	FMLAE(14, 26, 29, 0) \
	FMLAE(15, 24, 29, 1) \
	FMLAE(16, 25, 29, 1) \
	FMLAE(17, 26, 29, 1) \
	FMLAE(18, 24, 29, 2) \
	FMLAE(19, 25, 29, 2) \
	FMLAE(20, 26, 29, 2) \
	FMLAE(21, 24, 29, 3) \
	FMLAE(22, 25, 29, 3) \
	FMLAE(23, 26, 29, 3)

// ALPHA(r) sets the three accumulators from V(r) on to alpha (V30.S[0])
// times themselves.
#define ALPHA(r) \
	FMULE(r, r, 30, 0) \
	FMULE((r)+1, (r)+1, 30, 0) \
	FMULE((r)+2, (r)+2, 30, 0)

// func kernelNEON(kc int, a, b, c []float32, ldc int, alpha, beta float32)
TEXT ·kernelNEON(SB), NOSPLIT, $0-96
	MOVD	kc+0(FP), R0
	MOVD	a_base+8(FP), R1
	MOVD	b_base+32(FP), R2
	MOVD	c_base+56(FP), R3
	MOVD	ldc+80(FP), R4
	LSL	$2, R4, R4 // row stride of C in bytes

	// Warm the C tile while the loop runs: each 48-byte row spans at
	// most two cache lines, those of its first and last words (R5 and
	// R6). (PRFM's offset is scaled by 8: the assembler would silently
	// assemble 44(R5) as 40(R5), hence the second register.)
	MOVD	R3, R5
	ADD	$44, R3, R6
	PRFM	(R5), PSTL1KEEP
	PRFM	(R6), PSTL1KEEP
	ADD	R4, R5, R5
	ADD	R4, R6, R6
	PRFM	(R5), PSTL1KEEP
	PRFM	(R6), PSTL1KEEP
	ADD	R4, R5, R5
	ADD	R4, R6, R6
	PRFM	(R5), PSTL1KEEP
	PRFM	(R6), PSTL1KEEP
	ADD	R4, R5, R5
	ADD	R4, R6, R6
	PRFM	(R5), PSTL1KEEP
	PRFM	(R6), PSTL1KEEP
	ADD	R4, R5, R5
	ADD	R4, R6, R6
	PRFM	(R5), PSTL1KEEP
	PRFM	(R6), PSTL1KEEP
	ADD	R4, R5, R5
	ADD	R4, R6, R6
	PRFM	(R5), PSTL1KEEP
	PRFM	(R6), PSTL1KEEP
	ADD	R4, R5, R5
	ADD	R4, R6, R6
	PRFM	(R5), PSTL1KEEP
	PRFM	(R6), PSTL1KEEP
	ADD	R4, R5, R5
	ADD	R4, R6, R6
	PRFM	(R5), PSTL1KEEP
	PRFM	(R6), PSTL1KEEP

	// Accumulators = +0.
	VEOR	V0.B16, V0.B16, V0.B16
	VEOR	V1.B16, V1.B16, V1.B16
	VEOR	V2.B16, V2.B16, V2.B16
	VEOR	V3.B16, V3.B16, V3.B16
	VEOR	V4.B16, V4.B16, V4.B16
	VEOR	V5.B16, V5.B16, V5.B16
	VEOR	V6.B16, V6.B16, V6.B16
	VEOR	V7.B16, V7.B16, V7.B16
	VEOR	V8.B16, V8.B16, V8.B16
	VEOR	V9.B16, V9.B16, V9.B16
	VEOR	V10.B16, V10.B16, V10.B16
	VEOR	V11.B16, V11.B16, V11.B16
	VEOR	V12.B16, V12.B16, V12.B16
	VEOR	V13.B16, V13.B16, V13.B16
	VEOR	V14.B16, V14.B16, V14.B16
	VEOR	V15.B16, V15.B16, V15.B16
	VEOR	V16.B16, V16.B16, V16.B16
	VEOR	V17.B16, V17.B16, V17.B16
	VEOR	V18.B16, V18.B16, V18.B16
	VEOR	V19.B16, V19.B16, V19.B16
	VEOR	V20.B16, V20.B16, V20.B16
	VEOR	V21.B16, V21.B16, V21.B16
	VEOR	V22.B16, V22.B16, V22.B16
	VEOR	V23.B16, V23.B16, V23.B16

	// Four depths per iteration, then the kc mod 4 others (kcSplit makes
	// most blocks a multiple of 4 deep; a short k or the last block may
	// not be).
	LSR	$2, R0, R5
	CBZ	R5, tail

loop4:
	STEP
	STEP
	STEP
	STEP
	SUBS	$1, R5, R5
	BNE	loop4

tail:
	AND	$3, R0, R0
	CBZ	R0, store

loop1:
	STEP
	SUBS	$1, R0, R0
	BNE	loop1

store:
	// acc = alpha·acc.
	FMOVS	alpha+88(FP), F30
	ALPHA(0)
	ALPHA(3)
	ALPHA(6)
	ALPHA(9)
	ALPHA(12)
	ALPHA(15)
	ALPHA(18)
	ALPHA(21)

	// beta == ±0 (no bit set but the sign): store without reading C.
	MOVWU	beta+92(FP), R6
	AND	$0x7fffffff, R6, R6
	CBNZ	R6, withbeta

	VST1.P	[V0.S4, V1.S4, V2.S4], (R3)(R4)
	VST1.P	[V3.S4, V4.S4, V5.S4], (R3)(R4)
	VST1.P	[V6.S4, V7.S4, V8.S4], (R3)(R4)
	VST1.P	[V9.S4, V10.S4, V11.S4], (R3)(R4)
	VST1.P	[V12.S4, V13.S4, V14.S4], (R3)(R4)
	VST1.P	[V15.S4, V16.S4, V17.S4], (R3)(R4)
	VST1.P	[V18.S4, V19.S4, V20.S4], (R3)(R4)
	VST1	[V21.S4, V22.S4, V23.S4], (R3)
	RET

withbeta:
	// acc += beta·C, one rounding (FMLA with acc as the accumulator), a
	// row at a time through V24–V26; then store the row.
	FMOVS	beta+92(FP), F31
	VDUP	V31.S[0], V31.S4
	MOVD	R3, R7 // the row to load; R3 the row to store

	VLD1.P	(R7)(R4), [V24.S4, V25.S4, V26.S4]
	VFMLA	V31.S4, V24.S4, V0.S4
	VFMLA	V31.S4, V25.S4, V1.S4
	VFMLA	V31.S4, V26.S4, V2.S4
	VST1.P	[V0.S4, V1.S4, V2.S4], (R3)(R4)

	VLD1.P	(R7)(R4), [V24.S4, V25.S4, V26.S4]
	VFMLA	V31.S4, V24.S4, V3.S4
	VFMLA	V31.S4, V25.S4, V4.S4
	VFMLA	V31.S4, V26.S4, V5.S4
	VST1.P	[V3.S4, V4.S4, V5.S4], (R3)(R4)

	VLD1.P	(R7)(R4), [V24.S4, V25.S4, V26.S4]
	VFMLA	V31.S4, V24.S4, V6.S4
	VFMLA	V31.S4, V25.S4, V7.S4
	VFMLA	V31.S4, V26.S4, V8.S4
	VST1.P	[V6.S4, V7.S4, V8.S4], (R3)(R4)

	VLD1.P	(R7)(R4), [V24.S4, V25.S4, V26.S4]
	VFMLA	V31.S4, V24.S4, V9.S4
	VFMLA	V31.S4, V25.S4, V10.S4
	VFMLA	V31.S4, V26.S4, V11.S4
	VST1.P	[V9.S4, V10.S4, V11.S4], (R3)(R4)

	VLD1.P	(R7)(R4), [V24.S4, V25.S4, V26.S4]
	VFMLA	V31.S4, V24.S4, V12.S4
	VFMLA	V31.S4, V25.S4, V13.S4
	VFMLA	V31.S4, V26.S4, V14.S4
	VST1.P	[V12.S4, V13.S4, V14.S4], (R3)(R4)

	VLD1.P	(R7)(R4), [V24.S4, V25.S4, V26.S4]
	VFMLA	V31.S4, V24.S4, V15.S4
	VFMLA	V31.S4, V25.S4, V16.S4
	VFMLA	V31.S4, V26.S4, V17.S4
	VST1.P	[V15.S4, V16.S4, V17.S4], (R3)(R4)

	VLD1.P	(R7)(R4), [V24.S4, V25.S4, V26.S4]
	VFMLA	V31.S4, V24.S4, V18.S4
	VFMLA	V31.S4, V25.S4, V19.S4
	VFMLA	V31.S4, V26.S4, V20.S4
	VST1.P	[V18.S4, V19.S4, V20.S4], (R3)(R4)

	VLD1	(R7), [V24.S4, V25.S4, V26.S4]
	VFMLA	V31.S4, V24.S4, V21.S4
	VFMLA	V31.S4, V25.S4, V22.S4
	VFMLA	V31.S4, V26.S4, V23.S4
	VST1	[V21.S4, V22.S4, V23.S4], (R3)
	RET
