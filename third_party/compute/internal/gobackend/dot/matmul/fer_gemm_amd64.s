// fer-thesis patch (not in upstream compute v0.1.3): ferPanel2x32AVX2's
// loop in assembly. See fer_gemm_asm.go.

//go:build amd64 && goexperiment.simd

#include "textflag.h"

// func ferPanel2x32AVX2Asm(l0, l1, rp unsafe.Pointer, rStride uintptr, kLen int, o0, o1 unsafe.Pointer, first bool)
TEXT ·ferPanel2x32AVX2Asm(SB), NOSPLIT, $0-57
	MOVQ l0+0(FP), AX
	MOVQ l1+8(FP), BX
	MOVQ rp+16(FP), CX
	MOVQ rStride+24(FP), DX
	MOVQ kLen+32(FP), SI
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	TESTQ SI, SI
	JLE   store

loop:
	// Row t of the 32-column rhs panel, and the two lhs values.
	VMOVUPS      (CX), Y8
	VMOVUPS      32(CX), Y9
	VMOVUPS      64(CX), Y10
	VMOVUPS      96(CX), Y11
	VBROADCASTSS (AX), Y12
	VBROADCASTSS (BX), Y13
	// acc = rhs·lhs + acc, one rounding (as upstream's MulAdd).
	VFMADD231PS  Y12, Y8, Y0
	VFMADD231PS  Y12, Y9, Y1
	VFMADD231PS  Y12, Y10, Y2
	VFMADD231PS  Y12, Y11, Y3
	VFMADD231PS  Y13, Y8, Y4
	VFMADD231PS  Y13, Y9, Y5
	VFMADD231PS  Y13, Y10, Y6
	VFMADD231PS  Y13, Y11, Y7
	ADDQ         $4, AX
	ADDQ         $4, BX
	ADDQ         DX, CX
	DECQ         SI
	JNZ          loop

store:
	MOVQ    o0+40(FP), DI
	MOVQ    o1+48(FP), R8
	MOVBLZX first+56(FP), R9
	TESTQ   R9, R9
	JNZ     write
	// Later panels: out + acc.
	VADDPS  (DI), Y0, Y0
	VADDPS  32(DI), Y1, Y1
	VADDPS  64(DI), Y2, Y2
	VADDPS  96(DI), Y3, Y3
	VADDPS  (R8), Y4, Y4
	VADDPS  32(R8), Y5, Y5
	VADDPS  64(R8), Y6, Y6
	VADDPS  96(R8), Y7, Y7

write:
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	VMOVUPS Y4, (R8)
	VMOVUPS Y5, 32(R8)
	VMOVUPS Y6, 64(R8)
	VMOVUPS Y7, 96(R8)
	VZEROUPPER
	RET
