// fer-thesis patch (not in upstream compute v0.1.3): assembly forms of
// ferGemm's AVX2 micro-kernel.

//go:build amd64 && goexperiment.simd

package matmul

import "unsafe"

// Why assembly: written with simd/archsimd (ferPanel2x32AVX2Go), the Go
// compiler (1.26) emits the 3-operand FMA whose destination is a
// multiplicand (VFMADD213PS), so each FMA is preceded by a register copy of
// the operand it overwrites, the accumulators change registers every
// iteration and are moved back at the end of the loop, and every load
// computes its address with two LEAQs: about 40 instructions for 8 FMAs.
// This loop is the same FMAs in the same order on the same values, with
// VFMADD231PS accumulating in place: 19 instructions. Results are bit for
// bit those of the Go form (TestFerGemmAsmMatchesGo).

// ferPanel2x32AVX2Asm computes what ferPanel2x32AVX2Go does. The caller
// guarantees the bounds.
//
//go:noescape
func ferPanel2x32AVX2Asm(l0, l1, rp unsafe.Pointer, rStride uintptr, kLen int, o0, o1 unsafe.Pointer, first bool)
