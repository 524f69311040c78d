// fer-thesis patch (not in upstream compute v0.1.3): the forward max-pool's
// window maximum in AVX2 assembly (fer_pool_max_amd64.s).

//go:build amd64 && goexperiment.simd

package ops

import (
	"simd/archsimd"
	"unsafe"
)

func init() {
	if archsimd.X86.AVX2() {
		ferMaxWindow = ferMaxWindowAVX2Checked
	}
}

// Why assembly: the scalar loop spends about 3.5 cycles per window cell and
// channel on Go's max (which must handle NaN and signed zeros), 6 ms of a
// fer-cnn training step for its first pool. Written with simd/archsimd,
// emulating Go's rules with compares and blends ran 2.2 times slower than
// the scalar loop. The assembly uses two VMAXPS and an AND per cell and 8
// channels, which is Go's max but for NaN (see the .s file); windows with a
// NaN are recomputed by the scalar loop.

// ferMaxWindowAVX2 writes to dst[0:n'] the maximum, from lowest, of the
// kh×kw window cells of n' channels at src (cells cellStride bytes apart in
// a row, rows rowStride bytes apart), n' being n rounded down to a multiple
// of 8, and reports whether any cell value read was NaN. The caller
// guarantees the bounds (kh, kw ≥ 1).
//
//go:noescape
func ferMaxWindowAVX2(src unsafe.Pointer, rowStride, cellStride uintptr, kh, kw, n int, lowest float32, dst unsafe.Pointer) (nan bool)

// ferMaxWindowAVX2Checked is ferMaxWindowScalar through the assembly
// kernel: the channels past the last multiple of 8, and windows with a NaN,
// go to the scalar loop.
func ferMaxWindowAVX2Checked(x []float32, base, rowStride, cellStride, kh, kw, n int, lowest float32, dst []float32) {
	n8 := n &^ 7
	if kh == 0 || kw == 0 || n8 == 0 || len(dst) < n ||
		ferMaxWindowAVX2(unsafe.Pointer(&x[base]), uintptr(4*rowStride), uintptr(4*cellStride), kh, kw, n, lowest, unsafe.Pointer(&dst[0])) {
		ferMaxWindowScalar(x, base, rowStride, cellStride, kh, kw, n, lowest, dst)
		return
	}
	if n8 < n {
		ferMaxWindowScalar(x, base+n8, rowStride, cellStride, kh, kw, n-n8, lowest, dst[n8:])
	}
}
