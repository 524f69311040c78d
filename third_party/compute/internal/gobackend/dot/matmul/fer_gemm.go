// fer-thesis patch (not in upstream compute v0.1.3): a float32 matmul for
// outputs whose width is a multiple of 64 that reads the left operand in
// place.

//go:build amd64 && goexperiment.simd

package matmul

import (
	"simd/archsimd"
	"unsafe"

	"github.com/gomlx/compute/internal/gobackend"
)

// Why: upstream's large AVX-512 matmul packs the left operand (lhs, [M, K],
// row-major) into 4-row panels with a transpose before multiplying, and its
// 4×32 micro-kernel broadcasts one lhs value per 2 FMAs. The packing costs
// about as much as the multiplication when the output has few columns (N =
// 64: each packed value then feeds only 4 vector FMAs), and in the thesis's
// CNNs most matmuls are of that kind: the convolutions' im2col products (M =
// batch·height·width, N = output channels) and their input gradients (N =
// input channels). Packing was 19 % of a fer-cnn training step.
//
// ferGemm computes 2 output rows × 64 columns at a time in 8 registers,
// broadcasting each lhs value straight from its row (no packing) against
// the 4 vectors of row k of a 64-column block of the rhs ([K, N],
// row-major). Two rows because the Go compiler allocates 16 vector
// registers (Z0-Z15) on amd64: 8 accumulators, 4 rhs vectors and a
// broadcast fit; 6 rows × 4 vectors spilled to the stack and ran at a third
// of the speed.
//
//   - A small rhs (at most ferGemmMaxRHS values) is read in place; work is
//     cut in blocks of 6 rows, whose lhs rows stay in L1 while the 64-column
//     blocks of the output are swept.
//   - A larger rhs (the kernel gradients pᵀ·dy, whose rhs is the im2col
//     matrix) is taken one 128×64 panel at a time, copied to a contiguous
//     32 KiB buffer (L1) unless it already is (N = 64), and every row of the
//     output is run over the panel before the next one; workers take
//     separate 64-column blocks (or row ranges when N = 64).
//
// Bit-for-bit upstream's large kernel: each output is a chain of FMAs over k
// starting from zero, restarted every ferGemmPanelK (upstream's
// PanelContractingSize, 128) values of k, the chains summed into the output
// in order (the first written, the next ones added), as upstream's
// avx512ApplyPackedOutputFloat32 does. So results do not depend on which of
// the two runs.

const (
	ferGemmRows   = 6   // output rows per work block (small rhs)
	ferGemmCols   = 64  // output columns per micro-kernel (4 vectors of 16)
	ferGemmPanelK = 128 // must equal AVX512ParamsFloat32.PanelContractingSize for bit-equality

	// ferGemmMaxRHS bounds the rhs read in place (k·n values, 1 MiB): each
	// block of output rows reads all of it, so it must stay in L2 (fer-cnn's
	// fourth convolution, k·n = 2304·256, ran 25 % slower in place than
	// upstream's kernel). Larger ones are packed panel by panel.
	ferGemmMaxRHS = 256 * 1024
)

// ferAVX512 selects the AVX-512 micro-kernels; without it (an AVX2 CPU, such
// as AMD's Zen 2 and 3) the same panels run through 8-wide AVX2 kernels, bit
// for bit upstream's AVX2 large kernel (same 128-value chains, same order).
var ferAVX512 = archsimd.X86.AVX512()

// FerGemmAvailable reports whether this CPU runs ferGemm's kernels (AVX-512,
// or AVX2 with FMA) and so FerConv2D.
var FerGemmAvailable = ferAVX512 || archsimd.X86.AVX2() && archsimd.X86.FMA()

// ferGemmApplies reports whether ferGemm handles a non-transposed float32
// matmul with this output width (the router has already chosen upstream's
// large variant for it): a multiple of 64.
func ferGemmApplies(rhsCrossSize int) bool {
	return FerGemmAvailable && rhsCrossSize%ferGemmCols == 0 && rhsCrossSize > 0 &&
		AVX512ParamsFloat32.PanelContractingSize == ferGemmPanelK &&
		AVX2ParamsFloat32.PanelContractingSize == ferGemmPanelK
}

// ferGemm computes output[b] = lhs[b] · rhs[b] for every b < batchSize, with
// lhs[b] [m, k] and rhs[b] [k, n] row-major; n must satisfy ferGemmApplies.
// The work is split across the backend's workers.
func ferGemm(backend *gobackend.Backend, lhs, rhs, output []float32, batchSize, m, n, k int) {
	if m == 0 || batchSize == 0 {
		return
	}
	if len(lhs) < batchSize*m*k || len(rhs) < batchSize*k*n || len(output) < batchSize*m*n {
		panic("ferGemm: operands shorter than their shapes")
	}
	if k == 0 {
		clear(output[:batchSize*m*n])
		return
	}
	parallel := backend != nil && backend.Workers != nil && backend.Workers.IsEnabled()
	parallelFor := func(count, minChunk int, fn func(start, end int)) {
		if parallel {
			backend.Workers.ParallelFor(count, minChunk, fn)
		} else {
			fn(0, count)
		}
	}
	colBlocks := n / ferGemmCols

	if k*n <= ferGemmMaxRHS {
		// Small rhs, read in place: blocks of 6 rows, all columns.
		blocks := (m + ferGemmRows - 1) / ferGemmRows
		// Chunks of at least 16 blocks (96 rows): below that the fan-out
		// costs more than it saves.
		parallelFor(batchSize*blocks, 16, func(start, end int) {
			for i := start; i < end; i++ {
				b, blk := i/blocks, i%blocks
				r0 := blk * ferGemmRows
				ferGemmRowsAllPanels(lhs[b*m*k:], rhs[b*k*n:], output[b*m*n:], r0, min(r0+ferGemmRows, m), n, k)
			}
		})
		return
	}

	if colBlocks == 1 {
		// Large rhs of 64 columns: its panels are contiguous already; rows
		// are split across workers (in pairs).
		pairs := (m + 1) / 2
		parallelFor(batchSize*pairs, 8, func(start, end int) {
			for i := start; i < end; {
				b, p := i/pairs, i%pairs
				stop := min(end-i, pairs-p) // pairs of this batch element in the chunk
				r0, r1 := 2*p, min(2*(p+stop), m)
				ferGemmPanelsOverRows(lhs[b*m*k:], rhs[b*k*n:], output[b*m*n:], nil, r0, r1, 0, n, k)
				i += stop
			}
		})
		return
	}

	// Large rhs, wider: one 64-column block per task, its panels packed.
	parallelFor(batchSize*colBlocks, 1, func(start, end int) {
		packed := make([]float32, ferGemmPanelK*ferGemmCols)
		for i := start; i < end; i++ {
			b, cb := i/colBlocks, i%colBlocks
			ferGemmPanelsOverRows(lhs[b*m*k:], rhs[b*k*n:], output[b*m*n:], packed, 0, m, cb*ferGemmCols, n, k)
		}
	})
}

// ferGemmRowsAllPanels computes output rows [r0, r1), all columns, each
// 64-column block over all contracting panels, reading the rhs in place.
func ferGemmRowsAllPanels(lhs, rhs, output []float32, r0, r1, n, k int) {
	const f = 4 // bytes per float32
	lStride, rStride, oStride := uintptr(k)*f, uintptr(n)*f, uintptr(n)*f
	for c0 := 0; c0 < n; c0 += ferGemmCols {
		for p0 := 0; p0 < k; p0 += ferGemmPanelK {
			kLen := min(ferGemmPanelK, k-p0)
			rp := unsafe.Pointer(&rhs[p0*n+c0])
			row := r0
			for ; row+2 <= r1; row += 2 {
				lp, op := unsafe.Pointer(&lhs[row*k+p0]), unsafe.Pointer(&output[row*n+c0])
				ferPanel2x64(lp, unsafe.Add(lp, lStride), rp, rStride, kLen, op, unsafe.Add(op, oStride), p0 == 0)
			}
			if row < r1 {
				ferGemmPanel1x64(unsafe.Pointer(&lhs[row*k+p0]), rp, rStride,
					unsafe.Pointer(&output[row*n+c0]), kLen, p0 == 0)
			}
		}
	}
}

// ferGemmPanelsOverRows computes output rows [r0, r1), columns [c0, c0+64),
// panel by panel: each 128×64 panel of the rhs (copied to packed when it is
// not contiguous, that is when n > 64) is run over all the rows before the
// next one.
func ferGemmPanelsOverRows(lhs, rhs, output, packed []float32, r0, r1, c0, n, k int) {
	const f = 4
	lStride, oStride := uintptr(k)*f, uintptr(n)*f
	for p0 := 0; p0 < k; p0 += ferGemmPanelK {
		kLen := min(ferGemmPanelK, k-p0)
		rp, rStride := unsafe.Pointer(&rhs[p0*n+c0]), uintptr(n)*f
		if n != ferGemmCols {
			for j := range kLen {
				copy(packed[j*ferGemmCols:(j+1)*ferGemmCols], rhs[(p0+j)*n+c0:])
			}
			rp, rStride = unsafe.Pointer(&packed[0]), ferGemmCols*f
		}
		row := r0
		for ; row+2 <= r1; row += 2 {
			lp, op := unsafe.Pointer(&lhs[row*k+p0]), unsafe.Pointer(&output[row*n+c0])
			ferPanel2x64(lp, unsafe.Add(lp, lStride), rp, rStride, kLen, op, unsafe.Add(op, oStride), p0 == 0)
		}
		if row < r1 {
			ferGemmPanel1x64(unsafe.Pointer(&lhs[row*k+p0]), rp, rStride,
				unsafe.Pointer(&output[row*n+c0]), kLen, p0 == 0)
		}
	}
}

// ferPanel2x64 multiplies 2 lhs rows (kLen values at l0 and at l1) by a
// kLen×64 rhs panel (rows of 64 values at rp, rStride bytes apart) and
// writes (first) or adds the 2×64 result at o0 and o1. The caller
// guarantees the bounds. ferGemm's rows are k values apart in the lhs and n
// apart in the output; FerConv2D's are wherever two pixels' taps are.
func ferPanel2x64(l0, l1, rp unsafe.Pointer, rStride uintptr, kLen int, o0, o1 unsafe.Pointer, first bool) {
	if !ferAVX512 {
		// Two 32-column halves, each in 8 of AVX2's 16 registers.
		ferPanel2x32AVX2(l0, l1, rp, rStride, kLen, o0, o1, first)
		ferPanel2x32AVX2(l0, l1, unsafe.Add(rp, 128), rStride, kLen, unsafe.Add(o0, 128), unsafe.Add(o1, 128), first)
		return
	}
	// Addresses are computed from the bases at each step rather than by
	// advancing pointers: a pointer advanced past its last element would
	// point outside its allocation, which the garbage collector does not
	// allow (go test -race's checkptr catches it).
	var a00, a01, a02, a03, a10, a11, a12, a13 archsimd.Float32x16
	for t := range uintptr(kLen) {
		r := unsafe.Add(rp, t*rStride)
		r0 := archsimd.LoadFloat32x16((*[16]float32)(r))
		r1 := archsimd.LoadFloat32x16((*[16]float32)(unsafe.Add(r, 64)))
		r2 := archsimd.LoadFloat32x16((*[16]float32)(unsafe.Add(r, 128)))
		r3 := archsimd.LoadFloat32x16((*[16]float32)(unsafe.Add(r, 192)))
		v := archsimd.BroadcastFloat32x16(*(*float32)(unsafe.Add(l0, 4*t)))
		a00, a01, a02, a03 = r0.MulAdd(v, a00), r1.MulAdd(v, a01), r2.MulAdd(v, a02), r3.MulAdd(v, a03)
		v = archsimd.BroadcastFloat32x16(*(*float32)(unsafe.Add(l1, 4*t)))
		a10, a11, a12, a13 = r0.MulAdd(v, a10), r1.MulAdd(v, a11), r2.MulAdd(v, a12), r3.MulAdd(v, a13)
	}
	ferGemmStore4(o0, first, a00, a01, a02, a03)
	ferGemmStore4(o1, first, a10, a11, a12, a13)
}

// ferGemmPanel1x64 is ferPanel2x64 for a single row: the tail when the
// number of rows is odd.
func ferGemmPanel1x64(lp unsafe.Pointer, rp unsafe.Pointer, rStride uintptr, op unsafe.Pointer, kLen int, first bool) {
	if !ferAVX512 {
		ferPanel1x64AVX2(lp, rp, rStride, op, kLen, first)
		return
	}
	var a0, a1, a2, a3 archsimd.Float32x16
	for t := range uintptr(kLen) { // addresses from the bases: see ferPanel2x64
		r := unsafe.Add(rp, t*rStride)
		v := archsimd.BroadcastFloat32x16(*(*float32)(unsafe.Add(lp, 4*t)))
		a0 = archsimd.LoadFloat32x16((*[16]float32)(r)).MulAdd(v, a0)
		a1 = archsimd.LoadFloat32x16((*[16]float32)(unsafe.Add(r, 64))).MulAdd(v, a1)
		a2 = archsimd.LoadFloat32x16((*[16]float32)(unsafe.Add(r, 128))).MulAdd(v, a2)
		a3 = archsimd.LoadFloat32x16((*[16]float32)(unsafe.Add(r, 192))).MulAdd(v, a3)
	}
	ferGemmStore4(op, first, a0, a1, a2, a3)
}

// ferGemmStore4 writes (first panel) or adds (later panels) 64 values at o.
func ferGemmStore4(o unsafe.Pointer, first bool, a0, a1, a2, a3 archsimd.Float32x16) {
	o0 := (*[16]float32)(o)
	o1 := (*[16]float32)(unsafe.Add(o, 64))
	o2 := (*[16]float32)(unsafe.Add(o, 128))
	o3 := (*[16]float32)(unsafe.Add(o, 192))
	if !first {
		a0 = archsimd.LoadFloat32x16(o0).Add(a0)
		a1 = archsimd.LoadFloat32x16(o1).Add(a1)
		a2 = archsimd.LoadFloat32x16(o2).Add(a2)
		a3 = archsimd.LoadFloat32x16(o3).Add(a3)
	}
	a0.Store(o0)
	a1.Store(o1)
	a2.Store(o2)
	a3.Store(o3)
}

// ferPanel2x32AVX2 is ferPanel2x64's AVX2 kernel for 32 columns: 8
// accumulators, 4 rhs vectors and two broadcasts in AVX2's 16 registers. It
// runs the assembly form (fer_gemm_asm.go) unless ferGemmGoKernels is set.
func ferPanel2x32AVX2(l0, l1, rp unsafe.Pointer, rStride uintptr, kLen int, o0, o1 unsafe.Pointer, first bool) {
	if ferGemmGoKernels {
		ferPanel2x32AVX2Go(l0, l1, rp, rStride, kLen, o0, o1, first)
		return
	}
	ferPanel2x32AVX2Asm(l0, l1, rp, rStride, kLen, o0, o1, first)
}

// ferGemmGoKernels selects the Go (archsimd) forms of the micro-kernels that
// have an assembly form: for tests and benchmarks.
var ferGemmGoKernels = false

// ferPanel2x32AVX2Go is ferPanel2x32AVX2 written with simd/archsimd.
func ferPanel2x32AVX2Go(l0, l1, rp unsafe.Pointer, rStride uintptr, kLen int, o0, o1 unsafe.Pointer, first bool) {
	var a00, a01, a02, a03, a10, a11, a12, a13 archsimd.Float32x8
	for t := range uintptr(kLen) { // addresses from the bases: see ferPanel2x64
		r := unsafe.Add(rp, t*rStride)
		r0 := archsimd.LoadFloat32x8((*[8]float32)(r))
		r1 := archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(r, 32)))
		r2 := archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(r, 64)))
		r3 := archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(r, 96)))
		v := archsimd.BroadcastFloat32x8(*(*float32)(unsafe.Add(l0, 4*t)))
		a00, a01, a02, a03 = r0.MulAdd(v, a00), r1.MulAdd(v, a01), r2.MulAdd(v, a02), r3.MulAdd(v, a03)
		v = archsimd.BroadcastFloat32x8(*(*float32)(unsafe.Add(l1, 4*t)))
		a10, a11, a12, a13 = r0.MulAdd(v, a10), r1.MulAdd(v, a11), r2.MulAdd(v, a12), r3.MulAdd(v, a13)
	}
	ferGemmStore4x8(o0, first, a00, a01, a02, a03)
	ferGemmStore4x8(o1, first, a10, a11, a12, a13)
}

// ferPanel1x64AVX2 is ferGemmPanel1x64's AVX2 kernel: one row, 64 columns in
// 8 accumulators.
func ferPanel1x64AVX2(lp unsafe.Pointer, rp unsafe.Pointer, rStride uintptr, op unsafe.Pointer, kLen int, first bool) {
	var a0, a1, a2, a3, a4, a5, a6, a7 archsimd.Float32x8
	for t := range uintptr(kLen) { // addresses from the bases: see ferPanel2x64
		r := unsafe.Add(rp, t*rStride)
		v := archsimd.BroadcastFloat32x8(*(*float32)(unsafe.Add(lp, 4*t)))
		a0 = archsimd.LoadFloat32x8((*[8]float32)(r)).MulAdd(v, a0)
		a1 = archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(r, 32))).MulAdd(v, a1)
		a2 = archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(r, 64))).MulAdd(v, a2)
		a3 = archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(r, 96))).MulAdd(v, a3)
		a4 = archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(r, 128))).MulAdd(v, a4)
		a5 = archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(r, 160))).MulAdd(v, a5)
		a6 = archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(r, 192))).MulAdd(v, a6)
		a7 = archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(r, 224))).MulAdd(v, a7)
	}
	ferGemmStore4x8(op, first, a0, a1, a2, a3)
	ferGemmStore4x8(unsafe.Add(op, 128), first, a4, a5, a6, a7)
}

// ferGemmStore4x8 writes (first panel) or adds (later panels) 32 values at o.
func ferGemmStore4x8(o unsafe.Pointer, first bool, a0, a1, a2, a3 archsimd.Float32x8) {
	o0 := (*[8]float32)(o)
	o1 := (*[8]float32)(unsafe.Add(o, 32))
	o2 := (*[8]float32)(unsafe.Add(o, 64))
	o3 := (*[8]float32)(unsafe.Add(o, 96))
	if !first {
		a0 = archsimd.LoadFloat32x8(o0).Add(a0)
		a1 = archsimd.LoadFloat32x8(o1).Add(a1)
		a2 = archsimd.LoadFloat32x8(o2).Add(a2)
		a3 = archsimd.LoadFloat32x8(o3).Add(a3)
	}
	a0.Store(o0)
	a1.Store(o1)
	a2.Store(o2)
	a3.Store(o3)
}
