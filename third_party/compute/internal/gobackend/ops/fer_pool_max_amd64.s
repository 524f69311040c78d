// fer-thesis patch (not in upstream compute v0.1.3): the forward max-pool's
// window maximum in AVX2. See fer_pool_max_amd64.go.

//go:build amd64 && goexperiment.simd

#include "textflag.h"

// Each step folds one window cell v into the running maximum m as
// m = max(m, v) AND max(v, m): VMAXPS returns its second operand on ties
// (+0 and -0 compare equal) and on NaN, so the two orders agree but for
// +0/-0 ties, where AND of the bit patterns gives +0 unless both are -0, as
// Go's max. NaN is left to the caller: cells are compared unordered with
// themselves and the result is whether any was NaN.

// func ferMaxWindowAVX2(src unsafe.Pointer, rowStride, cellStride uintptr, kh, kw, n int, lowest float32, dst unsafe.Pointer) (nan bool)
TEXT ·ferMaxWindowAVX2(SB), NOSPLIT, $0-65
	MOVQ         src+0(FP), SI
	MOVQ         rowStride+8(FP), R8
	MOVQ         cellStride+16(FP), R9
	MOVQ         kh+24(FP), R10
	MOVQ         kw+32(FP), R11
	MOVQ         n+40(FP), CX
	VBROADCASTSS lowest+48(FP), Y13
	MOVQ         dst+56(FP), DI
	VXORPS       Y12, Y12, Y12 // NaN lanes seen

group32:
	CMPQ CX, $32
	JLT  group8
	VMOVAPS Y13, Y0
	VMOVAPS Y13, Y1
	VMOVAPS Y13, Y2
	VMOVAPS Y13, Y3
	MOVQ    SI, AX  // window row
	MOVQ    R10, R12

row32:
	MOVQ AX, BX // cell
	MOVQ R11, R13

cell32:
	VMOVUPS  (BX), Y4
	VMOVUPS  32(BX), Y5
	VMOVUPS  64(BX), Y6
	VMOVUPS  96(BX), Y7
	VMAXPS   Y4, Y0, Y8
	VMAXPS   Y0, Y4, Y9
	VANDPS   Y9, Y8, Y0
	VCMPPS   $3, Y4, Y4, Y10
	VORPS    Y10, Y12, Y12
	VMAXPS   Y5, Y1, Y8
	VMAXPS   Y1, Y5, Y9
	VANDPS   Y9, Y8, Y1
	VCMPPS   $3, Y5, Y5, Y10
	VORPS    Y10, Y12, Y12
	VMAXPS   Y6, Y2, Y8
	VMAXPS   Y2, Y6, Y9
	VANDPS   Y9, Y8, Y2
	VCMPPS   $3, Y6, Y6, Y10
	VORPS    Y10, Y12, Y12
	VMAXPS   Y7, Y3, Y8
	VMAXPS   Y3, Y7, Y9
	VANDPS   Y9, Y8, Y3
	VCMPPS   $3, Y7, Y7, Y10
	VORPS    Y10, Y12, Y12
	ADDQ     R9, BX
	DECQ     R13
	JNZ      cell32
	ADDQ     R8, AX
	DECQ     R12
	JNZ      row32

	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	ADDQ    $128, SI
	ADDQ    $128, DI
	SUBQ    $32, CX
	JMP     group32

group8:
	CMPQ CX, $8
	JLT  done
	VMOVAPS Y13, Y0
	MOVQ    SI, AX
	MOVQ    R10, R12

row8:
	MOVQ AX, BX
	MOVQ R11, R13

cell8:
	VMOVUPS (BX), Y4
	VMAXPS  Y4, Y0, Y8
	VMAXPS  Y0, Y4, Y9
	VANDPS  Y9, Y8, Y0
	VCMPPS  $3, Y4, Y4, Y10
	VORPS   Y10, Y12, Y12
	ADDQ    R9, BX
	DECQ    R13
	JNZ     cell8
	ADDQ    R8, AX
	DECQ    R12
	JNZ     row8

	VMOVUPS Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	SUBQ    $8, CX
	JMP     group8

done:
	VMOVMSKPS Y12, AX
	TESTL     AX, AX
	SETNE     nan+64(FP)
	VZEROUPPER
	RET
