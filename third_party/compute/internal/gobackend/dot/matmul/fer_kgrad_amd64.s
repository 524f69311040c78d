// fer-thesis patch (not in upstream compute v0.1.3): FerConvKernelGrad's
// micro-kernel. See fer_kgrad.go.

//go:build amd64 && goexperiment.simd

#include "textflag.h"

// func ferKGrad2x32AVX2Asm(x0, x1, offsets, dy unsafe.Pointer, n int, o0, o1 unsafe.Pointer, first bool)
TEXT ·ferKGrad2x32AVX2Asm(SB), NOSPLIT, $0-57
	MOVQ x0+0(FP), AX
	MOVQ x1+8(FP), DX
	MOVQ offsets+16(FP), BX
	MOVQ dy+24(FP), CX
	MOVQ n+32(FP), SI
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
	// The pixel's offsets in x and dy (bytes).
	MOVLQSX      (BX), R10
	MOVLQSX      4(BX), R11
	// 32 values of dy's row, and the two channels of x.
	VMOVUPS      (CX)(R11*1), Y8
	VMOVUPS      32(CX)(R11*1), Y9
	VMOVUPS      64(CX)(R11*1), Y10
	VMOVUPS      96(CX)(R11*1), Y11
	VBROADCASTSS (AX)(R10*1), Y12
	VBROADCASTSS (DX)(R10*1), Y13
	VFMADD231PS  Y12, Y8, Y0
	VFMADD231PS  Y12, Y9, Y1
	VFMADD231PS  Y12, Y10, Y2
	VFMADD231PS  Y12, Y11, Y3
	VFMADD231PS  Y13, Y8, Y4
	VFMADD231PS  Y13, Y9, Y5
	VFMADD231PS  Y13, Y10, Y6
	VFMADD231PS  Y13, Y11, Y7
	ADDQ         $8, BX
	DECQ         SI
	JNZ          loop

store:
	MOVQ    o0+40(FP), DI
	MOVQ    o1+48(FP), R8
	MOVBLZX first+56(FP), R9
	TESTQ   R9, R9
	JNZ     write
	VADDPS (DI), Y0, Y0
	VADDPS 32(DI), Y1, Y1
	VADDPS 64(DI), Y2, Y2
	VADDPS 96(DI), Y3, Y3
	VADDPS (R8), Y4, Y4
	VADDPS 32(R8), Y5, Y5
	VADDPS 64(R8), Y6, Y6
	VADDPS 96(R8), Y7, Y7

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
