// fer-thesis patch (not in upstream compute v0.1.3): float32 NHWC
// convolutions of single-channel images (a first layer on grey images),
// forward and kernel gradient, without im2col.

//go:build amd64 && goexperiment.simd

package matmul

import (
	"unsafe"

	"github.com/gomlx/compute/internal/gobackend"
)

// Why: with one input channel, FerConv2D's per-tap micro-kernel calls would
// each run one step, and FerConvKernelGrad pairs input channels; the fer
// library therefore built an im2col matrix for such layers (fer-cnn's first:
// [73728, 9] on a batch of 32, its Concatenate and slices as long as the
// matmul) and multiplied it through ferGemm, forward (p·k) and for the kernel
// gradient (pᵀ·dy, with pᵀ transposed). Here both read a zero-padded copy
// of the image (batch·(outH−1)·sh+kh × (outW−1)·sw+kw values, 80 000 for
// fer-cnn) through lists of byte offsets, with ferKGrad2x32AVX2Asm
// (fer_kgrad_amd64.s):
//
//   - forward, 2 pixels × 32 output channels per call: the offsets are the
//     taps' (row-major), the "x" rows the two pixels' windows, the "dy" rows
//     the kernel's rows, k[t, :];
//   - kernel gradient, 2 taps × 32 output channels per call: the offsets are
//     the output pixels' (their window's corner in the padded image, their
//     row of dy), the "x" rows the padded image shifted by each tap, in blocks
//     of ferKGradBlock pixels.
//
// The sums are those of the im2col products through ferGemm on an AVX2 CPU,
// bit for bit: the same FMA chains in the same order (taps forward; pixels
// in blocks of 128 = ferGemmPanelK for the gradient, the first block's
// chains written, the next ones added in order), the padding's zeros
// included.

// FerConv1Applies reports whether FerConv2D1 and FerConvKernelGrad1 handle a
// convolution with this many channels on this CPU: one input channel, cout a
// multiple of 32, an AVX2 CPU without AVX-512 (see FerKGradAvailable).
func FerConv1Applies(cin, cout int) bool {
	return FerKGradAvailable && cin == 1 && cout > 0 && cout%32 == 0
}

// ferConv1Padded returns x [batch, h, w] (one channel) zero-padded to
// [batch, hp, wp], the image placed at (padH0, padW0).
func ferConv1Padded(backend *gobackend.Backend, x []float32, batch, h, w, hp, wp, padH0, padW0 int) []float32 {
	xp := make([]float32, batch*hp*wp)
	ferParallelFor(backend, batch*hp, func(start, end int) {
		for row := start; row < end; row++ {
			b, r := row/hp, row%hp-padH0
			if r < 0 || r >= h {
				continue
			}
			dst := xp[row*wp : (row+1)*wp]
			src := x[(b*h+r)*w : (b*h+r+1)*w]
			for q := range w {
				if qp := q + padW0; qp >= 0 && qp < wp {
					dst[qp] = src[q]
				}
			}
		}
	})
	return xp
}

// ferParallelFor runs fn over [0, n) on the backend's workers, or inline.
func ferParallelFor(backend *gobackend.Backend, n int, fn func(start, end int)) {
	if backend == nil || backend.Workers == nil || !backend.Workers.IsEnabled() {
		fn(0, n)
		return
	}
	backend.Workers.ParallelFor(n, 1, fn)
}

// FerConv2D1 is FerConv2D for one input channel (cin = 1; cout as
// FerConv1Applies wants):
//
//	out[b, oh, ow, o] = Σ_{i, j} x[b, oh·sh + i − padH[0], ow·sw + j − padW[0]] · k[i, j, 0, o]
func FerConv2D1(backend *gobackend.Backend, x []float32, batch, h, w int, k []float32, kh, kw, cout int,
	sh, sw int, padH, padW [2]int, out []float32, outH, outW int) {
	if len(x) < batch*h*w || len(k) < kh*kw*cout || len(out) < batch*outH*outW*cout || !FerConv1Applies(1, cout) {
		panic("FerConv2D1: operands shorter than their shapes, or channels it does not handle")
	}
	pixels := batch * outH * outW
	out = out[:pixels*cout]
	taps := kh * kw
	if pixels == 0 || taps == 0 {
		clear(out)
		return
	}
	hp, wp := (outH-1)*sh+kh, (outW-1)*sw+kw
	xp := ferConv1Padded(backend, x, batch, h, w, hp, wp, padH[0], padW[0])
	tapList := make([]int32, 0, 2*taps)
	for t := range taps {
		tapList = append(tapList, int32(4*((t/kw)*wp+t%kw)), int32(4*t*cout))
	}
	// corner returns the index in xp of pixel p's window's first tap.
	corner := func(p int) int {
		ow := p % outW
		oh := (p / outW) % outH
		b := p / (outW * outH)
		return (b*hp+oh*sh)*wp + ow*sw
	}
	pairs := (pixels + 1) / 2
	xpp, kp := unsafe.Pointer(&xp[0]), unsafe.Pointer(&k[0])
	ferParallelFor(backend, pairs, func(start, end int) {
		var spare [32]float32 // the second row of a last, unpaired pixel
		for u := start; u < end; u++ {
			p0, p1 := 2*u, 2*u+1
			x0 := unsafe.Add(xpp, 4*corner(p0))
			x1 := x0
			if p1 < pixels {
				x1 = unsafe.Add(xpp, 4*corner(p1))
			}
			for c0 := 0; c0 < cout; c0 += 32 {
				o1 := unsafe.Pointer(&spare[0])
				if p1 < pixels {
					o1 = unsafe.Pointer(&out[p1*cout+c0])
				}
				ferKGrad2x32AVX2Asm(x0, x1, unsafe.Pointer(&tapList[0]), unsafe.Add(kp, 4*c0), taps,
					unsafe.Pointer(&out[p0*cout+c0]), o1, true)
			}
		}
	})
}

// FerConvKernelGrad1 is FerConvKernelGrad for one input channel (cin = 1;
// cout as FerConv1Applies wants):
//
//	dk[i, j, 0, o] = Σ_{b, oh, ow} x[b, oh·sh + i − padH0, ow·sw + j − padW0] · dy[b, oh, ow, o]
func FerConvKernelGrad1(backend *gobackend.Backend, x []float32, batch, h, w int, dy []float32, outH, outW, cout int,
	kh, kw, sh, sw, padH0, padW0 int, dk []float32) {
	if len(x) < batch*h*w || len(dy) < batch*outH*outW*cout || len(dk) < kh*kw*cout || !FerConv1Applies(1, cout) {
		panic("FerConvKernelGrad1: operands shorter than their shapes, or channels it does not handle")
	}
	taps := kh * kw
	dk = dk[:taps*cout]
	clear(dk)
	pixels := batch * outH * outW
	if pixels == 0 || taps == 0 {
		return
	}
	hp, wp := (outH-1)*sh+kh, (outW-1)*sw+kw
	if 4*max(batch*hp*wp, pixels*cout) > 1<<31-1 {
		panic("FerConvKernelGrad1: operands of 2 GiB or more (offsets are int32)")
	}
	xp := ferConv1Padded(backend, x, batch, h, w, hp, wp, padH0, padW0)
	list := make([]int32, 0, 2*pixels)
	p := 0
	for b := range batch {
		for oh := range outH {
			for ow := range outW {
				list = append(list, int32(4*((b*hp+oh*sh)*wp+ow*sw)), int32(4*p*cout))
				p++
			}
		}
	}
	blocks := (pixels + ferKGradBlock - 1) / ferKGradBlock
	// Workers take 32-column chunks of dy; each runs every block of pixels
	// over all its pairs of taps before the next block, so that the block's
	// rows of dy are read from memory once.
	xpp, dyp := unsafe.Pointer(&xp[0]), unsafe.Pointer(&dy[0])
	ferParallelFor(backend, cout/32, func(start, end int) {
		var spare [32]float32 // the second row of a last, unpaired tap
		for chunk := start; chunk < end; chunk++ {
			c0 := 32 * chunk
			for blk := range blocks {
				b0, b1 := blk*ferKGradBlock, min((blk+1)*ferKGradBlock, pixels)
				for t0 := 0; t0 < taps; t0 += 2 {
					t1 := t0 + 1
					x0 := unsafe.Add(xpp, 4*((t0/kw)*wp+t0%kw))
					x1, o1 := x0, unsafe.Pointer(&spare[0])
					if t1 < taps {
						x1, o1 = unsafe.Add(xpp, 4*((t1/kw)*wp+t1%kw)), unsafe.Pointer(&dk[t1*cout+c0])
					}
					ferKGrad2x32AVX2Asm(x0, x1, unsafe.Pointer(&list[2*b0]), unsafe.Add(dyp, 4*c0), b1-b0,
						unsafe.Pointer(&dk[t0*cout+c0]), o1, blk == 0)
				}
			}
		}
	})
}
