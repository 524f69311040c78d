// fer-thesis patch (not in upstream compute v0.1.3): a float32 2D
// convolution (NHWC input, HWIO kernel) computed as an implicit matmul.

//go:build amd64 && goexperiment.simd

package matmul

import (
	"unsafe"

	"github.com/gomlx/compute/internal/gobackend"
)

// Why: upstream's Go backend runs ConvGeneral as a direct loop (about 3
// images/s for the FER CNN), and lowering a convolution to im2col + matmul
// writes and reads back a patches matrix kh·kw times the size of the input
// (39 MB for fer-cnn's second convolution on a batch of 32). FerConv2D is
// the same product as ferGemm without that matrix: the "lhs row" of an
// output pixel is read tap by tap straight from the input (cin contiguous
// values per tap, or zeros in the padding), 2 pixels × 64 output channels at
// a time, with the kernel's rows of 64 output channels as the rhs.
//
// Unlike ferGemm it does not follow any upstream summation order: each
// output is the sum, in order, of one FMA chain per tap (row-major) and per
// group of 128 input channels.

// FerConv2DApplies reports whether FerConv2D computes a convolution with
// this many output channels.
func FerConv2DApplies(cout int) bool { return cout > 0 && cout%ferGemmCols == 0 }

// FerConv2D computes, for float32 tensors,
//
//	out[b, oh, ow, o] = Σ_{i, j, c} x[b, oh·sh + i − padH[0], ow·sw + j − padW[0], c] · k[i, j, c, o]
//
// with x [batch, h, w, cin] (zero outside), k [kh, kw, cin, cout] and out
// [batch, outH, outW, cout], all row-major. cout must satisfy
// FerConv2DApplies. Pixels are split across the backend's workers.
func FerConv2D(backend *gobackend.Backend, x []float32, batch, h, w, cin int, k []float32, kh, kw, cout int,
	sh, sw int, padH, padW [2]int, out []float32, outH, outW int) {
	if len(x) < batch*h*w*cin || len(k) < kh*kw*cin*cout || len(out) < batch*outH*outW*cout || !FerConv2DApplies(cout) {
		panic("FerConv2D: operands shorter than their shapes, or cout not a multiple of 64")
	}
	pixels := batch * outH * outW
	if pixels == 0 {
		return
	}
	if cin == 0 || kh == 0 || kw == 0 {
		clear(out[:pixels*cout])
		return
	}
	zeros := unsafe.Pointer(&make([]float32, cin)[0]) // the "input row" of a tap in the padding
	// pixel locates output pixel p: the input row and column of its tap (0, 0)
	// and the offset of its batch element in x.
	type pixel struct{ ih0, iw0, base int }
	locate := func(p int) pixel {
		ow := p % outW
		oh := (p / outW) % outH
		b := p / (outW * outH)
		return pixel{oh*sh - padH[0], ow*sw - padW[0], b * h * w * cin}
	}
	// rowOf returns the address of the cin input values tap (i, j) of px
	// reads, or of zeros in the padding.
	rowOf := func(px pixel, i, j int) unsafe.Pointer {
		ih, iw := px.ih0+i, px.iw0+j
		if ih < 0 || ih >= h || iw < 0 || iw >= w {
			return zeros
		}
		return unsafe.Pointer(&x[px.base+(ih*w+iw)*cin])
	}
	kStride := uintptr(cout) * 4
	// Work in chunks of ferConvChunk pixels: for each 64-channel block, each
	// tap and each group of at most 128 input channels (a kernel panel of at
	// most 32 KiB, which stays in L1), every pixel pair of the chunk runs
	// over the panel and adds its sums to its outputs (which stay in L1/L2).
	// Keeping a pixel's whole sum in registers instead re-reads the whole
	// kernel for every pair: 3 times slower for fer-cnn's fourth layer (its
	// kernel is 2.4 MB).
	const ferConvChunk = 64
	chunks := (pixels + ferConvChunk - 1) / ferConvChunk
	run := func(start, end int) { // chunks [start, end)
		var px [ferConvChunk]pixel
		for chunk := start; chunk < end; chunk++ {
			p0 := chunk * ferConvChunk
			n := min(ferConvChunk, pixels-p0)
			for q := range n {
				px[q] = locate(p0 + q)
			}
			for c0 := 0; c0 < cout; c0 += ferGemmCols {
				first := true
				for i := range kh {
					for j := range kw {
						for ch0 := 0; ch0 < cin; ch0 += ferGemmPanelK {
							chLen := min(ferGemmPanelK, cin-ch0)
							kp := unsafe.Pointer(&k[((i*kw+j)*cin+ch0)*cout+c0])
							q := 0
							for ; q+2 <= n; q += 2 {
								ferPanel2x64(unsafe.Add(rowOf(px[q], i, j), ch0*4), unsafe.Add(rowOf(px[q+1], i, j), ch0*4),
									kp, kStride, chLen, unsafe.Pointer(&out[(p0+q)*cout+c0]), unsafe.Pointer(&out[(p0+q+1)*cout+c0]), first)
							}
							if q < n {
								ferGemmPanel1x64(unsafe.Add(rowOf(px[q], i, j), ch0*4), kp, kStride,
									unsafe.Pointer(&out[(p0+q)*cout+c0]), chLen, first)
							}
							first = false
						}
					}
				}
			}
		}
	}
	if backend == nil || backend.Workers == nil || !backend.Workers.IsEnabled() {
		run(0, chunks)
		return
	}
	backend.Workers.ParallelFor(chunks, 1, run)
}
