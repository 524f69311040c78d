// fer-thesis patch (not in upstream compute v0.1.3): the kernel gradient of
// a float32 NHWC convolution, computed without an im2col matrix.

//go:build amd64 && goexperiment.simd

package matmul

import (
	"math"
	"unsafe"

	"github.com/gomlx/compute/internal/gobackend"
)

// Why: the gradient of a convolution w.r.t. its kernel,
//
//	dk[i, j, c, o] = Σ_{b, oh, ow} x[b, oh·sh + i − padH₀, ow·sw + j − padW₀, c] · dy[b, oh, ow, o],
//
// is, written as a matmul, pᵀ·dy with p the im2col matrix of x ([pixels,
// kh·kw·cin], kh·kw times x's size: 39 MB for fer-cnn's second convolution
// on a batch of 32). Building p (kh·kw slices and a concatenation), the
// transposes the matmul layouts need, and the rhs panels the matmul copies
// took as long as the products themselves.
//
// FerConvKernelGrad reads dy in place and x from one channels-first copy
// (a transpose of x, not kh·kw copies). For each tap (i, j) it lists the
// output pixels whose input pixel is inside the image (padding contributes
// nothing, so nothing is multiplied by it), as byte offsets into the copy
// of x and into dy; its micro-kernel computes 2 input channels × 32 output
// channels of dk, broadcasting the two channels' values of x at each listed
// pixel against 32 values of dy's row there, 8 accumulators in AVX2
// registers.
// Pixels are taken in blocks of ferKGradBlock; for each block, 32-column
// panel of dy and tap, every channel pair runs over the block and adds its
// sums to dk (which stays in L2), so that the block's rows of dy stay in L1.
//
// Each output is the sum, in order of the pixel blocks, of one FMA chain per
// block (pixels in row-major order): its own order, not that of any upstream
// routine, but the same whatever the number of workers (workers own
// separate outputs).
//
// AVX2 only (assembly: fer_kgrad_amd64.s). On CPUs with AVX-512 the fer
// library keeps its im2col lowering, whose matmul runs 16-wide kernels
// there; an AVX-512 form of this kernel has not been written (no such CPU to
// test it on when this was written).

// ferKGradBlock is the number of output pixels per block: 128 rows of a
// 32-column panel of dy are 16 KiB, half of a Zen 3 core's L1.
const ferKGradBlock = 128

// FerConvKernelGradApplies reports whether FerConvKernelGrad computes the
// kernel gradient of a convolution from cin to cout channels on this CPU: an
// AVX2 CPU without AVX-512 (see above), an even cin and cout a multiple of
// 32.
func FerConvKernelGradApplies(cin, cout int) bool {
	return FerKGradAvailable && cin > 0 && cin%2 == 0 && cout > 0 && cout%32 == 0
}

// FerKGradAvailable reports whether this CPU runs FerConvKernelGrad's
// kernel (AVX2 with FMA, without AVX-512).
var FerKGradAvailable = FerGemmAvailable && !ferAVX512

// FerConvKernelGrad computes, for float32 tensors,
//
//	dk[i, j, c, o] = Σ_{b, oh, ow} x[b, oh·sh + i − padH0, ow·sw + j − padW0, c] · dy[b, oh, ow, o]
//
// (x is zero outside its [h, w]) with x [batch, h, w, cin], dy [batch, outH,
// outW, cout] and dk [kh, kw, cin, cout], all row-major: the gradient w.r.t.
// the kernel of a convolution with strides (sh, sw) and leading paddings
// (padH0, padW0). cin and cout must satisfy FerConvKernelGradApplies. The
// taps' channel pairs are split across the backend's workers.
func FerConvKernelGrad(backend *gobackend.Backend, x []float32, batch, h, w, cin int, dy []float32, outH, outW, cout int,
	kh, kw, sh, sw, padH0, padW0 int, dk []float32) {
	if len(x) < batch*h*w*cin || len(dy) < batch*outH*outW*cout || len(dk) < kh*kw*cin*cout ||
		!FerConvKernelGradApplies(cin, cout) {
		panic("FerConvKernelGrad: operands shorter than their shapes, or channels it does not handle")
	}
	if 4*max(batch*h*w*cin, batch*outH*outW*cout) > math.MaxInt32 {
		panic("FerConvKernelGrad: operands of 2 GiB or more (offsets are int32)")
	}
	dk = dk[:kh*kw*cin*cout]
	clear(dk)
	pixels := batch * outH * outW
	taps := kh * kw
	if pixels == 0 || taps == 0 {
		return
	}

	// For each tap, the (x, dy) byte offsets of the pixels it reads inside
	// the image, in pixel order, and where each block of ferKGradBlock output
	// pixels starts in that list.
	blocks := (pixels + ferKGradBlock - 1) / ferKGradBlock
	offsets := make([][]int32, taps)
	blockStart := make([][]int, taps)
	listTap := func(t int) {
		i, j := t/kw, t%kw
		list := make([]int32, 0, 2*pixels)
		starts := make([]int, blocks+1)
		p := 0
		for b := range batch {
			for oh := range outH {
				ih := oh*sh + i - padH0
				for ow := range outW {
					if p%ferKGradBlock == 0 {
						starts[p/ferKGradBlock] = len(list) / 2
					}
					if iw := ow*sw + j - padW0; ih >= 0 && ih < h && iw >= 0 && iw < w {
						list = append(list, int32(4*((b*h+ih)*w+iw)), int32(4*p*cout))
					}
					p++
				}
			}
		}
		starts[blocks] = len(list) / 2
		offsets[t], blockStart[t] = list, starts
	}
	ferParallelFor(backend, taps, func(start, end int) {
		for t := start; t < end; t++ {
			listTap(t)
		}
	})

	// x with its channels first, [cin, batch·h·w]: the two channels a
	// micro-kernel broadcasts then come from two rows read in pixel order.
	// Read from x's layout, the pixels of a block are cin·4 bytes apart, and
	// with cin a power of two their lines fall in a few of L1's sets.
	npix := batch * h * w
	if npix == 0 { // every tap reads padding only
		return
	}
	xT := make([]float32, npix*cin)
	const tr = 16 // x's rows (pixels) per block of the transpose: a line of xT
	ferParallelFor(backend, (npix+tr-1)/tr, func(start, end int) {
		for rb := start; rb < end; rb++ {
			r0 := rb * tr
			n := min(tr, npix-r0)
			src := x[r0*cin : (r0+n)*cin]
			for c := range cin {
				dst := xT[c*npix+r0 : c*npix+r0+n]
				for r := range dst {
					dst[r] = src[r*cin+c]
				}
			}
		}
	})
	pairs := cin / 2
	units := taps * pairs // one unit: a tap and a pair of input channels
	xp, dyp := unsafe.Pointer(&xT[0]), unsafe.Pointer(&dy[0])
	rowBytes := uintptr(4 * npix)
	run := func(start, end int) { // units [start, end)
		for blk := range blocks {
			for c0 := 0; c0 < cout; c0 += 32 {
				for u := start; u < end; u++ {
					t, c := u/pairs, 2*(u%pairs)
					list := offsets[t][2*blockStart[t][blk] : 2*blockStart[t][blk+1]]
					if len(list) == 0 {
						continue
					}
					o0 := unsafe.Pointer(&dk[(t*cin+c)*cout+c0])
					x0 := unsafe.Add(xp, uintptr(c)*rowBytes)
					ferKGrad2x32AVX2Asm(x0, unsafe.Add(x0, rowBytes), unsafe.Pointer(&list[0]), unsafe.Add(dyp, 4*c0), len(list)/2,
						o0, unsafe.Add(o0, 4*cout), false)
				}
			}
		}
	}
	ferParallelFor(backend, units, run)
}

// ferKGrad2x32AVX2Asm computes the sums over the n pixels listed at offsets
// (pairs of int32 byte offsets: into the rows x0 and x1, into dy) of
// x0[xoff]·dy[dyoff:dyoff+32] and x1[xoff]·dy[dyoff:dyoff+32], one FMA
// chain per output started from zero, and writes them to o0[0:32] and
// o1[0:32] (first) or adds them there. The caller guarantees the bounds.
//
//go:noescape
func ferKGrad2x32AVX2Asm(x0, x1, offsets, dy unsafe.Pointer, n int, o0, o1 unsafe.Pointer, first bool)
